"""Vocabulary surgery on a SentencePiece ``.model``: add pieces, change scores and types,
choose the special-token pieces, and write a file the official sentencepiece loads.

Every edit is checked before it is applied, against the rules sentencepiece 0.2.3 applies
when it loads a model (see :mod:`spbpe._proto.model_check`), so a failed edit raises
:class:`~spbpe.errors.ModelFormatError` and leaves the model as it was. Loading and saving
without edits gives back the input bytes exactly.

Bookkeeping kept as ``spm_train`` writes it (sentencepiece ignores these at runtime):
``trainer_spec.user_defined_symbols`` / ``control_symbols`` list the USER_DEFINED / CONTROL
pieces, ``trainer_spec.vocab_size`` follows the piece count when it did before the edit,
and ``trainer_spec.{unk,bos,eos,pad}_id`` follow their pieces when ids shift.

Example: ``ModelEditor.load("llama2.model").add_user_defined("<tool>").save("out.model")``
"""

from __future__ import annotations

import os
from typing import Dict, Optional, Union

from ._proto import model_pb2
from ._proto.model_check import BYTE_PIECE_RE, check_model, parse_model, piece_key
from .errors import ModelFormatError

__all__ = ["ModelEditor", "parse_model", "check_model", "PieceType", "SPECIAL_KINDS"]

PieceType = model_pb2.ModelProto.SentencePiece
PieceRef = Union[int, str]
#: The special tokens sentencepiece names in trainer_spec (``<kind>_piece``, ``<kind>_id``).
SPECIAL_KINDS = ("unk", "bos", "eos", "pad")
_TYPE_NAMES = {v: k for k, v in PieceType.Type.items()}
_SYMBOL_LISTS: Dict[int, str] = {PieceType.USER_DEFINED: "user_defined_symbols", PieceType.CONTROL: "control_symbols"}


def _type_value(type_: Union[int, str]) -> int:
    if isinstance(type_, str):
        try:
            return PieceType.Type.Value(type_.upper())
        except ValueError:
            raise ValueError(f"unknown piece type {type_!r}; one of {sorted(_TYPE_NAMES.values())}") from None
    if type_ not in _TYPE_NAMES:
        raise ValueError(f"unknown piece type {type_!r}")
    return int(type_)


class ModelEditor:
    """An editable SentencePiece model.

    Example: ``ed = ModelEditor.from_bytes(data); ed.add_control("[TOOL]"); ed.to_bytes()``
    """

    def __init__(self, proto: model_pb2.ModelProto, *, original: Optional[bytes] = None) -> None:
        """Wrap ``proto`` (taken, not copied). ``original`` is the file it came from, if any.

        Example: ``ModelEditor(parse_model(data), original=data)``
        """
        check_model(proto)
        self.proto = proto
        self._original = original
        self._original_canonical = proto.SerializeToString() if original is not None else None
        self._index: dict[bytes, int] = {}
        self._reindex()

    # ---- construction and output -------------------------------------------------------

    @classmethod
    def from_bytes(cls, data: Union[bytes, bytearray, memoryview]) -> ModelEditor:
        """Parse and check the bytes of a ``.model`` file.

        Example: ``ModelEditor.from_bytes(open("m.model", "rb").read())``
        """
        data = bytes(data)
        return cls(parse_model(data, check=False), original=data)  # __init__ checks

    @classmethod
    def load(cls, path: Union[str, os.PathLike[str]]) -> ModelEditor:
        """Read, parse and check a ``.model`` file.

        Example: ``ModelEditor.load("llama2.model")``
        """
        with open(path, "rb") as f:
            return cls.from_bytes(f.read())

    def to_bytes(self) -> bytes:
        """The model as ``.model`` bytes, checked first; the input bytes if nothing changed.

        Example: ``ModelEditor.from_bytes(data).to_bytes() == data``
        """
        check_model(self.proto)
        out = self.proto.SerializeToString()
        if self._original is not None and out == self._original_canonical:
            return self._original  # keeps any non-canonical encoding of an unedited file
        return out

    def save(self, path: Union[str, os.PathLike[str]]) -> None:
        """Write :meth:`to_bytes` to ``path``.

        Example: ``ed.save("edited.model")``
        """
        data = self.to_bytes()
        with open(path, "wb") as f:
            f.write(data)

    # ---- lookups -----------------------------------------------------------------------

    def __len__(self) -> int:
        """Number of pieces. Example: ``len(ModelEditor.load("llama2.model")) == 32000``"""
        return len(self.proto.pieces)

    def __contains__(self, piece: object) -> bool:
        """Whether a piece string is in the vocabulary. Example: ``"<s>" in ed``"""
        return isinstance(piece, (str, bytes)) and piece_key(piece) in self._index

    def piece_to_id(self, piece: Union[str, bytes]) -> int:
        """Id of a piece string, or -1 if absent. Example: ``ed.piece_to_id("<s>") == 1``"""
        return self._index.get(piece_key(piece), -1)

    def id_of(self, ref: PieceRef) -> int:
        """Resolve an id or piece string to an id, raising KeyError/IndexError if absent.

        Example: ``ed.id_of("</s>") == 2``
        """
        if isinstance(ref, int):
            if not 0 <= ref < len(self.proto.pieces):
                raise IndexError(f"piece id {ref} is out of range (0..{len(self.proto.pieces) - 1})")
            return ref
        i = self.piece_to_id(ref)
        if i < 0:
            raise KeyError(f"piece {ref!r} is not in the vocabulary")
        return i

    # ---- edits -------------------------------------------------------------------------

    def add_piece(
        self,
        piece: str,
        type: Union[int, str] = PieceType.USER_DEFINED,
        *,
        score: float = 0.0,
        id: Optional[int] = None,
    ) -> int:
        """Insert a piece at ``id`` (default: the end) and return its id; later ids shift by one.

        Example: ``ed.add_piece("<tool>", "USER_DEFINED")``
        """
        t = _type_value(type)
        n = len(self.proto.pieces)
        pos = n if id is None else id
        if not 0 <= pos <= n:
            raise IndexError(f"id {pos} is out of range for insertion (0..{n})")
        self._check_new_piece(piece, t)
        new = model_pb2.ModelProto.SentencePiece(piece=piece, score=score)
        if t != PieceType.NORMAL:  # spm_train leaves the default type out
            new.type = t  # type: ignore[assignment]  # protobuf's stub types the enum field narrower than int
        if pos == n:
            self.proto.pieces.append(new)
            self._index[piece_key(piece)] = pos
        else:
            tail = []
            for p in self.proto.pieces[pos:]:
                copy = model_pb2.ModelProto.SentencePiece()
                copy.CopyFrom(p)
                tail.append(copy)
            del self.proto.pieces[pos:]
            self.proto.pieces.append(new)
            self.proto.pieces.extend(tail)
            self._reindex()
            self._shift_special_ids(pos)
        self._list_symbol(piece, t)
        ts = self.proto.trainer_spec
        if ts.vocab_size == n:  # keep it in step only if it was
            ts.vocab_size = n + 1
        return pos

    def add_user_defined(self, piece: str, *, score: float = 0.0, id: Optional[int] = None) -> int:
        """Add a USER_DEFINED piece (always matched whole in input text); return its id.

        Example: ``ed.add_user_defined("<tool>")``
        """
        return self.add_piece(piece, PieceType.USER_DEFINED, score=score, id=id)

    def add_control(self, piece: str, *, score: float = 0.0, id: Optional[int] = None) -> int:
        """Add a CONTROL piece (never produced from text, only by id); return its id.

        Example: ``ed.add_control("[TOOL_CALLS]")``
        """
        return self.add_piece(piece, PieceType.CONTROL, score=score, id=id)

    def set_score(self, ref: PieceRef, score: float) -> None:
        """Change a piece's score (for BPE: its merge priority, higher merges first).

        Example: ``ed.set_score("▁the", 0.0)``
        """
        self.proto.pieces[self.id_of(ref)].score = score

    def set_type(self, ref: PieceRef, type: Union[int, str]) -> None:
        """Change a piece's type, checked like a load (e.g. BYTE needs ``<0xHH>`` and byte_fallback).

        Example: ``ed.set_type("[INST]", "CONTROL")``
        """
        i = self.id_of(ref)
        p = self.proto.pieces[i]
        t = _type_value(type)
        if t == p.type:
            return
        # the 256-BYTE-piece rule is checked on save: a byte set may be built in steps
        self._check_type(p.piece, t, skip=i)
        self._unlist_symbol(p.piece, p.type)
        p.type = t
        self._list_symbol(p.piece, t)

    def rename_piece(self, ref: PieceRef, new_piece: str) -> None:
        """Change a piece's string, keeping its id, score and type.

        Example: ``ed.rename_piece("[control_8]", "[TOOL_RESULTS]")``
        """
        i = self.id_of(ref)
        p = self.proto.pieces[i]
        if piece_key(new_piece) == piece_key(p.piece):
            return
        self._check_string(new_piece)
        self._check_type(new_piece, p.type, skip=i)
        old = p.piece
        ts = self.proto.trainer_spec
        name = _SYMBOL_LISTS.get(p.type)
        if name is not None:
            lst = getattr(ts, name)
            for j, s in enumerate(lst):
                if s == old:
                    lst[j] = new_piece
        for kind in SPECIAL_KINDS:
            if getattr(ts, f"{kind}_piece") == old:
                setattr(ts, f"{kind}_piece", new_piece)
        del self._index[piece_key(old)]
        p.piece = new_piece
        self._index[piece_key(new_piece)] = i

    def set_special_piece(self, kind: str, piece: str, *, id: Optional[int] = None) -> int:
        """Make ``piece`` the unk/bos/eos/pad token: sets ``trainer_spec.<kind>_piece`` and ``<kind>_id``.

        An existing piece must already have the type sentencepiece requires (UNKNOWN for unk,
        CONTROL for the others), else the edit is refused. A new string is added as a CONTROL
        piece (at ``id``, default the end); for unk, the current UNKNOWN piece is renamed.
        Returns the piece's id.

        Example: ``ed.set_special_piece("eos", "<|im_end|>")``
        """
        if kind not in SPECIAL_KINDS:
            raise ValueError(f"kind must be one of {SPECIAL_KINDS}, not {kind!r}")
        want = PieceType.UNKNOWN if kind == "unk" else PieceType.CONTROL
        i = self.piece_to_id(piece)
        if i >= 0:
            have = self.proto.pieces[i].type
            if have != want:
                raise ModelFormatError(
                    f"piece {i} {piece!r} has type {_TYPE_NAMES[have]}; a {kind} piece must be "
                    f"{_TYPE_NAMES[want]} (sentencepiece would report {kind}_id() = -1). "
                    "Use set_type first if that is what you mean"
                )
        elif kind == "unk" and self._unk_id() >= 0:
            i = self._unk_id()
            self.rename_piece(i, piece)
        else:
            i = self.add_piece(piece, want, id=id)
        ts = self.proto.trainer_spec
        setattr(ts, f"{kind}_piece", piece)
        setattr(ts, f"{kind}_id", i)
        return i

    def validate(self) -> None:
        """Check the whole model as sentencepiece would at load. Example: ``ed.validate()``"""
        check_model(self.proto)

    # ---- internals ---------------------------------------------------------------------

    def _reindex(self) -> None:
        self._index = {piece_key(p.piece): i for i, p in enumerate(self.proto.pieces)}

    def _unk_id(self) -> int:
        return next((i for i, p in enumerate(self.proto.pieces) if p.type == PieceType.UNKNOWN), -1)

    def _check_string(self, piece: Union[str, bytes]) -> None:
        if not isinstance(piece, str):
            raise TypeError(f"piece must be str, not {type(piece).__name__}")
        if not piece:
            raise ModelFormatError("piece must not be empty.")
        j = self.piece_to_id(piece)
        if j >= 0:
            raise ModelFormatError(
                f"{piece} is already defined. (piece {j}, type {_TYPE_NAMES.get(self.proto.pieces[j].type, '?')})"
            )

    def _check_type(self, piece: Union[str, bytes], t: int, *, skip: int) -> None:
        if t == PieceType.UNKNOWN:
            u = self._unk_id()
            if u >= 0 and u != skip:
                raise ModelFormatError(f"unk is already defined. (piece {u} is UNKNOWN)")
        if t == PieceType.BYTE:
            if not self.proto.trainer_spec.byte_fallback:
                raise ModelFormatError(f"byte piece {piece!s} is found although `byte_fallback` is false.")
            if not (isinstance(piece, str) and BYTE_PIECE_RE.fullmatch(piece)):
                raise ModelFormatError(f"byte piece {piece!s} is invalid. (must be <0xHH>, upper-case hex)")

    def _check_new_piece(self, piece: str, t: int) -> None:
        self._check_string(piece)
        self._check_type(piece, t, skip=-1)

    def _shift_special_ids(self, pos: int) -> None:
        ts = self.proto.trainer_spec
        for kind in SPECIAL_KINDS:
            field = f"{kind}_id"
            old = getattr(ts, field)
            if old >= pos:
                setattr(ts, field, old + 1)

    def _list_symbol(self, piece: Union[str, bytes], t: int) -> None:
        name = _SYMBOL_LISTS.get(t)
        if name is not None and isinstance(piece, str):
            lst = getattr(self.proto.trainer_spec, name)
            if piece not in lst:
                lst.append(piece)

    def _unlist_symbol(self, piece: Union[str, bytes], t: int) -> None:
        name = _SYMBOL_LISTS.get(t)
        if name is not None:
            lst = getattr(self.proto.trainer_spec, name)
            keep = [s for s in lst if s != piece]
            if len(keep) != len(lst):
                del lst[:]
                lst.extend(keep)
