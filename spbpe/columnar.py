"""Columnar encode: the ids of many texts as two flat arrays.

    >>> sp = spbpe.SentencePieceProcessor(model_file="m.model")    # doctest: +SKIP
    >>> values, offsets = sp.encode_to_arrays(["Hello", "world"])  # doctest: +SKIP
    >>> values[offsets[1]:offsets[2]]     # the ids of "world"     # doctest: +SKIP

``values`` holds every id back to back (int32) and ``offsets`` the count +
1 boundaries (int64): text i is ``values[offsets[i]:offsets[i + 1]]``, the
layout of Arrow's ``large_list<int32>``.  Both come from the C batch
encoder's flat output with one copy and no Python object per id, so a
dataset column of token ids costs two arrays, not a list per row.
``TokenArrays.numpy()`` views them as numpy arrays (no copy) and
``TokenArrays.to_arrow()`` wraps them as a pyarrow LargeListArray (no copy).

ColumnarSentencePiece gives SentencePieceProcessor its ``encode_to_arrays``
and encode_to_arrays_gpt is spbpe.gpt.Encoding's; the ids are those of
``encode`` on each text (plain ids:
a processor's bos/eos/reverse extra options and sampling do not apply).
"""

from __future__ import annotations

from array import array
from typing import Any, Iterable, List, NamedTuple, Optional, Sequence, Tuple, Union

__all__ = ["TokenArrays", "pack_lists", "ColumnarSentencePiece", "encode_to_arrays_gpt"]


class TokenArrays(NamedTuple):
    """(values: int32 ids back to back, offsets: int64, one more than texts)."""

    values: array
    offsets: array

    @property
    def num_texts(self) -> int:
        """Number of texts."""
        return len(self.offsets) - 1

    def row(self, i: int) -> List[int]:
        """The ids of text i."""
        return self.values[self.offsets[i] : self.offsets[i + 1]].tolist()

    def to_lists(self) -> List[List[int]]:
        return [self.row(i) for i in range(self.num_texts)]

    def numpy(self) -> Tuple[Any, Any]:
        """(int32 values, int64 offsets) as numpy arrays over the same memory."""
        import numpy as np

        return np.frombuffer(self.values, dtype=np.int32), np.frombuffer(self.offsets, dtype=np.int64)

    def to_arrow(self) -> Any:
        """A pyarrow LargeListArray of int32 over the same memory."""
        import pyarrow as pa

        n = len(self.values)
        values = pa.Array.from_buffers(pa.int32(), n, [None, pa.py_buffer(self.values)])
        offsets = pa.Array.from_buffers(pa.int64(), len(self.offsets), [None, pa.py_buffer(self.offsets)])
        return pa.LargeListArray.from_arrays(offsets, values)


def pack_lists(lists: Iterable[Sequence[int]]) -> TokenArrays:
    """TokenArrays of lists of ids (for paths without a flat batch)."""
    values = array("i")
    offsets = array("q", [0])
    for ids in lists:
        values.extend(ids)
        offsets.append(len(values))
    return TokenArrays(values, offsets)


class ColumnarSentencePiece:
    """encode_to_arrays for SentencePieceProcessor."""

    def encode_to_arrays(self, texts: Iterable[Union[str, bytes]], num_threads: Optional[int] = None) -> TokenArrays:
        """The ids of every text (str or bytes) as (values, offsets); the
        same ids as ``encode(texts)``, encoded on up to num_threads C
        threads (default: the processor's num_threads setting).

        Raises:
            ValueError: bos/eos/reverse extra options or sampling are set.
            TypeError: an item is not str or bytes.
        """
        from ._core.text import to_bytes
        from .settings import pool_threads

        sp: Any = self  # a SentencePieceProcessor
        if sp._add_bos or sp._add_eos or sp._reverse or sp._enable_sampling:
            raise ValueError("encode_to_arrays encodes plain ids: bos/eos/reverse extra options and sampling are set")
        threads = pool_threads(None, sp._num_threads if num_threads is None else num_threads)
        items = texts if type(texts) is list else list(texts)
        m = sp._m
        if not items:
            return TokenArrays(array("i"), array("q", [0]))
        try:
            return TokenArrays(*m.encode_batch_flat(items, threads))
        except (TypeError, UnicodeEncodeError):
            if not all(isinstance(x, (str, bytes)) for x in items):
                raise TypeError("List elements must be str or bytes") from None
            return TokenArrays(*m.encode_batch_flat([to_bytes(x) for x in items], threads))


def encode_to_arrays_gpt(
    enc: Any,
    texts: Iterable[str],
    *,
    num_threads: int = 8,
    allowed_special: Any = frozenset(),
    disallowed_special: Any = "all",
    utf8: Any = None,
    disallowed_error: Any = None,
) -> TokenArrays:
    """spbpe.gpt.Encoding.encode_to_arrays: ``encode`` of every text as
    (values, offsets), on up to num_threads C threads.

    utf8 and disallowed_error are spbpe.gpt.encoding's helpers (passed in:
    this module is imported by that one).

    Raises:
        DisallowedSpecialError: as encode_batch, for the first text (in
            order) holding a disallowed special token.
    """
    allowed, disallowed = enc._resolve(allowed_special, disallowed_special)
    items = texts if type(texts) is list else list(texts)
    if not items:
        return TokenArrays(array("i"), array("q", [0]))
    if enc._builtin and (not disallowed or enc._all_specials.issuperset(disallowed)):
        modes = enc._modes(allowed, disallowed)
        try:
            flat, _, bad_special = enc._native.encode_batch_flat(items, modes, num_threads)
        except UnicodeEncodeError:  # surrogates: fixed up item by item, as encode does
            items = [utf8(t)[0] if isinstance(t, str) else t for t in items]
            flat, _, bad_special = enc._native.encode_batch_flat(items, modes, num_threads)
        if bad_special >= 0:
            raise disallowed_error(enc._specials[bad_special])
        return TokenArrays(*flat)
    return pack_lists(enc._encode(t, allowed, disallowed) for t in items)
