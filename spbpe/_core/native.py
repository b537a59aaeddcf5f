"""The binding of a loaded model and of a standalone normalizer (``spbpe._core._spbpe``).

It owns every C handle through ``ffi.gc``, turns status codes into
exceptions, passes input bytes to C without copying, and hands results back
as plain Python values: lists of ids (built from int32 buffers by
``spbpe._core._pylists``, a small CPython helper), bytes, and arrays of
offsets.  Nothing outside ``spbpe._core`` sees ``ffi`` or ``lib``.  cffi releases the GIL around every C call, and a
loaded model is immutable in C, so one :class:`NativeModel` can serve many
threads; each thread gets its own workspace.
"""

from __future__ import annotations

import threading
from array import array
from typing import List, Literal, NamedTuple, Optional, Sequence, Tuple, Union, overload

from .. import settings
from ..errors import OutOfMemoryError, OutOfRangeError
from . import _pylists, stream_parts
from ._spbpe import ffi, lib
from .results import (
    _SIZEOF_SIZE_T,
    _flat_ids,
    _ids_buffer,
    _ids_to_array_or_raise,
    _NoCycleCollection,
    _normalized,
    _pack_each,
    _split_ids,
)
from .status import raise_for_status

__all__ = ["NativeModel", "NativeNormalizer", "ModelInfo", "Spans", "VectorBuffer"]


class ModelInfo(NamedTuple):
    """What spbpe_model_info tells about a loaded model (ids are -1 when absent)."""

    piece_count: int
    unk_id: int
    bos_id: int
    eos_id: int
    pad_id: int
    model_type: int
    byte_fallback: int
    add_dummy_prefix: int
    remove_extra_whitespaces: int
    escape_whitespaces: int
    treat_whitespace_as_suffix: int
    has_charsmap: int
    has_denormalizer: int
    has_user_defined: int
    has_unused: int
    word_split_safe: int


class Spans(NamedTuple):
    """Where each token of an encoding comes from, as sentencepiece's
    begin/end: byte offsets into the normalized text and into the input
    (uint32 arrays, one entry per token)."""

    normalized: bytes
    norm_begin: array
    norm_end: array
    orig_begin: array
    orig_end: array


assert array("I").itemsize == 4  # the C core's uint32_t offsets

# A batch on several threads streams parts of about this many bytes: small
# enough that the lists of the last part cost little after the threads
# finish, big enough that each part's hand-off is negligible.
_PART_BYTES = 32 * 1024
_MAX_PARTS = 256  # each costs a C struct of about 350 bytes per thread
_NO_LIMIT = 1 << 62

# Texts this short encode straight into a per-thread int32 buffer: at most
# 3 ids per input byte, plus the dummy prefix.
_SHORT_TEXT = 1024
_SHORT_IDS = 3 * _SHORT_TEXT + 3

# Id lists this short decode through per-thread buffers; longer text than
# the buffer holds takes the general path.
_SHORT_DECODE = 256
_SHORT_TEXT_OUT = 16384


def _new_workspace():
    ws = lib.spbpe_workspace_new()
    if ws == ffi.NULL:
        raise OutOfMemoryError("could not allocate an spbpe workspace")
    return ffi.gc(ws, lib.spbpe_workspace_free)


def _uint32s(ptr, count: int) -> array:
    out = array("I")
    if count:
        out.frombytes(ffi.buffer(ptr, 4 * count))
    return out


def _spans(enc, count: int) -> Spans:
    """The Spans of an spbpe_encoding made with with_offsets."""
    normalized = ffi.unpack(ffi.cast("char *", enc.normalized), enc.normalized_len) if enc.normalized_len else b""
    return Spans(
        normalized,
        _uint32s(enc.norm_begin, count),
        _uint32s(enc.norm_end, count),
        _uint32s(enc.orig_begin, count),
        _uint32s(enc.orig_end, count),
    )


class NativeModel:
    """A loaded model in the C core, plus one workspace per thread."""

    def __init__(self, proto: bytes):
        if not isinstance(proto, (bytes, bytearray, memoryview)):
            raise TypeError(f"model bytes must be bytes, not {type(proto).__name__}")
        err = ffi.new("spbpe_error *")
        buf = ffi.from_buffer(proto)
        handle = lib.spbpe_model_new(buf, len(buf), err)
        if handle == ffi.NULL:
            raise_for_status(err.status, err)
        self._handle = ffi.gc(handle, lib.spbpe_model_free)
        info = ffi.new("spbpe_model_info *")
        lib.spbpe_model_get_info(self._handle, info)
        self.info = ModelInfo(*(getattr(info, name) for name in ModelInfo._fields))
        self.piece_count: int = info.piece_count
        self._local = threading.local()
        self._pieces: Optional[List[str]] = None
        self._pieces_bytes: Optional[List[bytes]] = None
        # PieceToId of a string that is never a piece answers the UNKNOWN
        # piece's id (which can differ from unk_id() when unk_piece is renamed).
        self.unk_index: int = lib.spbpe_model_piece_to_id(self._handle, b"", 0)
        self._id_table: Optional[tuple] = None  # table[i] == i, the ints every result list shares

    def close(self) -> None:
        """Free the C model now instead of at garbage collection."""
        if self._handle is not None:
            ffi.release(self._handle)
            self._handle = None

    # -------------------------------------------------------------- helpers
    def _ids(self) -> tuple:
        """The tuple of every id as an int, made on first use (0.35 ms for
        32k pieces, so loading does not pay for it)."""
        table = self._id_table
        if table is None:
            table = self._id_table = tuple(range(self.piece_count))
        return table

    def _ws(self):
        ws = getattr(self._local, "ws", None)
        if ws is None:
            ws = self._local.ws = _new_workspace()
            self._local.err = ffi.new("spbpe_error *")
            self._local.enc = ffi.new("spbpe_encoding *")
            self._local.opts = ffi.new("spbpe_encode_options *")
            self._local.dec = ffi.new("spbpe_decoded *")
            self._local.bids = ffi.new("spbpe_batch_ids *")
            self._local.btext = ffi.new("spbpe_batch_text *")
            self._local.first = ffi.new("size_t *")
            self._local.norm = ffi.new("spbpe_normalized *")
            self._local.out = ffi.new("int32_t[]", _SHORT_IDS)
            self._local.out_buf = ffi.buffer(self._local.out)
            self._local.dec_ids = bytearray(4 * _SHORT_DECODE)
            self._local.dec_ids_ptr = ffi.from_buffer("int32_t[]", self._local.dec_ids)
            self._local.dec_text = ffi.new("uint8_t[]", _SHORT_TEXT_OUT)
            self._local.dec_view = memoryview(ffi.buffer(self._local.dec_text))
        return ws

    # ----------------------------------------------------------- vocabulary
    def piece_bytes(self, i: int) -> bytes:
        n = ffi.new("size_t *")
        p = lib.spbpe_model_piece(self._handle, i, n)
        if p == ffi.NULL:
            raise OutOfRangeError(f"piece id is out of range: {i} (piece_size is {self.piece_count})")
        return ffi.unpack(ffi.cast("char *", p), n[0])

    def pieces_bytes(self) -> List[bytes]:
        """Every piece as bytes, built once on first use."""
        if self._pieces_bytes is None:
            self._pieces_bytes = [self.piece_bytes(i) for i in range(self.piece_count)]
        return self._pieces_bytes

    def pieces(self) -> List[str]:
        """Every piece as str, built once on first use."""
        if self._pieces is None:
            self._pieces = [p.decode("utf-8", "surrogateescape") for p in self.pieces_bytes()]
        return self._pieces

    def score(self, i: int) -> float:
        return lib.spbpe_model_score(self._handle, i)

    def type(self, i: int) -> int:
        return lib.spbpe_model_type(self._handle, i)

    def piece_to_id(self, piece: bytes) -> int:
        return lib.spbpe_model_piece_to_id(self._handle, piece, len(piece))

    def unk_surface(self) -> bytes:
        n = ffi.new("size_t *")
        p = lib.spbpe_model_unk_surface(self._handle, n)
        return ffi.unpack(ffi.cast("char *", p), n[0])

    # ---------------------------------------------------------------- calls
    # Four ways to encode, one per shape of result the API needs: encode
    # (the hot one: deterministic ids of one text), encode_ids (dropout,
    # the reference path, int32 bytes), encode_spans (ids with offsets) and
    # encode_batch.
    def encode(self, data: bytes) -> List[int]:
        """Deterministic ids of one UTF-8 text: the common case, kept short."""
        short = getattr(self._local, "short", None) or self._short()
        if len(data) <= _SHORT_TEXT:
            ws, out, out_buf, err = short
            n = lib.spbpe_encode_to(self._handle, data, len(data), ws, out, _SHORT_IDS, err)
            if n < 0:
                raise_for_status(-n, err)
            return _pylists.to_list(out_buf, n, self._id_table)
        loc = self._local
        enc = loc.enc
        st = lib.spbpe_encode(self._handle, data, len(data), ffi.NULL, loc.ws, enc, loc.err)
        if st:
            raise_for_status(st, loc.err)
        return _pylists.to_list(_ids_buffer(enc.ids, enc.count), enc.count, self._id_table)

    def _short(self) -> tuple:
        """This thread's (workspace, id buffer, its bytes, error struct) for
        encode, in one tuple: one thread-local lookup per call instead of
        four.  Also makes the id table."""
        self._ws()
        self._ids()
        loc = self._local
        loc.short = (loc.ws, loc.out, loc.out_buf, loc.err)
        return loc.short

    def _encode(
        self,
        data: bytes,
        alpha: float = 0.0,
        seed: int = 0,
        with_offsets: bool = False,
        reference_path: bool = False,
        nbest_size: Optional[int] = None,
    ):
        """spbpe_encode with options; returns the C encoding struct, valid
        until the next call on this thread (for this module, and for tests
        of the C core's counters).  nbest_size (not None) asks a unigram
        model to sample at inverse temperature alpha."""
        ws = self._ws()
        loc = self._local
        opts = loc.opts
        opts.alpha = alpha
        opts.seed = seed
        opts.with_offsets = 1 if with_offsets else 0
        opts.reference_path = 1 if reference_path else 0
        opts.sample = 0 if nbest_size is None else 1
        opts.nbest_size = 0 if nbest_size is None else nbest_size
        opts.nbest_timeout_ms = settings.current("nbest_timeout") if nbest_size is not None else 0
        st = lib.spbpe_encode(self._handle, data, len(data), opts, ws, loc.enc, loc.err)
        if st:
            raise_for_status(st, loc.err)
        return loc.enc

    @overload
    def encode_ids(
        self,
        data: bytes,
        alpha: float = ...,
        seed: int = ...,
        reference_path: bool = ...,
        int32: Literal[False] = ...,
        nbest_size: Optional[int] = ...,
    ) -> List[int]: ...

    @overload
    def encode_ids(
        self,
        data: bytes,
        alpha: float = ...,
        seed: int = ...,
        reference_path: bool = ...,
        *,
        int32: Literal[True],
        nbest_size: Optional[int] = ...,
    ) -> bytearray: ...

    def encode_ids(
        self,
        data: bytes,
        alpha: float = 0.0,
        seed: int = 0,
        reference_path: bool = False,
        int32: bool = False,
        nbest_size: Optional[int] = None,
    ) -> Union[List[int], bytearray]:
        """Ids of one text with BPE-dropout (alpha > 0, seeded), unigram
        sampling (nbest_size not None) or through the plain reference path;
        with int32, as int32 in a new bytearray (4 bytes an id, no list)."""
        enc = self._encode(data, alpha, seed, reference_path=reference_path, nbest_size=nbest_size)
        if int32:
            return bytearray(_ids_buffer(enc.ids, enc.count))
        return _pylists.to_list(_ids_buffer(enc.ids, enc.count), enc.count, self._ids())

    def encode_spans(
        self,
        data: bytes,
        alpha: float = 0.0,
        seed: int = 0,
        only_for_unknown: bool = False,
        nbest_size: Optional[int] = None,
    ) -> Tuple[List[int], Optional[Spans]]:
        """(ids, the tokens' Spans) of one text.  With only_for_unknown the
        spans are copied out only when an unknown token is among the ids
        (whose piece is the normalized text it covers), else None: pieces
        need spans for nothing else, and copying them costs more than the
        encode of a short line."""
        enc = self._encode(data, alpha, seed, with_offsets=True, nbest_size=nbest_size)
        count = enc.count
        ids = _pylists.to_list(_ids_buffer(enc.ids, count), count, self._ids())
        if only_for_unknown and self.unk_index not in ids:
            return ids, None
        return ids, _spans(enc, count)

    def normalize(self, data: bytes) -> Tuple[bytes, List[int]]:
        ws = self._ws()
        loc = self._local
        st = lib.spbpe_normalize(self._handle, data, len(data), ws, loc.norm, loc.err)
        if st:
            raise_for_status(st, loc.err)
        return _normalized(loc.norm)

    def _thread_handle(self, name: str, new, free):
        """This thread's C handle `name`, made by new() on first use."""
        handle = getattr(self._local, name, None)
        if handle is None:
            self._ws()  # the per-thread error and result structs
            handle = new()
            if handle == ffi.NULL:
                raise OutOfMemoryError(f"could not allocate an spbpe {name}")
            handle = ffi.gc(handle, free)
            setattr(self._local, name, handle)
        return handle

    def encode_batch(self, texts: list, num_threads: int) -> List[List[int]]:
        """Ids of every item of a list of str or bytes, on num_threads
        threads in all, part by part: this thread turns the texts into UTF-8 one
        part at a time and pushes it to C, then builds the lists of each
        part as soon as it is encoded, while C threads encode the rest (and
        encodes parts itself when it would otherwise wait).  The work that
        needs the interpreter lock, about a third, thus overlaps the
        encoding.  Raises TypeError for an item that is not str or bytes and
        UnicodeEncodeError for a str with a surrogate: the caller then
        converts the items one by one, with the documented errors."""
        ws = self._ws()
        stream = self._thread_handle("stream", lib.spbpe_encode_stream_new, lib.spbpe_encode_stream_free)
        loc = self._local
        table = self._ids()
        st = lib.spbpe_encode_stream_start(self._handle, num_threads, _MAX_PARTS, ws, stream, loc.err)
        if st:
            raise_for_status(st, loc.err)
        out: List[List[int]] = []
        try:
            first = _pylists.concat(texts, 0, _PART_BYTES)
            parts = stream_parts.push_parts(stream, texts, first, _PART_BYTES, _MAX_PARTS, loc.err)
            with _NoCycleCollection():
                for _ in parts:
                    st = lib.spbpe_encode_stream_next(stream, loc.bids, loc.first, loc.err)
                    if st:
                        raise_for_status(st, loc.err)
                    out += _split_ids(loc.bids, table)
        finally:
            lib.spbpe_encode_stream_end(stream)
        return out

    def encode_batch_flat(self, texts: list, num_threads: int) -> Tuple[array, array]:
        """Ids of every item of a list of str or bytes in one C call, as
        (int32 ids back to back, int64 offsets: item i is ids[offsets[i] :
        offsets[i + 1]]).  Raises as encode_batch for a bad item."""
        self._ws()
        loc = self._local
        batch = self._thread_handle("batch", lib.spbpe_batch_new, lib.spbpe_batch_free)
        blob, starts, _ = _pylists.concat(texts, 0, _NO_LIMIT)
        st = lib.spbpe_encode_batch(
            self._handle, blob, ffi.from_buffer("size_t[]", starts), len(texts), num_threads, batch, loc.bids, loc.err
        )
        if st:
            raise_for_status(st, loc.err)
        return _flat_ids(loc.bids)

    def decode_batch(self, seqs: List[Sequence[int]], num_threads: int, as_str: bool = False) -> list:
        """Text of every id sequence (str when as_str, else bytes), decoded
        in one C call on up to num_threads threads."""
        b = self._thread_handle("batch", lib.spbpe_batch_new, lib.spbpe_batch_free)
        loc = self._local
        flat: Union[bytes, array]
        starts: Union[bytes, array]
        try:
            flat, starts = _pylists.pack_many(seqs)
        except (TypeError, OverflowError):  # not lists of exact ints: one by one, with the documented errors
            flat, starts = _pack_each(seqs)
        st = lib.spbpe_decode_batch(
            self._handle,
            ffi.from_buffer("int32_t[]", flat),
            ffi.from_buffer("size_t[]", starts),
            len(seqs),
            num_threads,
            b,
            loc.btext,
            loc.err,
        )
        if st:
            raise_for_status(st, loc.err)
        out = loc.btext
        count = len(seqs)
        return _pylists.split_text(
            ffi.buffer(out.text, out.offsets[count]),
            ffi.buffer(out.offsets, (count + 1) * _SIZEOF_SIZE_T),
            count,
            as_str,
        )

    def decode_short(self, ids: list) -> Optional[memoryview]:
        """Text of a list of at most _SHORT_DECODE ints, as a view of a
        per-thread buffer (valid until the next call on this thread), or
        None when it does not fit there."""
        loc = self._local
        if getattr(loc, "ws", None) is None:
            self._ws()
        try:
            _pylists.pack(ids, loc.dec_ids)
        except (TypeError, OverflowError):
            return None  # the general path reports the bad id
        n = lib.spbpe_decode_to(self._handle, loc.dec_ids_ptr, len(ids), loc.ws, loc.dec_text, _SHORT_TEXT_OUT, loc.err)
        if n < 0:
            if -n == lib.SPBPE_ERR_LIMIT:
                return None
            raise_for_status(-n, loc.err)
        return loc.dec_view[:n]

    def decode_ids(self, ids: Sequence[int]) -> bytes:
        ws = self._ws()
        loc = self._local
        buf: Union[bytearray, array]
        try:
            if type(ids) is list or type(ids) is tuple:
                buf = bytearray(4 * len(ids))
                _pylists.pack(ids, buf)
            else:
                buf = array("i", ids)
        except (TypeError, OverflowError):
            buf = _ids_to_array_or_raise(ids)
        ptr = ffi.from_buffer("int32_t[]", buf)
        st = lib.spbpe_decode_ids(self._handle, ptr, len(ids), ws, loc.dec, loc.err)
        if st:
            raise_for_status(st, loc.err)
        return ffi.unpack(ffi.cast("char *", loc.dec.text), loc.dec.len) if loc.dec.len else b""

    def decode_pieces(self, pieces: Sequence[bytes]) -> bytes:
        ws = self._ws()
        loc = self._local
        blob = b"".join(pieces)
        lengths = ffi.new("size_t[]", [len(p) for p in pieces]) if pieces else ffi.NULL
        st = lib.spbpe_decode_pieces(self._handle, blob, lengths, len(pieces), ws, loc.dec, loc.err)
        if st:
            raise_for_status(st, loc.err)
        return ffi.unpack(ffi.cast("char *", loc.dec.text), loc.dec.len) if loc.dec.len else b""


class NativeNormalizer:
    """A standalone normalizer in the C core (a charsmap and four flags),
    plus one workspace per thread."""

    def __init__(
        self,
        charsmap: bytes,
        add_dummy_prefix: bool,
        remove_extra_whitespaces: bool,
        escape_whitespaces: bool,
        treat_whitespace_as_suffix: bool = False,
    ):
        err = ffi.new("spbpe_error *")
        buf = ffi.from_buffer(charsmap)
        handle = lib.spbpe_normalizer_new(
            buf,
            len(charsmap),
            int(add_dummy_prefix),
            int(remove_extra_whitespaces),
            int(escape_whitespaces),
            int(treat_whitespace_as_suffix),
            err,
        )
        if handle == ffi.NULL:
            raise_for_status(err.status, err)
        self._handle = ffi.gc(handle, lib.spbpe_normalizer_free)
        self._local = threading.local()

    def close(self) -> None:
        if self._handle is not None:
            ffi.release(self._handle)
            self._handle = None

    def normalize(self, data: bytes) -> Tuple[bytes, List[int]]:
        loc = self._local
        if getattr(loc, "ws", None) is None:
            loc.ws = _new_workspace()
            loc.err = ffi.new("spbpe_error *")
            loc.norm = ffi.new("spbpe_normalized *")
        st = lib.spbpe_normalizer_normalize(self._handle, data, len(data), loc.ws, loc.norm, loc.err)
        if st:
            raise_for_status(st, loc.err)
        return _normalized(loc.norm)


class VectorBuffer(bytearray):
    """int32 ids in memory numpy wraps without a copy, named as
    sentencepiece's buffer type (its tests look at ``array.base.obj``)."""

    def data_address(self) -> int:
        """Address of the first id, as sentencepiece's data_address()."""
        return int(ffi.cast("uintptr_t", ffi.from_buffer(self)))
