"""The binding of the unigram engine's extra entry points (``csrc/unigram``):
n-best lists, sampling with scores, entropy, and the seedable generator.

Each call uses the model's per-thread workspace (see :class:`NativeModel`)
and copies the results out before returning; the GIL is released during
the C call as for every cffi call.

>>> segs = nbest_encode(model, b"hello world", 3)  # doctest: +SKIP
>>> [s.score for s in segs]                          # doctest: +SKIP
[-25.53, -29.76, -30.85]
"""

from __future__ import annotations

import sys
from typing import List, NamedTuple

from .. import settings
from ..errors import OutOfMemoryError
from . import _pylists
from ._spbpe import ffi, lib
from .native import NativeModel, Spans, _uint32s
from .results import _ids_buffer
from .status import raise_for_status

__all__ = ["Segmentation", "nbest_encode", "sample_encode_and_score", "calculate_entropy", "Rng"]


class Segmentation(NamedTuple):
    """One segmentation of a text: its ids, its score and its tokens' spans."""

    ids: List[int]
    score: float
    spans: Spans


def _results(model: NativeModel, res) -> List[Segmentation]:
    count = res.count
    if count == 0:
        return []
    offsets = [res.offsets[i] for i in range(count + 1)]
    total = offsets[-1]
    normalized = ffi.unpack(ffi.cast("char *", res.normalized), res.normalized_len) if res.normalized_len else b""
    ids_all = _pylists.to_list(_ids_buffer(res.ids, total), total, model._ids()) if total else []
    nb, ne = _uint32s(res.norm_begin, total), _uint32s(res.norm_end, total)
    ob, oe = _uint32s(res.orig_begin, total), _uint32s(res.orig_end, total)
    out = []
    for i in range(count):
        a, b = offsets[i], offsets[i + 1]
        spans = Spans(normalized, nb[a:b], ne[a:b], ob[a:b], oe[a:b])
        out.append(Segmentation(ids_all[a:b], float(res.scores[i]), spans))
    return out


def nbest_encode(model: NativeModel, data: bytes, nbest_size: int, timeout_ms: int = 0) -> List[Segmentation]:
    """sentencepiece's NBestEncode: the best nbest_size segmentations (1..1024), best first.
    A search longer than timeout_ms (> 0) gives the Viterbi best alone, and
    sentencepiece's warning goes to stderr (unless SetMinLogLevel hides it)."""
    ws = model._ws()
    err = model._local.err
    res = ffi.new("spbpe_results *")
    st = lib.spbpe_nbest_encode(model._handle, data, len(data), int(nbest_size), int(timeout_ms), ws, res, err)
    if st:
        raise_for_status(st, err)
    if res.timed_out and settings.current("min_log_level") <= 1:
        sys.stderr.write(f"NBest search timed out after {timeout_ms} ms. Falling back to Viterbi best path.\n")
    return _results(model, res)


def sample_encode_and_score(
    model: NativeModel, data: bytes, alpha: float, samples: int, wor: bool, include_best: bool, seed: int
) -> List[Segmentation]:
    """sentencepiece's SampleEncodeAndScore, its random numbers from `seed`."""
    ws = model._ws()
    err = model._local.err
    res = ffi.new("spbpe_results *")
    st = lib.spbpe_sample_encode_and_score(
        model._handle, data, len(data), float(alpha), int(samples), int(bool(wor)), int(bool(include_best)),
        seed & 0xFFFFFFFFFFFFFFFF, ws, res, err,
    )  # fmt: skip
    if st:
        raise_for_status(st, err)
    return _results(model, res)


def calculate_entropy(model: NativeModel, data: bytes, alpha: float) -> float:
    """sentencepiece's CalculateEntropy at inverse temperature alpha."""
    ws = model._ws()
    err = model._local.err
    out = ffi.new("float *")
    st = lib.spbpe_calculate_entropy(model._handle, data, len(data), float(alpha), ws, out, err)
    if st:
        raise_for_status(st, err)
    return float(out[0])


class Rng:
    """A seedable C generator (splitmix64); one thread at a time."""

    def __init__(self, seed: int):
        handle = lib.spbpe_rng_new(seed & 0xFFFFFFFFFFFFFFFF)
        if handle == ffi.NULL:
            raise OutOfMemoryError("could not allocate a random generator")
        self._handle = ffi.gc(handle, lib.spbpe_rng_free)

    def next(self) -> int:
        return int(lib.spbpe_rng_next(self._handle))
