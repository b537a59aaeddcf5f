"""The only module that touches the compiled C core (``spbpe._spbpe``).

It owns every C handle through ``ffi.gc``, turns status codes into
exceptions, passes input bytes to C without copying, and hands results back
through int32 buffers.  cffi releases the GIL around every C call, and a
loaded model is immutable in C, so one :class:`NativeModel` can serve many
threads; each thread gets its own workspace.
"""

from __future__ import annotations

import gc
import os
import struct
import threading
from bisect import bisect_left
from concurrent.futures import ThreadPoolExecutor
from array import array
from itertools import accumulate
from typing import List, Optional, Sequence, Tuple

from ._spbpe import ffi, lib
from .errors import InputError, ModelFormatError, OutOfRangeError, SpbpeError, UnsupportedError

__all__ = ["NativeModel", "NativeNormalizer", "raise_for_status", "ffi"]

_STATUS_EXCEPTIONS = {
    lib.SPBPE_ERR_MODEL_FORMAT: ModelFormatError,
    lib.SPBPE_ERR_UNSUPPORTED: UnsupportedError,
    lib.SPBPE_ERR_OUT_OF_RANGE: OutOfRangeError,
    lib.SPBPE_ERR_INVALID_ARGUMENT: InputError,
    lib.SPBPE_ERR_LIMIT: InputError,
    lib.SPBPE_ERR_NOMEM: MemoryError,
}


def raise_for_status(status: int, err) -> None:
    """Raise the exception matching a C status code (no-op for SPBPE_OK)."""
    if status == lib.SPBPE_OK:
        return
    message = ffi.string(err.message).decode("utf-8", "replace") if err is not None else ""
    if not message:
        message = ffi.string(lib.spbpe_strerror(status)).decode()
    cls = _STATUS_EXCEPTIONS.get(status, SpbpeError)
    if cls is MemoryError:
        raise MemoryError(message)
    raise cls(message)


# A pipelined batch is cut into this many chunks per thread, of similar
# size in bytes and no smaller than _CHUNK_MIN_BYTES: big enough that a
# chunk's C call dwarfs the hand-off between threads, small enough for the
# two halves of the work to overlap (measured best at about 4).
_CHUNKS_PER_THREAD = 4
_CHUNK_MIN_BYTES = 64 * 1024

# Texts this short encode straight into a per-thread int32 buffer: at most
# 3 ids per input byte, plus the dummy prefix.
_SHORT_TEXT = 1024
_SHORT_IDS = 3 * _SHORT_TEXT + 3

# Id lists this short decode through per-thread buffers and precompiled
# int32 packers; longer text than the buffer holds takes the general path.
_SHORT_DECODE = 256
_SHORT_TEXT_OUT = 16384
_PACK_SHORT = [struct.Struct(f"{n}i") for n in range(_SHORT_DECODE + 1)]

_SIZE_T = "Q" if ffi.sizeof("size_t") == 8 else "I"


def _split_ids(ids_ptr, offsets_ptr, count: int) -> List[List[int]]:
    offs = ffi.unpack(offsets_ptr, count + 1)
    flat = array("i")
    if offs[-1]:
        flat.frombytes(ffi.buffer(ids_ptr, offs[-1] * 4))
    lst = flat.tolist()
    # Lists of ints cannot form cycles; without this, building many of them
    # sets off the cyclic garbage collector over and over.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return list(map(lst.__getitem__, map(slice, offs[:-1], offs[1:])))
    finally:
        if was_enabled:
            gc.enable()


# struct packs a list of ints to int32 about twice as fast as array(), and
# twice as fast again through one compiled Struct for fixed-size chunks
# rather than a new format per length.
_PACK_CHUNK = 8192
_PACK_STRUCT = struct.Struct(f"{_PACK_CHUNK}i")


def _pack_int32(n: int, ids: list):
    if n <= _PACK_CHUNK:
        return struct.pack(f"{n}i", *ids)
    buf = bytearray(4 * n)
    full = n - n % _PACK_CHUNK
    pack_into = _PACK_STRUCT.pack_into
    for i in range(0, full, _PACK_CHUNK):
        pack_into(buf, 4 * i, *ids[i:i + _PACK_CHUNK])
    if n > full:
        struct.pack_into(f"{n - full}i", buf, 4 * full, *ids[full:])
    return buf


def _ids_to_array_or_raise(ids) -> array:
    """int32 array of ids, or the documented error for a bad element."""
    try:
        return array("i", ids)
    except TypeError:
        bad = next((i for i in ids if not isinstance(i, int) and not hasattr(i, "__index__")), None)
        raise TypeError(f"ids must be int, not {type(bad).__name__}") from None
    except OverflowError:
        bad = next(i for i in ids if not -(2**31) <= i < 2**31)
        raise OutOfRangeError(f"piece id is out of range: {bad}") from None


def _normalized(nm) -> Tuple[bytes, List[int]]:
    """(normalized bytes, norm_to_orig list) out of an spbpe_normalized."""
    text = ffi.unpack(ffi.cast("char *", nm.text), nm.len) if nm.len else b""
    align = array("I")
    if nm.norm_to_orig_count:
        align.frombytes(ffi.buffer(nm.norm_to_orig, nm.norm_to_orig_count * 4))
    return text, align.tolist()


def _new_workspace():
    ws = lib.spbpe_workspace_new()
    if ws == ffi.NULL:
        raise MemoryError("could not allocate an spbpe workspace")
    return ffi.gc(ws, lib.spbpe_workspace_free)


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
        self.info = info[0]
        self.piece_count: int = info.piece_count
        self._local = threading.local()
        self._pieces: Optional[List[str]] = None
        self._pieces_bytes: Optional[List[bytes]] = None
        # PieceToId of a string that is never a piece answers the UNKNOWN
        # piece's id (which can differ from unk_id() when unk_piece is renamed).
        self.unk_index: int = lib.spbpe_model_piece_to_id(self._handle, b"", 0)
        self._pool: Optional[ThreadPoolExecutor] = None  # batch workers, made on first use
        self._pool_size = 0
        self._pool_pid = 0
        self._pool_lock = threading.Lock()

    def close(self) -> None:
        """Free the C model now instead of at garbage collection."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        if self._handle is not None:
            ffi.release(self._handle)
            self._handle = None

    # -------------------------------------------------------------- helpers
    def _ws(self):
        ws = getattr(self._local, "ws", None)
        if ws is None:
            ws = self._local.ws = _new_workspace()
            self._local.err = ffi.new("spbpe_error *")
            self._local.enc = ffi.new("spbpe_encoding *")
            self._local.opts = ffi.new("spbpe_encode_options *")
            self._local.dec = ffi.new("spbpe_decoded *")
            self._local.norm = ffi.new("spbpe_normalized *")
            self._local.out = ffi.new("int32_t[]", _SHORT_IDS)
            self._local.out_view = memoryview(ffi.buffer(self._local.out)).cast("i")
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
    def encode(self, data: bytes, alpha: float = 0.0, seed: int = 0, with_offsets: bool = False,
               reference_path: bool = False):
        """Encode UTF-8 bytes; returns the C encoding struct (valid until the
        next call on this thread)."""
        ws = self._ws()
        loc = self._local
        opts = loc.opts
        opts.alpha = alpha
        opts.seed = seed
        opts.with_offsets = 1 if with_offsets else 0
        opts.reference_path = 1 if reference_path else 0
        st = lib.spbpe_encode(self._handle, data, len(data), opts, ws, loc.enc, loc.err)
        if st:
            raise_for_status(st, loc.err)
        return loc.enc

    def encode_plain(self, data: bytes) -> List[int]:
        """The common case, kept short: deterministic ids of one text."""
        loc = self._local
        ws = getattr(loc, "ws", None) or self._ws()
        if len(data) <= _SHORT_TEXT:
            n = lib.spbpe_encode_to(self._handle, data, len(data), ws, loc.out, _SHORT_IDS, loc.err)
            if n < 0:
                raise_for_status(-n, loc.err)
            return loc.out_view[:n].tolist()
        enc = loc.enc
        st = lib.spbpe_encode(self._handle, data, len(data), ffi.NULL, ws, enc, loc.err)
        if st:
            raise_for_status(st, loc.err)
        n = enc.count
        if n < 64:
            return ffi.unpack(enc.ids, n) if n else []
        out = array("i")
        out.frombytes(ffi.buffer(enc.ids, n * 4))
        return out.tolist()

    def encode_full(self, data: bytes, alpha: float = 0.0, seed: int = 0):
        """(encoding struct with spans, ids as a list)."""
        enc = self.encode(data, alpha, seed, with_offsets=True)
        out = array("i")
        if enc.count:
            out.frombytes(ffi.buffer(enc.ids, enc.count * 4))
        return enc, out.tolist()

    def encode_ids(self, data: bytes, alpha: float = 0.0, seed: int = 0, reference_path: bool = False) -> List[int]:
        enc = self.encode(data, alpha, seed, reference_path=reference_path)
        out = array("i")
        if enc.count:
            out.frombytes(ffi.buffer(enc.ids, enc.count * 4))
        return out.tolist()

    def normalize(self, data: bytes) -> Tuple[bytes, List[int]]:
        ws = self._ws()
        loc = self._local
        st = lib.spbpe_normalize(self._handle, data, len(data), ws, loc.norm, loc.err)
        if st:
            raise_for_status(st, loc.err)
        return _normalized(loc.norm)

    def _batch(self):
        b = getattr(self._local, "batch", None)
        if b is None:
            self._ws()  # the per-thread error and result structs
            b = lib.spbpe_batch_new()
            if b == ffi.NULL:
                raise MemoryError("could not allocate an spbpe batch")
            b = self._local.batch = ffi.gc(b, lib.spbpe_batch_free)
            self._local.bids = ffi.new("spbpe_batch_ids *")
            self._local.btext = ffi.new("spbpe_batch_text *")
        return b

    def _worker_pool(self, num_threads: int) -> ThreadPoolExecutor:
        with self._pool_lock:
            # A forked child inherits the pool but not its threads: start anew.
            if self._pool is None or self._pool_size < num_threads or self._pool_pid != os.getpid():
                if self._pool is not None and self._pool_pid == os.getpid():
                    self._pool.shutdown(wait=False)
                self._pool = ThreadPoolExecutor(num_threads, thread_name_prefix="spbpe")
                self._pool_size = num_threads
                self._pool_pid = os.getpid()
            return self._pool

    def encode_batch(self, items: List[bytes], num_threads: int) -> List[List[int]]:
        """Ids of every item, encoded on up to num_threads threads."""
        blob = b"".join(items)
        return self._encode_blob(blob, array(_SIZE_T, accumulate(map(len, items), initial=0)), num_threads)

    def encode_batch_str(self, texts: List[str], num_threads: int) -> List[List[int]]:
        """encode_batch for a list of str, without a Python-level loop over
        the texts.  Raises TypeError/UnicodeEncodeError for items the caller
        must then convert one by one."""
        joined = "".join(texts)
        blob = joined.encode("utf-8")
        starts = array(_SIZE_T, accumulate(map(len, texts), initial=0))
        if len(blob) != len(joined):  # str lengths of non-ASCII text: byte offsets from C
            self._ws()  # the per-thread error struct
            err = self._local.err
            st = lib.spbpe_char_to_byte_offsets(blob, len(blob), ffi.from_buffer("size_t[]", starts), len(starts),
                                                err)
            if st:
                raise_for_status(st, err)
        return self._encode_blob(blob, starts, num_threads)

    def _encode_blob(self, blob: bytes, starts: array, num_threads: int) -> List[List[int]]:
        """Ids of the texts blob[starts[i]:starts[i + 1]].

        With several threads and enough texts, chunks of them go to a pool of
        Python threads, each encoding its chunk in C (GIL released) and then
        building that chunk's lists (GIL held): building lists costs about
        as much as encoding, so C threads alone would leave it serial, while
        here one thread's encoding overlaps another's list building."""
        count = len(starts) - 1
        starts_ptr = ffi.from_buffer("size_t[]", starts)
        total = starts[-1] - starts[0]
        chunks = min(_CHUNKS_PER_THREAD * num_threads, total // _CHUNK_MIN_BYTES, count)
        if num_threads < 2 or chunks < 2:
            return self._encode_range(blob, starts_ptr, 0, count, num_threads)
        cuts = sorted({0, count, *(bisect_left(starts, starts[0] + total * k // chunks) for k in range(1, chunks))})
        pool = self._worker_pool(num_threads)
        out: list = []
        for part in pool.map(lambda i: self._encode_range(blob, starts_ptr, cuts[i], cuts[i + 1], 1),
                             range(len(cuts) - 1)):
            out += part
        return out

    def _encode_range(self, blob: bytes, starts_ptr, first: int, last: int, num_threads: int) -> List[List[int]]:
        b = self._batch()
        loc = self._local
        st = lib.spbpe_encode_batch(self._handle, blob, starts_ptr + first, last - first, num_threads, b, loc.bids,
                                    loc.err)
        if st:
            raise_for_status(st, loc.err)
        return _split_ids(loc.bids.ids, loc.bids.offsets, last - first)

    def decode_batch(self, seqs: List[Sequence[int]], num_threads: int) -> List[bytes]:
        """Text of every id sequence, decoded in one C call."""
        b = self._batch()
        loc = self._local
        flat = array("i")
        starts = array(_SIZE_T, [0])
        try:
            for seq in seqs:
                flat.extend(seq)
                starts.append(len(flat))
        except TypeError:
            raise TypeError("ids must be int") from None
        except OverflowError:
            raise OutOfRangeError("piece id is out of range (beyond int32)") from None
        st = lib.spbpe_decode_batch(self._handle, ffi.from_buffer("int32_t[]", flat),
                                    ffi.from_buffer("size_t[]", starts), len(seqs), num_threads, b, loc.btext, loc.err)
        if st:
            raise_for_status(st, loc.err)
        out = loc.btext
        offs = ffi.unpack(out.offsets, len(seqs) + 1)
        text = ffi.unpack(ffi.cast("char *", out.text), offs[-1]) if offs[-1] else b""
        return [text[offs[i]:offs[i + 1]] for i in range(len(seqs))]

    def decode_short(self, ids: list) -> Optional[memoryview]:
        """Text of a list of at most _SHORT_DECODE ints, as a view of a
        per-thread buffer (valid until the next call on this thread), or
        None when it does not fit there."""
        loc = self._local
        if getattr(loc, "ws", None) is None:
            self._ws()
        try:
            _PACK_SHORT[len(ids)].pack_into(loc.dec_ids, 0, *ids)
        except (TypeError, struct.error):
            return None  # the general path reports the bad id
        n = lib.spbpe_decode_to(self._handle, loc.dec_ids_ptr, len(ids), loc.ws, loc.dec_text, _SHORT_TEXT_OUT,
                                loc.err)
        if n < 0:
            if -n == lib.SPBPE_ERR_LIMIT:
                return None
            raise_for_status(-n, loc.err)
        return loc.dec_view[:n]

    def decode_ids(self, ids: Sequence[int]) -> bytes:
        ws = self._ws()
        loc = self._local
        try:
            buf = _pack_int32(len(ids), ids) if type(ids) is list else array("i", ids)
        except (TypeError, OverflowError, struct.error):
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

    def __init__(self, charsmap: bytes, add_dummy_prefix: bool, remove_extra_whitespaces: bool,
                 escape_whitespaces: bool, treat_whitespace_as_suffix: bool = False):
        err = ffi.new("spbpe_error *")
        buf = ffi.from_buffer(charsmap)
        handle = lib.spbpe_normalizer_new(buf, len(charsmap), int(add_dummy_prefix), int(remove_extra_whitespaces),
                                          int(escape_whitespaces), int(treat_whitespace_as_suffix), err)
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
