"""ConvertToFlatbuffer: a .model as sentencepiece 0.2.3's FlatBuffers model
(``.spm.fb``, for its lite runtime), byte for byte as the wheel writes it.

    >>> import spbpe
    >>> fb = spbpe.convert_to_flatbuffer(model_file="m.model")   # doctest: +SKIP

The layout (sentencepiece's ``sentencepiece_lite`` schema, read back from
the wheel's output): a root table of the pieces (strings), their scores
(float32; int32 for BPE), types (bytes), unk_id, unk_surface, model_type,
the normalizer (name, precompiled_charsmap, four flags), three darts-clone
double arrays as 8-aligned byte blobs (every piece -> id, user-defined
pieces -> id, and the pieces' character bigrams, whose leaves are patched to
point at the node of the bigram's second character), BPE's direct-mapping
flags, and bos/eos/pad ids found among the control pieces.  Built by
spbpe._api.flatbuilder, which lays bytes out as the C++ FlatBufferBuilder does.
"""

from __future__ import annotations

import os
import struct
from typing import Any, List, Optional, Tuple

from ._api.files import read_file
from ._api.flatbuilder import FlatBuilder
from ._charsmap.darts import build_double_array, build_keyset_array
from .errors import InputError

__all__ = ["ConvertToFlatbuffer", "convert_to_flatbuffer"]

_NORMAL, _UNKNOWN, _CONTROL, _USER, _UNUSED, _BYTE = 1, 2, 3, 4, 5, 6
_MAX_PIECE = 4096


def _invalid(message: str) -> InputError:
    return InputError("INVALID_ARGUMENT: " + message)


def _one_char_len(b: bytes, i: int) -> int:
    n = b"\1\1\1\1\1\1\1\1\1\1\1\1\2\2\3\4"[b[i] >> 4]
    return min(n, len(b) - i)


def _units_bytes(units: List[int]) -> bytes:
    return struct.pack("<%dI" % len(units), *units)


def _pieces_trie(elements: List[Tuple[bytes, int]]) -> bytes:
    """BuildDoubleArrayBlob: piece -> id, as a darts-clone DAWG."""
    if not elements:
        return b""
    elements = sorted(elements)
    for i in range(1, len(elements)):
        if elements[i][0] == elements[i - 1][0]:
            raise _invalid(f"Duplicate key for trie building: {elements[i][0].decode('utf-8', 'replace')}")
    return _units_bytes(build_double_array(elements))


def _unit_offset(u: int) -> int:
    return (u >> 10) << ((u & (1 << 9)) >> 6)


def _bigram_trie(bigrams: List[bytes]) -> bytes:
    """BuildBigramTrieBlob: the bigrams' plain trie, each leaf patched to
    (node of the bigram's second character) | 1 << 31."""
    if not bigrams:
        return b""
    units = build_keyset_array(bigrams)
    n = len(units)

    def node_pos(key: bytes) -> int:
        pos = 0
        for c in key:
            nxt = pos ^ _unit_offset(units[pos]) ^ c
            if nxt >= n or (units[nxt] & ((1 << 31) | 0xFF)) != c:
                return -1
            pos = nxt
        return pos

    def leaf_pos(key: bytes) -> int:
        pos = 0
        for c in key:
            if pos >= n:
                return -1
            pos ^= _unit_offset(units[pos]) ^ c
        if pos >= n:
            return -1
        leaf = pos ^ _unit_offset(units[pos])
        return leaf if leaf < n else -1

    patches = []
    for bg in bigrams:
        curr = node_pos(bg[_one_char_len(bg, 0) :])
        leaf = leaf_pos(bg)
        if leaf < 0:
            raise RuntimeError("Out-of-bounds leaf position in bigram trie patching.")
        patches.append((leaf, (max(curr, 0) | (1 << 31)) & 0xFFFFFFFF))
    for leaf, value in patches:
        units[leaf] = value
    return _units_bytes(units)


def _bigrams(pieces: List[bytes]) -> List[bytes]:
    out = set()
    for p in pieces:
        prev, i = 0, 0
        while i < len(p):
            ln = _one_char_len(p, i)
            if ln == 0:
                break
            if prev:
                out.add(p[i - prev : i + ln])
            prev = ln
            i += ln
    return sorted(out)


def _direct_mappings(model_bytes: bytes, pieces: List[bytes], types: List[int]) -> Optional[bytes]:
    """Per piece, 1 when encoding its text alone (already normalized) gives
    just its own id; None when no visible piece does.  Invisible pieces
    count as 1."""
    from ._proto import model_pb2
    from .processor import SentencePieceProcessor

    m = model_pb2.ModelProto.FromString(model_bytes)
    ns = m.normalizer_spec
    ns.precompiled_charsmap = b""
    ns.name = "identity"
    ns.add_dummy_prefix = False
    ns.remove_extra_whitespaces = False
    ns.escape_whitespaces = False
    sp = SentencePieceProcessor(model_proto=m.SerializeToString())
    flags = bytearray(len(pieces))
    any_direct = False
    for i, (p, t) in enumerate(zip(pieces, types)):
        if t in (_UNKNOWN, _CONTROL, _UNUSED, _BYTE):
            flags[i] = 1
            continue
        if sp.encode(p) == [i]:
            flags[i] = 1
            any_direct = True
    return bytes(flags) if any_direct else None


def _to_flatbuffer(
    model: bytes, skip_char_bigrams: bool, treat_null_byte_as_unused: bool, allow_unsupported_model_type: bool
) -> bytes:
    from ._proto import model_pb2

    try:
        proto = model_pb2.ModelProto.FromString(model)
    except Exception:
        raise _invalid("Failed to parse ModelProto from serialized bytes.") from None
    n = len(proto.pieces)
    if n <= 0 or n > 16000000:
        raise _invalid(f"Model vocabulary size ({n}) is out of safe bounds [1, 16,000,000].")
    is_bpe, byte_fallback = False, False
    unk_id, unk_surface, model_type = 0, b"", 1
    bos_piece, eos_piece, pad_piece = b"<s>", b"</s>", b"<pad>"
    if proto.HasField("trainer_spec"):
        ts = proto.trainer_spec
        if ts.model_type not in (1, 2) and not allow_unsupported_model_type:
            name = model_pb2.TrainerSpec.ModelType.Name(ts.model_type)
            raise _invalid(f"Unsupported model type: {name}")
        is_bpe = ts.model_type == 2
        byte_fallback = ts.byte_fallback
        unk_id, unk_surface, model_type = ts.unk_id, ts.unk_surface.encode(), ts.model_type
        bos_piece = ts.bos_piece.encode() or bos_piece
        eos_piece = ts.eos_piece.encode() or eos_piece
        pad_piece = ts.pad_piece.encode() or pad_piece
    bos_id = eos_id = pad_id = -1
    pieces: List[bytes] = []
    types: List[int] = []
    user: List[Tuple[bytes, int]] = []
    for i, sp in enumerate(proto.pieces):
        p, t = sp.piece.encode("utf-8", "surrogateescape"), sp.type
        if not p or len(p) > _MAX_PIECE:
            raise _invalid(f"Piece at index {i} is invalid (empty or too long).")
        if b"\0" in p:  # only a piece that is one NUL may become unused (the 0.2.3 wheel)
            if not (treat_null_byte_as_unused and byte_fallback and p == b"\0"):
                raise _invalid(f"Piece at index {i} is invalid (contains null byte).")
            p, t = f"<unused_{i}>".encode(), _UNUSED
        pieces.append(p)
        types.append(t)
        if t == _USER:
            user.append((p, i))
        if t == _CONTROL:
            bos_id = i if p == bos_piece else bos_id
            eos_id = i if p == eos_piece else eos_id
            pad_id = i if p == pad_piece else pad_id
    scores = [sp.score for sp in proto.pieces]

    pieces_trie = _pieces_trie([(p, i) for i, p in enumerate(pieces)])
    user_trie = _pieces_trie(user)
    bigram_trie = b""
    if is_bpe or not skip_char_bigrams:
        bigram_trie = _bigram_trie(_bigrams(pieces))
    direct = _direct_mappings(model, pieces, types) if is_bpe else None
    has_direct = direct is not None
    if direct is not None and all(direct):
        direct = None

    b = FlatBuilder()
    o_pieces = b.offset_vector([b.string(p) for p in pieces])
    o_scores = 0 if is_bpe else b.scalar_vector("f", scores)
    o_int = b.scalar_vector("i", [int(s) for s in scores]) if is_bpe else 0
    o_types = b.bytes_vector(bytes(types))
    o_surface = b.string(unk_surface) if unk_surface else 0
    o_norm = 0
    if proto.HasField("normalizer_spec"):
        ns = proto.normalizer_spec
        o_name = b.string(ns.name.encode()) if ns.name else 0
        o_map = b.bytes_vector(ns.precompiled_charsmap, 8) if ns.precompiled_charsmap else 0
        suffix = proto.trainer_spec.treat_whitespace_as_suffix if proto.HasField("trainer_spec") else False
        o_norm = b.table(
            [
                (1, "offset", o_map),
                (0, "offset", o_name),
                (5, "B", int(suffix)),
                (4, "B", int(ns.escape_whitespaces)),
                (3, "B", int(ns.remove_extra_whitespaces)),
                (2, "B", int(ns.add_dummy_prefix)),
            ],
            defaults={2: 1, 3: 1, 4: 1, 5: 0},
        )
    o_ptrie = b.bytes_vector(pieces_trie, 8) if pieces_trie else 0
    o_utrie = b.bytes_vector(user_trie, 8) if user_trie else 0
    o_btrie = b.bytes_vector(bigram_trie, 8) if bigram_trie else 0
    o_direct = b.bytes_vector(direct) if direct else 0
    root = b.table(
        [
            (15, "i", pad_id),
            (14, "i", eos_id),
            (13, "i", bos_id),
            (12, "offset", o_direct),
            (10, "offset", o_btrie),
            (9, "offset", o_utrie),
            (8, "offset", o_ptrie),
            (7, "offset", o_norm),
            (5, "offset", o_surface),
            (4, "i", unk_id),
            (3, "offset", o_types),
            (2, "offset", o_int),
            (1, "offset", o_scores),
            (0, "offset", o_pieces),
            (11, "B", int(has_direct)),
            (6, "B", model_type),
        ],
        defaults={15: -1, 14: -1, 13: -1, 4: 0, 6: 1, 11: 0},
    )
    return b.finish(root)


def ConvertToFlatbuffer(
    model_file: Any = None,
    model_proto: Any = None,
    serialized_model_proto: Any = None,
    output_file: Any = None,
    skip_char_bigrams: bool = False,
    treat_null_byte_as_unused: bool = False,
    allow_unsupported_model_type: bool = False,
) -> Optional[bytes]:
    """sentencepiece.ConvertToFlatbuffer: the FlatBuffers model as bytes, or
    None after writing it to output_file.

    Raises:
        ValueError: not exactly one input, an empty path, an unparsable or
            unsupported model (WORD/CHAR unless allow_unsupported_model_type).
        TypeError: model_proto / serialized_model_proto of the wrong type.
    """
    if sum(x is not None for x in (model_file, model_proto, serialized_model_proto)) != 1:
        raise ValueError("Exactly one of model_file, model_proto, or serialized_model_proto must be specified.")
    out_path = ""
    if output_file is not None:
        out_path = os.fsdecode(os.fspath(output_file))
        if not out_path:
            raise ValueError("output_file must not be empty.")
    if model_file is not None:
        path = os.fsdecode(os.fspath(model_file))
        if not path:
            raise ValueError("model_file must not be empty.")
        data = read_file(path)
    elif model_proto is not None:
        if hasattr(model_proto, "SerializeToString"):
            data = model_proto.SerializeToString()
        elif isinstance(model_proto, bytes):
            data = model_proto
        else:
            raise TypeError("model_proto must be a ModelProto object or bytes.")
    else:
        if not isinstance(serialized_model_proto, bytes):
            raise TypeError("serialized_model_proto must be bytes.")
        data = serialized_model_proto
    fb = _to_flatbuffer(
        data, bool(skip_char_bigrams), bool(treat_null_byte_as_unused), bool(allow_unsupported_model_type)
    )
    if out_path:
        with open(out_path, "wb") as f:
            f.write(fb)
        return None
    return fb


convert_to_flatbuffer = ConvertToFlatbuffer
