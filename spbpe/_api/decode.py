"""Decode for SentencePieceProcessor: sentencepiece 0.2.3's dispatch on spbpe's core.

``decode`` takes one id, one piece, a sequence of ids (list, tuple, numpy
array of any integer dtype and stride) or of pieces (str or bytes), or a
batch of those (a list of sequences, a 2-D array), and returns by
``return_type``: ``str`` (bytes when the pieces are bytes, as sentencepiece
does), ``bytes``, ``"proto"``/``"serialized_proto"`` (a SentencePieceText
whose pieces carry their surface and offsets in the decoded text), or
``"offset_mapping"`` (a dict of text, ids, pieces and character offsets, or
byte offsets with ``return_bytes=True``).  Ids and pieces are decoded by
the C core; the per-piece surfaces of the proto results follow
sentencepiece's Decode in Python (spbpe._proto.sentencepiece_text).

>>> sp.decode([[15043], [3186]])  # doctest: +SKIP
['Hello', 'world']
"""

from __future__ import annotations

from typing import Any, List

from .._core.text import byte_to_char_offsets, to_bytes
from .._proto import sentencepiece_text
from ..errors import OutOfRangeError
from ..settings import pool_threads, resolve_threads
from .args import as_bool, as_int, ids_of, is_sequence, resolve_return_type

__all__ = ["DecodeAPI"]

_OUT_OF_RANGE = "OUT_OF_RANGE: piece id is out of range."


def _is_pieces(seq: Any) -> bool:
    if len(seq) == 0 or hasattr(seq, "dtype"):
        return False
    return isinstance(seq[0], (str, bytes))


def _pieces_of(seq: Any) -> List[Any]:
    """A sequence of pieces (each str or bytes) as a list, read once."""
    if isinstance(seq, (str, bytes)) or not is_sequence(seq) and not hasattr(seq, "__getitem__"):
        raise TypeError("Input must be a list or tuple of str or bytes")
    items = list(seq)
    if not all(isinstance(p, (str, bytes)) for p in items):
        raise TypeError("List elements must be str or bytes")
    return items


class DecodeAPI:
    """The decode half of SentencePieceProcessor (a mixin: it uses the
    processor's ``_m`` (the loaded NativeModel) and ``_num_threads``)."""

    _m: Any
    _num_threads: Any
    _model: Any

    def decode(self, input, return_type=None, out_type=None, num_threads=None, thread_pool=None, return_bytes=None):
        """Decode ids or pieces (or a batch of either) back to text.

        >>> sp.decode([15043, 3186])  # doctest: +SKIP
        'Hello world'
        """
        if (
            type(input) is list
            and return_type is None
            and out_type is None
            and num_threads is None
            and thread_pool is None
            and return_bytes is None
            and self._model is not None
        ):
            # The common calls, kept short: one list of ids, or a list of
            # lists of ids, to str.
            if len(input) <= 256 and (not input or type(input[0]) is int):
                try:
                    text = self._model.decode_short(input)
                except OutOfRangeError:
                    text = None  # the general path below raises sentencepiece's message
                if text is not None:
                    return str(text, "utf-8")
            elif input and type(input[0]) is list and input[0] and type(input[0][0]) is int:
                threads = resolve_threads(self._num_threads if type(self._num_threads) is int else -1)
                return self._decode_ids_batch(input, True, threads)
        rtype = resolve_return_type(return_type, out_type, str)
        if return_bytes is not None and rtype != "offset_mapping":
            raise ValueError("return_bytes is only supported when return_type='offset_mapping'")
        if num_threads is None:
            num_threads = self._num_threads
        if num_threads is None or not isinstance(num_threads, int):
            raise TypeError("num_threads must be int")
        as_bytes = as_bool("return_bytes", return_bytes) if rtype == "offset_mapping" else False
        raw = self._decode_raw(
            input, "serialized_proto" if rtype == "proto" else rtype, as_bytes, num_threads, thread_pool
        )
        if rtype == "proto":
            parse = sentencepiece_text.SentencePieceText.FromString
            return [parse(s) for s in raw] if isinstance(raw, list) else parse(raw)
        return raw

    def _decode_raw(
        self, input: Any, rtype: Any, return_bytes: bool, num_threads: int = -1, thread_pool: Any = None
    ) -> Any:
        if input is None or (isinstance(input, (str, bytes)) and len(input) == 0):
            input = []
        if not is_sequence(input):
            input = [input]
        if hasattr(input, "ndim"):
            is_batch = input.ndim > 1
        else:
            is_batch = len(input) > 0 and is_sequence(input[0])
        if is_batch:
            pieces = next((_is_pieces(x) for x in input if is_sequence(x) and len(x) > 0), False)
        else:
            pieces = _is_pieces(input)
        if rtype not in (str, bytes, "serialized_proto", "offset_mapping"):
            raise ValueError(f"unknown return_type={rtype} or input type")
        if not is_batch:
            return self._decode_one(input, pieces, rtype, return_bytes)
        threads = pool_threads(thread_pool, num_threads)  # a bad thread_pool fails every batch call
        if rtype == "offset_mapping":
            return self._decode_offsets_batch(input, return_bytes)
        if pieces:
            return self._decode_pieces_batch(input, rtype, return_bytes)
        if rtype is str or rtype is bytes:
            return self._decode_ids_batch(input, rtype is str, threads)
        return [self._decode_one(ids_of(x), False, rtype, return_bytes) for x in input]

    def _decode_ids_batch(self, input: Any, as_str: bool, threads: int) -> list:
        """Batch decode in C threads.  A list goes to C as it is: the binding
        packs its sequences (any of ints, numpy arrays included, else
        TypeError; beyond int32, IndexError) and C checks the ids.  Other
        batches (2-D arrays) are read by ids_of first."""
        seqs = input if type(input) is list else None
        if seqs is None:
            seqs = [ids_of(x) for x in input]
            size = len(self)  # type: ignore[arg-type]
            for seq in seqs:
                self._check_ids(seq, size)
        if not seqs:
            return []
        try:
            return self._m.decode_batch(seqs, threads, as_str=as_str)
        except OutOfRangeError as e:
            raise OutOfRangeError(f"{_OUT_OF_RANGE} ({e})") from None

    def _decode_pieces_batch(self, input: Any, rtype: Any, return_bytes: bool) -> list:
        n = len(input)  # read once, as sentencepiece does
        if n == 0:
            return []
        seqs = [_pieces_of(input[i]) for i in range(n)]
        if rtype is not str and rtype is not bytes:
            return [self._decode_one(s, True, rtype, return_bytes) for s in seqs]
        m = self._m
        texts = [m.decode_pieces([to_bytes(p) for p in s]) for s in seqs]
        first = next((s for s in seqs if s), None)
        if rtype is bytes or (first is not None and isinstance(first[0], bytes)):
            return texts  # str pieces asked as str come back as str; bytes pieces as bytes
        return [t.decode("utf-8") for t in texts]

    def _decode_offsets_batch(self, input: Any, return_bytes: bool) -> list:
        """sentencepiece's _DecodeAsOffsetMappingBatch: the batch is of pieces
        when its first non-empty list or tuple holds str or bytes, and bytes
        pieces make the whole batch's offsets bytes."""
        n = len(input)  # read once, as sentencepiece does
        items = [input[i] for i in range(n)]
        first = next((x[0] for x in items if isinstance(x, (list, tuple)) and len(x)), None)
        pieces = isinstance(first, (str, bytes))
        if pieces:
            return_bytes = return_bytes or isinstance(first, bytes)
        else:
            items = [ids_of(x) for x in items]
        return [self._decode_one(x, pieces, "offset_mapping", return_bytes) for x in items]

    @staticmethod
    def _check_ids(ids: Any, size: int) -> None:
        if len(ids) and (min(ids) < 0 or max(ids) >= size):
            bad = next(i for i in ids if i < 0 or i >= size)
            raise OutOfRangeError(f"{_OUT_OF_RANGE} (id {bad})")

    def _decode_one(self, seq: Any, pieces: bool, rtype: Any, return_bytes: bool) -> Any:
        """One sequence: sentencepiece's _DecodeIds / _DecodePieces and their
        AsBytes, AsSerializedProto and offset-mapping twins."""
        if pieces:
            items = _pieces_of(seq)
            is_bytes = bool(items) and isinstance(items[0], bytes)
            if rtype is str and not items:
                return ""
            if rtype is bytes and not items:
                return b""
            if rtype == "offset_mapping":
                return_bytes = return_bytes or is_bytes
            data = [to_bytes(p) for p in items]
            m = self._m
            if rtype is str or rtype is bytes:
                text = m.decode_pieces(data)
                return text if rtype is bytes or is_bytes else text.decode("utf-8")
        else:
            ids = ids_of(seq)
            self._check_ids(ids, len(self))  # type: ignore[arg-type]
            m = self._m
            if rtype is str or rtype is bytes:
                text = m.decode_ids(ids)
                return text if rtype is bytes else text.decode("utf-8")
            table = m.pieces_bytes()
            data = [table[i] for i in ids]
        text, spans = sentencepiece_text.decode_pieces_text(m, data)
        if rtype == "serialized_proto":
            return sentencepiece_text.serialize_pieces(text, spans)
        return _offset_mapping(text, spans, return_bytes)

    def decode_ids(self, input, return_type=None, **kwargs):
        return self.decode(input, return_type=return_type, **kwargs)

    def decode_pieces(self, input, return_type=None, **kwargs):
        return self.decode(input, return_type=return_type, **kwargs)

    def decode_ids_as_proto(self, input, **kwargs):
        return self.decode(input, return_type="proto", **kwargs)

    def decode_pieces_as_proto(self, input, **kwargs):
        return self.decode(input, return_type="proto", **kwargs)


def _offset_mapping(text: bytes, spans: list, return_bytes: bool) -> dict:
    """sentencepiece's ExtractOffsetMapping of a decoded SentencePieceText."""
    if return_bytes:
        return {
            "text": text,
            "ids": [s[1] for s in spans],
            "pieces": [s[0] for s in spans],
            "offsets": [(s[3], s[4]) for s in spans],
        }
    table = byte_to_char_offsets(text)
    offsets = []
    for _, _, _, b, e in spans:
        if b >= len(table) or e >= len(table):
            raise ValueError("Invalid piece offsets in SentencePieceText")
        offsets.append((table[b], table[e]))
    return {
        "text": text.decode("utf-8"),
        "ids": [s[1] for s in spans],
        "pieces": [s[0].decode("utf-8") for s in spans],
        "offsets": offsets,
    }


def check_threads(num_threads: Any) -> int:
    """num_threads as the batch calls take it (sentencepiece: int or TypeError)."""
    return as_int("num_threads", num_threads)
