"""Parse a SentencePiece ``.model`` file and check it the way sentencepiece 0.2.3 does at load.

:func:`parse_model` turns bytes into a :class:`spbpe._proto.model_pb2.ModelProto` and raises
:class:`~spbpe.errors.ModelFormatError` with a message that says what is wrong: where the
protobuf data breaks off or is corrupt, or which piece fails which load-time rule.
:func:`check_model` runs the load-time rules alone (``ModelInterface::InitializePieces``
and the normalizer's blob header checks in 0.2.3), in the same order, with the same
wording, prefixed by the offending piece's id.

Two checks are spbpe's own and stricter than sentencepiece: the model must have a
``trainer_spec`` (without one sentencepiece silently loads a unigram model; a file cut
short between two pieces looks exactly like that) and at least one piece.
Piece strings that are not UTF-8 (sentencepiece accepts them) parse as ``bytes`` with the
default upb protobuf runtime; the pure-Python runtime refuses them (ModelFormatError).
The charsmap's trie contents are not checked here (sentencepiece's "precompiled_charsmap
is invalid"); the C core's charsmap reader does that.

Example: ``proto = parse_model(open("llama2.model", "rb").read())``
"""

from __future__ import annotations

import re
import struct
from typing import Union

from google.protobuf.message import DecodeError, Message

from ..errors import ModelFormatError
from . import model_pb2

__all__ = ["parse_model", "check_model", "piece_key", "BYTE_PIECE_RE"]

PieceType = model_pb2.ModelProto.SentencePiece

#: The only valid BYTE piece strings: ``<0x00>`` .. ``<0xFF>``, upper-case hex.
BYTE_PIECE_RE = re.compile(r"<0x[0-9A-F]{2}>")

# Top-level fields: name and message class, for error messages.
_TOP_FIELDS: dict[int, tuple[str, type[Message]]] = {
    1: ("piece", model_pb2.ModelProto.SentencePiece),
    2: ("trainer_spec", model_pb2.TrainerSpec),
    3: ("normalizer_spec", model_pb2.NormalizerSpec),
    4: ("self_test_data", model_pb2.SelfTestData),
    5: ("denormalizer_spec", model_pb2.NormalizerSpec),
}


def piece_key(piece: Union[str, bytes]) -> bytes:
    """The piece string as raw bytes (protobuf gives ``bytes`` for invalid UTF-8).

    Example: ``piece_key("▁the") == b"\\xe2\\x96\\x81the"``
    """
    if isinstance(piece, bytes):
        return piece
    return piece.encode("utf-8", "surrogateescape")


def _show(piece: Union[str, bytes]) -> str:
    return repr(piece) if isinstance(piece, bytes) else piece


def parse_model(data: Union[bytes, bytearray, memoryview], *, check: bool = True) -> model_pb2.ModelProto:
    """Parse the bytes of a ``.model`` file; with ``check``, also apply :func:`check_model`.

    Example: ``parse_model(b"")`` raises ``ModelFormatError("empty input: ...")``

    Raises:
        ModelFormatError: the bytes are not a protobuf ModelProto, or the model
            would be rejected by sentencepiece at load time.
    """
    data = bytes(data)
    if not data:
        raise ModelFormatError("empty input: a SentencePiece .model file is never empty")
    proto = model_pb2.ModelProto()
    try:
        proto.ParseFromString(data)
    except (DecodeError, UnicodeDecodeError):  # the pure-Python runtime checks UTF-8
        raise ModelFormatError(_diagnose(data)) from None
    if check:
        check_model(proto)
    return proto


def check_model(proto: model_pb2.ModelProto) -> None:
    """Raise :class:`ModelFormatError` if sentencepiece 0.2.3 would refuse to load ``proto``.

    Example: ``check_model(ModelProto())`` raises ``ModelFormatError("model has no trainer_spec ...")``
    """
    if not proto.HasField("trainer_spec"):
        raise ModelFormatError(
            "model has no trainer_spec (field 2): the file is truncated or is not a SentencePiece model"
        )
    if not proto.pieces:
        raise ModelFormatError("model has no pieces (field 1): the vocabulary is empty")
    byte_fallback = proto.trainer_spec.byte_fallback
    seen: dict[bytes, int] = {}
    unk_id = -1
    n_bytes = 0
    for i, p in enumerate(proto.pieces):
        if not p.piece:
            raise ModelFormatError(f"piece {i}: piece must not be empty.")
        key = piece_key(p.piece)
        if key in seen:
            raise ModelFormatError(
                f"piece {i}: {_show(p.piece)} is already defined. (it is also piece {seen[key]}; "
                "sentencepiece 0.2.3 rejects a repeated string whatever the pieces' types)"
            )
        seen[key] = i
        if p.type == PieceType.UNKNOWN:
            if unk_id >= 0:
                raise ModelFormatError(
                    f"piece {i}: unk is already defined. (piece {unk_id} is UNKNOWN too; "
                    "a model has at most one UNKNOWN piece)"
                )
            unk_id = i
        elif p.type == PieceType.BYTE:
            if not byte_fallback:
                raise ModelFormatError(
                    f"piece {i}: byte piece {_show(p.piece)} is found although `byte_fallback` is false."
                )
            if not (isinstance(p.piece, str) and BYTE_PIECE_RE.fullmatch(p.piece)):
                raise ModelFormatError(
                    f"piece {i}: byte piece {_show(p.piece)} is invalid. (must be <0xHH> "
                    "with two upper-case hex digits)"
                )
            n_bytes += 1
    if byte_fallback and n_bytes != 256:
        raise ModelFormatError(f"there are not 256 byte pieces although `byte_fallback` is true. (found {n_bytes})")
    if unk_id < 0 and not byte_fallback:
        raise ModelFormatError("unk is not defined. (no piece has type UNKNOWN)")
    for name in ("normalizer_spec", "denormalizer_spec"):
        if proto.HasField(name):
            _check_charsmap(name, getattr(proto, name).precompiled_charsmap)


def _check_charsmap(name: str, blob: bytes) -> None:
    """The blob header checks of sentencepiece 0.2.3's Normalizer (measured, in its order)."""
    if not blob:
        return
    where = f"{name}.precompiled_charsmap ({len(blob)} bytes)"
    if len(blob) <= 4:
        raise ModelFormatError(f"{where}: Blob for normalization rule is broken.")
    (trie_size,) = struct.unpack_from("<I", blob)
    if trie_size >= len(blob) - 4:
        raise ModelFormatError(f"{where}: Trie data size exceeds the input blob size. (trie size {trie_size})")
    if trie_size == 0 or trie_size % 1024:
        raise ModelFormatError(f"{where}: Trie data size is not divisible by 1024. (trie size {trie_size})")


class _Bad(Exception):
    pass


def _varint(data: bytes, pos: int, what: str) -> tuple[int, int]:
    start, value, shift = pos, 0, 0
    while True:
        if pos >= len(data):
            raise _Bad(f"truncated: {what} at byte {start} runs past the end of the data")
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, pos
        shift += 7
        if shift >= 70:
            raise _Bad(f"corrupt: {what} at byte {start} is longer than 10 bytes")


def _diagnose(data: bytes) -> str:
    """Walk the top-level fields to say where a failed parse went wrong."""
    head = "not a valid SentencePiece model: "
    if data.lstrip()[:1] in (b"{", b"["):
        return head + "the data looks like JSON (a Hugging Face tokenizer.json?), not a protobuf"
    pos, n_pieces = 0, 0
    try:
        while pos < len(data):
            start = pos
            tag, pos = _varint(data, pos, "field tag")
            field, wire = tag >> 3, tag & 7
            name, cls = _TOP_FIELDS.get(field, (f"field {field}", None))
            if field == 0:
                raise _Bad(f"corrupt: field number 0 at byte {start}")
            if wire == 0:
                _, pos = _varint(data, pos, f"value of {name}")
            elif wire in (1, 5):
                pos += 8 if wire == 1 else 4
                if pos > len(data):
                    raise _Bad(f"truncated: {name} at byte {start} runs past the end of the data")
            elif wire == 2:
                length, pos = _varint(data, pos, f"length of {name}")
                if field == 1:
                    name = f"piece {n_pieces}"
                    n_pieces += 1
                if pos + length > len(data):
                    raise _Bad(
                        f"truncated: {name} at byte {start} needs {length} bytes, only "
                        f"{len(data) - pos} remain (file size {len(data)})"
                    )
                if cls is not None:
                    try:
                        cls.FromString(data[pos : pos + length])
                    except DecodeError:
                        raise _Bad(
                            f"corrupt: {name} at byte {start} is not a valid {cls.DESCRIPTOR.name} message"
                        ) from None
                    except UnicodeDecodeError:
                        raise _Bad(
                            f"{name} at byte {start} holds a string that is not "
                            "UTF-8, which the pure-Python protobuf runtime refuses "
                            "(the default upb runtime accepts it)"
                        ) from None
                pos += length
            else:
                raise _Bad(f"corrupt: {name} at byte {start} has wire type {wire}, which no SentencePiece field uses")
    except _Bad as e:
        return head + str(e)
    return head + "protobuf parse failed"
