"""The vocabulary half of SentencePieceProcessor (a mixin): pieces, ids, scores, types.

Ids come as one int (or anything with ``__index__``: numpy and torch
scalars) or as a sequence or buffer of them, as sentencepiece's binding
takes them (spbpe._api.args); each id out of ``[0, piece_size)`` is an
IndexError with sentencepiece's text.  Without a model, the piece size is 0
and the special ids are -1, as in sentencepiece.

>>> sp.id_to_piece([1, 2]), sp.is_control(np.int64(1))  # doctest: +SKIP
(['<s>', '</s>'], True)
"""

from __future__ import annotations

from typing import Any

from .._core.text import to_bytes
from ..errors import OutOfRangeError
from .args import as_id, ids_of

__all__ = [
    "VocabAPI",
    "PIECE_NORMAL",
    "PIECE_UNKNOWN",
    "PIECE_CONTROL",
    "PIECE_USER_DEFINED",
    "PIECE_UNUSED",
    "PIECE_BYTE",
]

PIECE_NORMAL, PIECE_UNKNOWN, PIECE_CONTROL, PIECE_USER_DEFINED, PIECE_UNUSED, PIECE_BYTE = 1, 2, 3, 4, 5, 6


class VocabAPI:
    """Vocabulary lookups on the processor's ``_model`` (a NativeModel or None)."""

    _model: Any
    _m: Any

    def get_piece_size(self) -> int:
        return self._model.piece_count if self._model is not None else 0

    vocab_size = piece_size = get_piece_size

    def __len__(self) -> int:
        return self.get_piece_size()

    def _map_ids(self, ids, fn):
        size = self.get_piece_size()
        one = as_id(ids)
        many = [one] if one is not None else ids_of(ids)
        bad = next((i for i in many if i < 0 or i >= size), None)
        if bad is not None:
            raise OutOfRangeError(f"OUT_OF_RANGE: piece id is out of range. (id {bad})")
        return fn(one) if one is not None else [fn(i) for i in many]

    def piece_to_id(self, piece):
        # Without a model sentencepiece logs "Model is not initialized." and answers 0.
        m = self._model
        if isinstance(piece, (str, bytes)):
            return m.piece_to_id(to_bytes(piece)) if m is not None else 0
        if not hasattr(piece, "__len__") or not hasattr(piece, "__getitem__"):
            raise TypeError("PieceToId takes a str, bytes or a sequence of them")
        items = [piece[i] for i in range(len(piece))]
        if not all(isinstance(p, (str, bytes)) for p in items):
            raise TypeError("Sequence elements must be str or bytes")
        return [m.piece_to_id(to_bytes(p)) if m is not None else 0 for p in items]

    def __getitem__(self, piece):
        return self.piece_to_id(piece)

    def id_to_piece(self, id):
        return self._map_ids(id, lambda i: self._m.pieces()[i])

    def get_score(self, id):
        return self._map_ids(id, lambda i: self._m.score(i))

    def is_unknown(self, id):
        return self._map_ids(id, lambda i: self._m.type(i) == PIECE_UNKNOWN)

    def is_control(self, id):
        return self._map_ids(id, lambda i: self._m.type(i) == PIECE_CONTROL)

    def is_unused(self, id):
        return self._map_ids(id, lambda i: self._m.type(i) == PIECE_UNUSED)

    def is_byte(self, id):
        return self._map_ids(id, lambda i: self._m.type(i) == PIECE_BYTE)

    def _special_id(self, name: str) -> int:
        return getattr(self._model.info, name) if self._model is not None else -1

    def unk_id(self) -> int:
        return self._special_id("unk_id")

    def bos_id(self) -> int:
        return self._special_id("bos_id")

    def eos_id(self) -> int:
        return self._special_id("eos_id")

    def pad_id(self) -> int:
        return self._special_id("pad_id")
