"""Encode results with offsets: sentencepiece's SentencePieceText, and
``encode_with_offsets``.

    >>> sp.encode("Hello world", out_type="proto").pieces[1].begin  # doctest: +SKIP
    5
    >>> sp.encode_with_offsets("Hello wörld")                        # doctest: +SKIP
    [(15043, 0, 5), (281, 5, 7), (9618, 7, 11)]

``out_type="proto"`` returns a protobuf message shaped like sentencepiece's
``sentencepiece_pb2.SentencePieceText`` (``text``, ``score``, and ``pieces``
with ``piece``, ``id``, ``surface``, ``begin``, ``end``), and
``"serialized_proto"`` its bytes, equal to sentencepiece 0.2.3's.  The schema
is built at import time under the package ``spbpe`` so that it never clashes
with sentencepiece's own module in protobuf's descriptor pool.

Offsets follow sentencepiece exactly:

* ``begin``/``end`` are byte offsets into the UTF-8 input and ``surface`` is
  that slice of the input.  A piece that is only the dummy-prefix ``▁`` has
  an empty span at the first kept input byte (or at the end, for
  ``treat_whitespace_as_suffix``), and a piece that ends inside the
  replacement of one input unit (``ﬁ`` -> ``fi``) ends at that unit's start.
* Byte-fallback pieces of one character: the **last** byte piece gets the
  character's span and surface; the ones before it get an empty span at the
  character's start and an empty surface (``😀`` -> ``<0xF0>`` (6,6),
  ``<0x9F>`` (6,6), ``<0x98>`` (6,6), ``<0x80>`` (6,10)).
* A run of unknown characters without byte fallback is one piece whose
  ``piece`` is the normalized text it covers, with id ``unk_id``.
* Input that is not valid UTF-8 (bytes) gives ``text``/``surface`` values of
  type bytes where the slice is not UTF-8, as sentencepiece's does.

``encode_with_offsets`` gives ``(id, start, end)`` with *character* offsets
into a str input (byte offsets for bytes input), converted exactly as
sentencepiece's ``out_type="offset_mapping"`` (see
spbpe._core.text.byte_to_char_offsets).
"""

from __future__ import annotations

from typing import Any, List, Optional, Sequence, Set, Tuple

from .wire import length_delimited, varint

__all__ = ["SentencePieceText", "NBestSentencePieceText", "encode_proto", "encode_with_offsets", "serialize_pieces"]

_PIECE_BYTE = 6


def _build_message_classes():
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    name = "spbpe/sentencepiece_text.proto"
    pool = descriptor_pool.Default()
    try:
        fd = pool.FindFileByName(name)
    except KeyError:
        f = descriptor_pb2.FileDescriptorProto(name=name, package="spbpe", syntax="proto2")
        text = f.message_type.add(name="SentencePieceText")
        T = descriptor_pb2.FieldDescriptorProto
        opt = T.LABEL_OPTIONAL
        piece = text.nested_type.add(name="SentencePiece")
        for num, fname, ftype in (
            (1, "piece", T.TYPE_STRING),
            (2, "id", T.TYPE_UINT32),
            (3, "surface", T.TYPE_STRING),
            (4, "begin", T.TYPE_UINT32),
            (5, "end", T.TYPE_UINT32),
        ):
            piece.field.add(name=fname, number=num, type=ftype, label=opt)
        text.field.add(name="text", number=1, type=T.TYPE_STRING, label=opt)
        text.field.add(
            name="pieces",
            number=2,
            type=T.TYPE_MESSAGE,
            label=T.LABEL_REPEATED,
            type_name=".spbpe.SentencePieceText.SentencePiece",
        )
        text.field.add(name="score", number=3, type=T.TYPE_FLOAT, label=opt)
        nbest = f.message_type.add(name="NBestSentencePieceText")
        nbest.field.add(
            name="nbests", number=1, type=T.TYPE_MESSAGE, label=T.LABEL_REPEATED, type_name=".spbpe.SentencePieceText"
        )
        pool.AddSerializedFile(f.SerializeToString())
        fd = pool.FindFileByName(name)
    return tuple(
        message_factory.GetMessageClass(fd.message_types_by_name[n])
        for n in ("SentencePieceText", "NBestSentencePieceText")
    )


SentencePieceText, NBestSentencePieceText = _build_message_classes()


_SMALL_VARINTS: List[bytes] = []


def _varints() -> List[bytes]:
    """varint(n) for every n below 2**14 (two bytes at most), made on first
    use: the offsets and lengths of a proto are almost all small, and a
    table lookup is many times faster than the varint loop (an n-best
    proto writes hundreds of thousands of them)."""
    if not _SMALL_VARINTS:
        _SMALL_VARINTS.extend(varint(n) for n in range(1 << 14))
    return _SMALL_VARINTS


def serialize_pieces(text: bytes, pieces: Sequence[Tuple[bytes, int, Optional[bytes], int, int]]) -> bytes:
    """SentencePieceText bytes as sentencepiece's SerializeAsString writes
    them: text, then every piece's fields in order (surface left out when
    it is None: the leading byte pieces of one character), no score."""
    small = _varints()
    limit = len(small)

    def v(n: int) -> bytes:
        return small[n] if 0 <= n < limit else varint(n)

    heads: dict = {}  # (piece, id) -> its two leading fields, written once per distinct piece
    out = bytearray(length_delimited(1, text))
    for piece, pid, surface, begin, end in pieces:
        head = heads.get((piece, pid))
        if head is None:
            head = heads[piece, pid] = b"\x0a" + v(len(piece)) + piece + b"\x10" + varint(pid & 0xFFFFFFFF)
        # v() inlined for begin and end: this loop is the whole cost of an n-best proto
        tail = (
            b"\x20"
            + (small[begin] if begin < limit else varint(begin))
            + b"\x28"
            + (small[end] if end < limit else varint(end))
        )
        body = head + tail if surface is None else head + b"\x1a" + v(len(surface)) + surface + tail
        out += b"\x12"
        out += v(len(body))
        out += body
    return bytes(out)


def _byte_ids(model) -> Set[int]:
    ids = getattr(model, "_offsets_byte_ids", None)
    if ids is None:
        ids = {i for i in range(model.piece_count) if model.type(i) == _PIECE_BYTE}
        model._offsets_byte_ids = ids
    return ids


def _pieces(model, data: bytes, alpha: float, seed: int, nbest_size: Optional[int] = None):
    """(piece bytes, id, surface bytes or None, begin, end) per token, byte offsets."""
    ids, spans = model.encode_spans(data, alpha, seed, nbest_size=nbest_size)
    table = model.pieces_bytes()
    unk_index = model.unk_index
    byte_ids = _byte_ids(model) if model.info.byte_fallback else ()
    norm, norm_begin, norm_end = spans.normalized, spans.norm_begin, spans.norm_end
    out = []
    for k, (i, b, e) in enumerate(zip(ids, spans.orig_begin, spans.orig_end)):
        piece = norm[norm_begin[k] : norm_end[k]] if i == unk_index else table[i]
        surface: Optional[bytes] = data[b:e]
        if i in byte_ids:
            # A byte piece made by byte fallback: only the one that ends its
            # (normalized) character carries the surface.
            ne = norm_end[k]
            if ne < len(norm) and norm[ne] & 0xC0 == 0x80:
                surface = None
        out.append((piece, i, surface, b, e))
    return out


def encode_proto(
    model, data: bytes, alpha: float = 0.0, seed: int = 0, serialized: bool = False, nbest_size: Optional[int] = None
) -> Any:
    """One input's SentencePieceText (or its bytes with `serialized`); nbest_size: unigram sampling."""
    blob = serialize_pieces(data, _pieces(model, data, alpha, seed, nbest_size))
    return blob if serialized else SentencePieceText.FromString(blob)


def encode_with_offsets(model, text: Any, alpha: float = 0.0, seed: int = 0) -> List[Tuple[int, int, int]]:
    """[(id, start, end)]: character offsets into a str, byte offsets into bytes."""
    from .._core.text import byte_to_char_offsets as _byte_to_char_offsets
    from .._core.text import to_bytes as _to_bytes

    data = _to_bytes(text)
    spans = [(i, b, e) for _, i, _, b, e in _pieces(model, data, alpha, seed)]
    if not isinstance(text, str):
        return spans
    table = _byte_to_char_offsets(data)
    return [(i, table[b], table[e]) for i, b, e in spans]


_SPACE = "\u2581".encode()


def _valid_char_len(data: bytes, offset: int) -> int:
    """sentencepiece's IsValidDecodeUTF8 at `offset`: the length of a
    well-formed character there, or 0 (then one byte is consumed)."""
    lead = data[offset]
    n = 1 if lead < 0x80 else 2 if 0xC0 <= lead < 0xE0 else 3 if 0xE0 <= lead < 0xF0 else 4 if lead >= 0xF0 else 0
    if n == 0:
        return 0
    try:
        data[offset : offset + n].decode("utf-8")
    except UnicodeDecodeError:
        return 0
    return n


def decode_pieces_text(model, pieces: List[bytes]) -> Tuple[bytes, List[Tuple[bytes, int, bytes, int, int]]]:
    """sentencepiece's Decode(pieces, &SentencePieceText): the decoded text and
    (piece, id, surface, begin, end) per piece, offsets into that text.

    Control pieces decode to nothing; an unknown piece to unk_surface when
    it spells the unknown piece (else to itself); ``▁`` to a space, minus
    one leading ``▁`` of the first piece that prints (the dummy prefix,
    when the model adds one or removes extra whitespace); a run of byte
    pieces to UTF-8, the last byte piece of each character holding its
    surface (the ones before it an empty one) and each malformed byte
    becoming U+FFFD.  With a denormalizer the text is denormalized, the
    surfaces are not, as in sentencepiece."""
    info = model.info
    table = model.pieces_bytes()
    unk_surface = model.unk_surface()
    strip_first = bool(info.add_dummy_prefix or info.remove_extra_whitespaces)
    ids = [model.piece_to_id(p) for p in pieces]
    types = [model.type(i) for i in ids]
    out: List[Tuple[bytes, int, bytes, int, int]] = []
    text = bytearray()

    def put(k: int, surface: bytes) -> None:
        out.append((pieces[k], ids[k], surface, len(text), len(text) + len(surface)))
        text.extend(surface)

    def put_bytes(begin: int, end: int) -> None:
        data = bytes(int(pieces[k][3:5], 16) for k in range(begin, end))
        offset = 0
        while offset < len(data):
            n = _valid_char_len(data, offset)
            if n == 0:
                put(begin + offset, "\ufffd".encode())
                offset += 1
                continue
            for j in range(n - 1):
                put(begin + offset + j, b"")
            put(begin + offset + n - 1, data[offset : offset + n])
            offset += n

    byte_start = 0
    is_bos_ws, bos_ws_seen = True, False
    for k, piece in enumerate(pieces):
        if types[k] == _PIECE_BYTE:
            continue
        put_bytes(byte_start, k)
        if bos_ws_seen or text:
            is_bos_ws = False
        byte_start = k + 1
        bos_ws_seen = False
        if types[k] == 3:  # CONTROL: invisible
            surface = b""
        elif types[k] == 2:  # UNKNOWN
            surface = unk_surface if table[ids[k]] == piece else piece
        else:
            if is_bos_ws and strip_first and piece.startswith(_SPACE):
                piece = piece[len(_SPACE) :]
                bos_ws_seen = not info.remove_extra_whitespaces
            surface = piece.replace(_SPACE, b" ")
        put(k, surface)
    put_bytes(byte_start, len(pieces))
    if info.has_denormalizer:
        return model.decode_pieces(pieces), out
    return bytes(text), out
