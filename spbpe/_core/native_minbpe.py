"""Binding of minbpe's C engines: the byte-level trainer
(csrc/train/bytebpe_train.c) and the pair-merge encoder
(csrc/bytelevel/pair_merge.c).

The only code of spbpe.gpt.minbpe that touches cffi.  Text crosses as one
bytes blob plus chunk boundaries, so one C call serves a whole text.  A
:class:`NativePairMerges` is immutable in C (any number of threads may
encode with it); a :class:`NativeByteTrainer` is for one thread at a time.
"""

from __future__ import annotations

import threading
from array import array
from itertools import accumulate
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from ..errors import TrainerError
from ._spbpe import ffi, lib
from .status import raise_for_status

__all__ = ["NativeByteTrainer", "NativePairMerges", "chunk_blob"]


def chunk_blob(chunks: Sequence[bytes]) -> Tuple[bytes, Any]:
    """The chunks back to back, and their C boundaries (``size_t[count + 1]``)."""
    return b"".join(chunks), ffi.new("size_t[]", [0, *accumulate(map(len, chunks))])


class NativeByteTrainer:
    """One spbpe_bytebpe_trainer over distinct chunks with their counts
    (in order of first appearance)."""

    def __init__(self, counts: Dict[bytes, int]) -> None:
        blob, starts = chunk_blob(list(counts))
        n = len(counts)
        cnt = ffi.new("int64_t[]", list(counts.values()) or [0])
        self._err = ffi.new("spbpe_error *")
        h = lib.spbpe_bytebpe_trainer_new(blob, starts, cnt, n, self._err)
        if h == ffi.NULL:
            raise_for_status(self._err.status or lib.SPBPE_ERR_INVALID_ARGUMENT, self._err)
        self._h = ffi.gc(h, lib.spbpe_bytebpe_trainer_free)
        self._busy = threading.Lock()

    def merge(self, n: int) -> List[Tuple[int, int, int]]:
        """Up to n more merges: (left id, right id, occurrences) each; fewer
        only when no pair is left."""
        if n <= 0:
            return []
        if not self._busy.acquire(blocking=False):
            raise TrainerError("this trainer is already in use by another thread")
        try:
            pairs = ffi.new("int32_t[]", 2 * n)
            freqs = ffi.new("int64_t[]", n)
            done = ffi.new("size_t *")
            raise_for_status(lib.spbpe_bytebpe_trainer_merge(self._h, n, pairs, freqs, done, self._err), self._err)
            k = int(done[0])
            flat = ffi.unpack(pairs, 2 * k)
            return [(flat[2 * i], flat[2 * i + 1], f) for i, f in enumerate(ffi.unpack(freqs, k))]
        finally:
            self._busy.release()

    def peak_bytes(self) -> int:
        """The most bytes the C tables have held so far."""
        return int(lib.spbpe_bytebpe_trainer_peak_bytes(self._h))


class NativePairMerges:
    """An immutable spbpe_pair_merges: merges (left, right) -> new id, and
    each byte's starting id."""

    def __init__(self, merges: Iterable[Tuple[Tuple[int, int], int]], byte_map: Optional[bytes] = None) -> None:
        flat = array("i")
        count = 0
        for (a, b), idx in merges:
            flat.extend((a, b, idx))
            count += 1
        err = ffi.new("spbpe_error *")
        bm = ffi.from_buffer(byte_map) if byte_map is not None else ffi.NULL
        if byte_map is not None and len(byte_map) != 256:
            raise ValueError("byte_map must have 256 entries")
        h = lib.spbpe_pair_merges_new(ffi.from_buffer("int32_t[]", flat), count, bm, err)
        if h == ffi.NULL:
            raise_for_status(err.status or lib.SPBPE_ERR_INVALID_ARGUMENT, err)
        self._h = ffi.gc(h, lib.spbpe_pair_merges_free)

    def encode_chunks(self, chunks: Sequence[bytes], reference_path: bool = False) -> List[int]:
        """minbpe's _encode_chunk of each chunk, ids back to back."""
        blob, starts = chunk_blob(chunks)
        return self.encode_blob(blob, starts, len(chunks), reference_path)

    def encode_blob(self, blob: bytes, starts: Any, count: int, reference_path: bool = False) -> List[int]:
        """encode_chunks of the count chunks blob[starts[i]:starts[i + 1]]
        (starts: a cffi ``size_t[count + 1]``, e.g. from native_pretok.split_starts)."""
        cap = len(blob)
        dst = ffi.new("int32_t[]", cap or 1)
        err = ffi.new("spbpe_error *")
        n = lib.spbpe_pair_merges_encode(self._h, blob, starts, count, int(reference_path), dst, cap, err)
        if n < 0:
            raise_for_status(int(-n), err)
        return ffi.unpack(dst, n)
