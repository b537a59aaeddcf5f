"""n-best lists, sampling with scores and entropy for unigram models: the
methods :class:`spbpe.SentencePieceProcessor` inherits from
:class:`LatticeMixin`, with sentencepiece's names, positional order and
defaults.

>>> sp.nbest_encode("hello world", nbest_size=2, out_type=str)  # doctest: +SKIP
[['▁he', 'll', 'o', '▁world'], ['▁he', 'l', 'l', 'o', '▁world']]
>>> sp.calculate_entropy("hello world", alpha=0.5)               # doctest: +SKIP
4.23

``nbest_encode`` is sentencepiece 0.2.3's; ``sample_encode_and_score`` and
``calculate_entropy`` follow sentencepiece 0.2.0's Python API (0.2.3's
wrapper no longer exposes them; its C++ core still has them, and that is
what they reproduce).  Random numbers come from spbpe's own generator
(:func:`spbpe.set_random_generator_seed`).
"""

from __future__ import annotations

import struct
from typing import Any, List, Optional

from . import settings
from ._api.args import resolve_return_type, with_defaults
from ._core import native_unigram
from ._core.native_unigram import Segmentation
from ._core.text import to_bytes
from ._proto import sentencepiece_text
from .errors import InputError, LimitError, UnimplementedError
from .random_seed import next_seed

__all__ = ["LatticeMixin"]

_PIECE_BYTE = 6
_PROTO_OPTIONS_REFUSED = "UNIMPLEMENTED: add_bos, add_eos, reverse, and emit_unk_piece is not supported in proto API"


NBestSentencePieceText = sentencepiece_text.NBestSentencePieceText  # one message class for spbpe.sentencepiece_pb2 too


def _length_delimited(field: int, body: bytes) -> bytes:
    out = bytearray([field << 3 | 2])
    n = len(body)
    while n >= 0x80:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out) + body


class LatticeMixin:
    """n-best, sampling and entropy (unigram models only, as in sentencepiece)."""

    _m: Any
    _add_bos: bool
    _add_eos: bool
    _reverse: bool
    _emit_unk_piece: bool
    _nbest_size: int
    _out_type: Any

    # ------------------------------------------------------------ helpers
    def _segment_pieces(self, seg: Segmentation, as_bytes: bool, emit_unk_piece: bool) -> list:
        m = self._m
        table = m.pieces_bytes() if as_bytes else m.pieces()
        unk_index = m.unk_index
        norm, nb, ne = seg.spans.normalized, seg.spans.norm_begin, seg.spans.norm_end
        pieces = []
        for k, i in enumerate(seg.ids):
            if i == unk_index:
                piece: Any = norm[nb[k] : ne[k]]
                if emit_unk_piece and m.piece_to_id(piece) == m.info.unk_id:
                    piece = table[m.info.unk_id]
                elif not as_bytes:
                    piece = piece.decode("utf-8")
                pieces.append(piece)
            else:
                pieces.append(table[i])
        return pieces

    def _segment_proto(self, data: bytes, seg: Segmentation) -> bytes:
        m = self._m
        table = m.pieces_bytes()
        byte_ids = {i for i in set(seg.ids) if m.type(i) == _PIECE_BYTE} if m.info.byte_fallback else set()
        norm, nb, ne = seg.spans.normalized, seg.spans.norm_begin, seg.spans.norm_end
        rows = []
        for k, (i, b, e) in enumerate(zip(seg.ids, seg.spans.orig_begin, seg.spans.orig_end)):
            piece = norm[nb[k] : ne[k]] if i == m.unk_index else table[i]
            surface: Optional[bytes] = data[b:e]
            if i in byte_ids and ne[k] < len(norm) and norm[ne[k]] & 0xC0 == 0x80:
                surface = None  # only the last byte piece of a character carries its surface
            rows.append((piece, i, surface, b, e))
        return sentencepiece_text.serialize_pieces(data, rows) + b"\x1d" + struct.pack("<f", seg.score)

    def _segments_out(self, data: bytes, segs: List[Segmentation], out_type, add_bos, add_eos, reverse, emit_unk):
        m = self._m
        info = m.info
        if out_type in ("proto", "serialized_proto"):
            blob = b"".join(_length_delimited(1, self._segment_proto(data, s)) for s in segs)
            return blob if out_type == "serialized_proto" else NBestSentencePieceText.FromString(blob)
        out = []
        for seg in segs:
            if out_type is int or out_type == "numpy":
                seq: list = list(seg.ids)
                bos, eos = info.bos_id, info.eos_id
            else:
                as_bytes = out_type is bytes
                seq = self._segment_pieces(seg, as_bytes, emit_unk)
                table = m.pieces_bytes() if as_bytes else m.pieces()
                bos, eos = table[info.bos_id], table[info.eos_id]
            if reverse:
                seq.reverse()
            if add_bos:
                seq.insert(0, bos)
            if add_eos:
                seq.append(eos)
            if out_type == "numpy":
                import numpy as np

                seq = np.asarray(seq, dtype=np.int32)  # type: ignore[assignment]
            out.append((seq, seg.score))
        return out

    def _check_options(self, out_type, add_bos, add_eos, reverse, emit_unk_piece) -> None:
        if out_type in ("proto", "serialized_proto") and (add_bos or add_eos or reverse or emit_unk_piece):
            raise UnimplementedError(_PROTO_OPTIONS_REFUSED)
        info = self._m.info
        if add_bos and info.bos_id == -1:
            raise InputError("BOS token is not defined as a control symbol in this model.")
        if add_eos and info.eos_id == -1:
            raise InputError("EOS token is not defined as a control symbol in this model.")

    # ------------------------------------------------------------- n-best
    def nbest_encode(
        self,
        input,
        add_bos=None,
        add_eos=None,
        reverse=None,
        emit_unk_piece=None,
        nbest_size=None,
        return_type=None,
        out_type=None,
    ):
        """The nbest_size best segmentations, best first (unigram models).

        >>> sp.nbest_encode("hello", nbest_size=2)  # doctest: +SKIP
        [[39, 88, 21], [39, 31, 31, 21]]
        """
        out_type = resolve_return_type(return_type, out_type, self._out_type)
        add_bos, add_eos, reverse, emit_unk_piece, nbest_size = with_defaults(
            self,
            add_bos=add_bos,
            add_eos=add_eos,
            reverse=reverse,
            emit_unk_piece=emit_unk_piece,
            nbest_size=nbest_size,
        )
        if nbest_size <= 0:
            nbest_size = 1
        if nbest_size > 512:  # the 0.2.3 wheel's kMaxNBestSize
            raise LimitError("nbest_size must be nbest_size <= 512")
        if out_type == "offset_mapping":
            raise ValueError(f"unknown return_type={out_type!r}")
        self._check_options(out_type, add_bos, add_eos, reverse, emit_unk_piece)

        def one(text):
            data = to_bytes(text)
            segs = native_unigram.nbest_encode(self._m, data, nbest_size, settings.current("nbest_timeout"))
            res = self._segments_out(data, segs, out_type, add_bos, add_eos, reverse, emit_unk_piece)
            return res if out_type in ("proto", "serialized_proto") else [seq for seq, _ in res]

        if isinstance(input, list):
            return [one(x) for x in input]
        return one(input)

    def nbest_encode_as_pieces(self, input, nbest_size=None, **kwargs):
        return self.nbest_encode(input=input, nbest_size=nbest_size, return_type=str, **kwargs)

    def nbest_encode_as_ids(self, input, nbest_size=None, **kwargs):
        return self.nbest_encode(input=input, nbest_size=nbest_size, return_type=int, **kwargs)

    def nbest_encode_as_numpy(self, input, nbest_size=None, **kwargs):
        return self.nbest_encode(input=input, nbest_size=nbest_size, return_type="numpy", **kwargs)

    def nbest_encode_as_proto(self, input, nbest_size=None, **kwargs):
        return self.nbest_encode(input=input, nbest_size=nbest_size, return_type="proto", **kwargs)

    def nbest_encode_as_serialized_proto(self, input, nbest_size=None, **kwargs):
        return self.nbest_encode(input=input, nbest_size=nbest_size, return_type="serialized_proto", **kwargs)

    # ------------------------------------------------- sampling with scores
    def sample_encode_and_score(
        self,
        input,
        out_type=None,
        add_bos=None,
        add_eos=None,
        reverse=None,
        emit_unk_piece=None,
        num_samples=None,
        alpha=None,
        wor=None,
        include_best=None,
    ):
        """num_samples segmentations drawn at inverse temperature alpha, each
        with its score: a log probability (wor=False) or a log inclusion
        probability (wor=True, without replacement; include_best puts the
        best segmentation first, with score 0).

        >>> sp.sample_encode_and_score("hello", num_samples=2, alpha=0.5, out_type=str)  # doctest: +SKIP
        [(['▁he', 'll', 'o'], -0.7), (['▁', 'h', 'ello'], -4.1)]
        """
        out_type = resolve_return_type(None, out_type, self._out_type)
        add_bos, add_eos, reverse, emit_unk_piece = with_defaults(
            self, add_bos=add_bos, add_eos=add_eos, reverse=reverse, emit_unk_piece=emit_unk_piece
        )
        num_samples = 1 if num_samples is None else num_samples
        alpha = 1.0 if alpha is None else alpha
        wor = False if wor is None else wor
        include_best = False if include_best is None else include_best
        if num_samples <= 0:
            raise RuntimeError("num_examples must be positive")
        if include_best and not wor:
            raise RuntimeError('When include_best is True, We must specify "wor = True".')
        self._check_options(out_type, add_bos, add_eos, reverse, emit_unk_piece)

        def one(text):
            data = to_bytes(text)
            segs = native_unigram.sample_encode_and_score(
                self._m, data, alpha, num_samples, wor, include_best, next_seed()
            )
            if not segs:
                raise RuntimeError("SampleEncodeAndScore returns empty result.")
            return self._segments_out(data, segs, out_type, add_bos, add_eos, reverse, emit_unk_piece)

        if isinstance(input, list):
            return [one(x) for x in input]
        return one(input)

    def sample_encode_and_score_as_pieces(self, input, num_samples=None, alpha=None, **kwargs):
        return self.sample_encode_and_score(input=input, num_samples=num_samples, alpha=alpha, out_type=str, **kwargs)

    def sample_encode_and_score_as_ids(self, input, num_samples=None, alpha=None, **kwargs):
        return self.sample_encode_and_score(input=input, num_samples=num_samples, alpha=alpha, out_type=int, **kwargs)

    def sample_encode_and_score_as_serialized_proto(self, input, num_samples=None, alpha=None, **kwargs):
        return self.sample_encode_and_score(
            input=input, num_samples=num_samples, alpha=alpha, out_type="serialized_proto", **kwargs
        )

    # ------------------------------------------------------------ entropy
    def calculate_entropy(self, input, alpha, num_threads=None):
        """The entropy of the segmentation distribution at inverse temperature alpha."""
        if isinstance(input, list):
            return [native_unigram.calculate_entropy(self._m, to_bytes(x), alpha) for x in input]
        return native_unigram.calculate_entropy(self._m, to_bytes(input), alpha)

    # ----------------------------------------------- sampling inside encode
    def _sample_one(self, data: bytes, opts: tuple, nbest_size: int):
        """encode(..., enable_sampling=True) on a unigram, char or word model: opts as the processor's _encode_one."""
        return self._encode_one(data, *opts, nbest_size=nbest_size)  # type: ignore[attr-defined]


for _snake, _camel in (
    ("nbest_encode", "NBestEncode"),
    ("nbest_encode_as_pieces", "NBestEncodeAsPieces"),
    ("nbest_encode_as_ids", "NBestEncodeAsIds"),
    ("nbest_encode_as_numpy", "NBestEncodeAsNumpy"),
    ("nbest_encode_as_proto", "NBestEncodeAsProto"),
    ("nbest_encode_as_serialized_proto", "NBestEncodeAsSerializedProto"),
    ("sample_encode_and_score", "SampleEncodeAndScore"),
    ("sample_encode_and_score_as_pieces", "SampleEncodeAndScoreAsPieces"),
    ("sample_encode_and_score_as_ids", "SampleEncodeAndScoreAsIds"),
    ("sample_encode_and_score_as_serialized_proto", "SampleEncodeAndScoreAsSerializedProto"),
    ("calculate_entropy", "CalculateEntropy"),
):
    setattr(LatticeMixin, _camel, getattr(LatticeMixin, _snake))
