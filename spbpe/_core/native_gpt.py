"""The binding of the byte-level BPE engine (``csrc/bytelevel``): a rank
table in C plus one workspace per thread.

It owns the C handles through ``ffi.gc``, turns status codes into
exceptions, passes text to C without copying and hands back lists of ints
and bytes.  cffi releases the GIL around every C call and the table is
immutable in C, so one :class:`NativeByteLevel` serves many threads.
Nothing outside ``spbpe._core`` sees ``ffi`` or ``lib``.
"""

from __future__ import annotations

import os
import threading
from array import array
from itertools import accumulate
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from ..errors import OutOfMemoryError
from . import _pylists, stream_parts
from ._spbpe import ffi, lib
from .results import _SIZE_T, _SIZEOF_SIZE_T, _flat_ids, _ids_buffer, _NoCycleCollection, _pack_each, _split_ids
from .status import raise_for_status

__all__ = ["NativeByteLevel", "SPECIAL_BIT", "ORDINARY", "ALLOWED", "DISALLOWED", "has_builtin_pretok"]

#: A chunk start with this bit set marks the text of a special token.
SPECIAL_BIT = 1 << 31
#: Special modes, one byte per special token (spbpe_bytelevel_options).
ORDINARY, ALLOWED, DISALLOWED = 0, 1, 2
_NO_CHUNKS = ffi.new("uint32_t[2]")  # a non-NULL pointer for zero chunks
_NO_LIMIT = 1 << 62
# A batch on several threads streams parts of about this many bytes (the
# SentencePiece engine's figures, spbpe._core.native): small enough that the
# lists of the last part cost little after the threads finish, big enough
# that each part's hand-off is negligible.
_PART_BYTES = 32 * 1024
_MAX_PARTS = 256
# More threads than CPUs only take turns, and take the CPU from the thread
# that builds the lists: a batch runs on at most this many.
_CPUS = os.cpu_count() or 1


def _flat(items: Sequence[bytes]) -> Tuple[bytes, array]:
    """items back to back, and the size_t starts (len + 1 of them)."""
    starts = array(_SIZE_T, [0])
    starts.extend(accumulate(map(len, items)))
    return b"".join(items), starts


def has_builtin_pretok() -> bool:
    """Whether this build of the core has the C pre-tokenizer of the four
    built-in patterns (else every pattern is split with ``regex``)."""
    return bool(lib.spbpe_bytelevel_builtin_pretok())


def _utf8_str(dec, errors: str) -> str:
    """str(decoded bytes, "utf-8", errors), the str made in its final size
    and kind by _pylists.utf8_str (CPython's decoder widens and reallocates
    as it meets wider characters: most of a decode's time on multilingual
    text).  Its plain twin is the str() call it falls back to."""
    if not dec.len:
        return ""
    buf = ffi.buffer(dec.text, dec.len)
    text = _pylists.utf8_str(buf, errors)
    return text if text is not None else str(buf, "utf-8", errors)


class NativeByteLevel:
    """A rank table in the C core.

    Args:
        mergeable_ranks: token bytes -> rank.
        special_tokens: special token text -> value, in a fixed order (the
            special modes passed to encode follow it).
        pretok: the built-in pre-tokenizer (1-4), or 0 when the caller
            always passes chunks.
    """

    def __init__(self, mergeable_ranks: Dict[bytes, int], special_tokens: Dict[str, int], pretok: int):
        tokens, starts = _flat(list(mergeable_ranks))
        ranks = array("I", mergeable_ranks.values())
        specials, sstarts = _flat([s.encode("utf-8") for s in special_tokens])
        sids = array("I", special_tokens.values())
        err = ffi.new("spbpe_error *")
        handle = lib.spbpe_bytelevel_new(
            tokens,
            ffi.from_buffer("size_t[]", starts),
            ffi.from_buffer("uint32_t[]", ranks),
            len(ranks),
            specials,
            ffi.from_buffer("size_t[]", sstarts),
            ffi.from_buffer("uint32_t[]", sids) if len(sids) else ffi.NULL,
            len(sids),
            pretok,
            err,
        )
        if handle == ffi.NULL:
            raise_for_status(err.status, err)
        self._handle = ffi.gc(handle, lib.spbpe_bytelevel_free)
        self.id_limit: int = lib.spbpe_bytelevel_id_limit(self._handle)
        self._table = tuple(range(self.id_limit))
        self._local = threading.local()

    def close(self) -> None:
        """Free the C table now instead of at garbage collection."""
        if self._handle is not None:
            ffi.release(self._handle)
            self._handle = None

    def _thread(self):
        loc = self._local
        if getattr(loc, "ws", None) is None:
            ws = lib.spbpe_workspace_new()
            if ws == ffi.NULL:
                raise OutOfMemoryError("could not allocate an spbpe workspace")
            loc.ws = ffi.gc(ws, lib.spbpe_workspace_free)
            loc.err = ffi.new("spbpe_error *")
            loc.out = ffi.new("spbpe_bytelevel_ids *")
            loc.opts = ffi.new("spbpe_bytelevel_options *")
            loc.dec = ffi.new("spbpe_decoded *")
            loc.bids = ffi.new("spbpe_batch_ids *")
            loc.btext = ffi.new("spbpe_batch_text *")
            loc.bad_item = ffi.new("size_t *")
            loc.bad_special = ffi.new("int32_t *")
            loc.first = ffi.new("size_t *")
            loc.dcap = 0  # decode_list's int32 buffer
        return loc

    def _thread_handle(self, name: str, new, free):
        """This thread's C handle `name` (batch, stream), made by new() on first use."""
        loc = self._thread()
        handle = getattr(loc, name, None)
        if handle is None:
            handle = new()
            if handle == ffi.NULL:
                raise OutOfMemoryError(f"could not allocate an spbpe {name}")
            handle = ffi.gc(handle, free)
            setattr(loc, name, handle)
        return handle

    def _batch(self):
        return self._thread_handle("batch", lib.spbpe_bytelevel_batch_new, lib.spbpe_bytelevel_batch_free)

    def encode(
        self,
        data: bytes,
        modes: Optional[bytes] = None,
        chunks: Optional[array] = None,
        reference_path: bool = False,
    ) -> Tuple[List[int], int]:
        """(ids, -1), or ([], k) when special k is disallowed and in data.

        Args:
            data: UTF-8 text.
            modes: one byte per special token (ORDINARY, ALLOWED,
                DISALLOWED), or None: all ordinary.
            chunks: uint32 (start, end) byte pairs from a pattern split in
                Python (SPECIAL_BIT on the start of a special's text), or
                None for the built-in pre-tokenizer.
            reference_path: tiktoken's plain merge, no shortcuts.
        """
        loc = self._thread()
        if chunks is None and not modes and not reference_path:
            # encode_ordinary's call: no options struct to fill (NULL is
            # the defaults), and no special can be disallowed
            out = loc.out
            st = lib.spbpe_bytelevel_encode(self._handle, data, len(data), ffi.NULL, loc.ws, out, loc.err)
            if st:
                raise_for_status(st, loc.err)
            count = out.count
            return _pylists.to_list(_ids_buffer(out.ids, count), count, self._table), -1
        opts = loc.opts
        if chunks is not None:
            opts.chunks = ffi.from_buffer("uint32_t[]", chunks) if len(chunks) else _NO_CHUNKS
            opts.chunk_count = len(chunks) // 2
        else:
            opts.chunks = ffi.NULL
            opts.chunk_count = 0
        opts.special_modes = ffi.from_buffer(modes) if modes else ffi.NULL
        opts.reference_path = 1 if reference_path else 0
        out = loc.out
        st = lib.spbpe_bytelevel_encode(self._handle, data, len(data), opts, loc.ws, out, loc.err)
        if st:
            raise_for_status(st, loc.err)
        if out.disallowed >= 0:
            return [], out.disallowed
        return _pylists.to_list(_ids_buffer(out.ids, out.count), out.count, self._table), -1

    def _run_batch(self, texts: list, modes: Optional[bytes], num_threads: int, joined: Any = None) -> Any:
        """spbpe_bytelevel_encode_batch on this thread's buffers; returns
        them (ids in .bids; .bad_item[0] < len(texts) names the first text
        with a disallowed special, .bad_special[0] which one).  joined: the
        texts already concatenated (_pylists.concat's result), or None."""
        loc = self._thread()
        b = self._batch()
        blob, starts, _ = joined or _pylists.concat(texts, 0, _NO_LIMIT)
        st = lib.spbpe_bytelevel_encode_batch(
            self._handle,
            blob,
            ffi.from_buffer("size_t[]", starts),
            len(texts),
            ffi.from_buffer(modes) if modes else ffi.NULL,
            num_threads,
            b,
            loc.bids,
            loc.bad_item,
            loc.bad_special,
            loc.err,
        )
        if st:
            raise_for_status(st, loc.err)
        return loc

    def encode_batch(self, texts: list, modes: Optional[bytes], num_threads: int) -> Tuple[List[List[int]], int, int]:
        """(lists of ids, len(texts), -1), or ([], i, k) when text i is the
        first to hold disallowed special k.  texts: a list of str or bytes,
        turned into UTF-8 in C (UnicodeEncodeError for a str with a
        surrogate, TypeError for another item).  Built-in pre-tokenizer
        only.  num_threads is capped at the number of CPUs.  On one thread,
        or for a batch that fits in one part, one C call; otherwise a stream
        (_stream_batch)."""
        num_threads = min(num_threads, _CPUS)
        joined = None
        if num_threads > 1:
            joined = _pylists.concat(texts, 0, _PART_BYTES)
            if joined[2] < len(texts):
                return self._stream_batch(texts, modes, num_threads, joined)
        loc = self._run_batch(texts, modes, num_threads, joined)
        if loc.bad_item[0] < len(texts):
            return [], loc.bad_item[0], loc.bad_special[0]
        with _NoCycleCollection():
            return _split_ids(loc.bids, self._table), len(texts), -1

    def _stream_batch(
        self, texts: list, modes: Optional[bytes], num_threads: int, first_part: Any
    ) -> Tuple[List[List[int]], int, int]:
        """encode_batch on num_threads threads in all, part by part: this
        thread turns the texts into UTF-8 one part at a time and pushes it
        to C, then builds the lists of each part as soon as it is encoded,
        while C threads encode the rest (and encodes parts itself when it
        would otherwise wait), so the work that needs the interpreter lock
        overlaps the encoding (as the SentencePiece engine's encode_batch).
        first_part: _pylists.concat(texts, 0, _PART_BYTES)."""
        loc = self._thread()
        stream = self._thread_handle("stream", lib.spbpe_encode_stream_new, lib.spbpe_encode_stream_free)
        table = self._table
        st = lib.spbpe_bytelevel_encode_stream_start(
            self._handle,
            ffi.from_buffer(modes) if modes else ffi.NULL,
            num_threads,
            _MAX_PARTS,
            loc.ws,
            stream,
            loc.err,
        )
        if st:
            raise_for_status(st, loc.err)
        out: List[List[int]] = []
        try:
            parts = stream_parts.push_parts(stream, texts, first_part, _PART_BYTES, _MAX_PARTS, loc.err)
            bids, bad = loc.bids, loc.bad_item
            with _NoCycleCollection():
                for _ in parts:
                    st = lib.spbpe_bytelevel_encode_stream_next(stream, bids, loc.first, bad, loc.bad_special, loc.err)
                    if st:
                        raise_for_status(st, loc.err)
                    if bad[0] < bids.count:
                        return [], loc.first[0] + bad[0], loc.bad_special[0]
                    out += _split_ids(bids, table)
        finally:
            lib.spbpe_encode_stream_end(stream)
        return out, len(texts), -1

    def encode_batch_flat(
        self, texts: list, modes: Optional[bytes], num_threads: int
    ) -> Tuple[Optional[Tuple[array, array]], int, int]:
        """As encode_batch, with the ids as (int32 ids back to back, int64
        offsets) instead of lists: ((ids, offsets), len(texts), -1), or
        (None, i, k) when text i is the first to hold disallowed special k."""
        loc = self._run_batch(texts, modes, num_threads)
        if loc.bad_item[0] < len(texts):
            return None, loc.bad_item[0], loc.bad_special[0]
        return _flat_ids(loc.bids), len(texts), -1

    def decode(self, ids: Union[bytes, bytearray, array]) -> bytes:
        """Bytes of int32 ids; OutOfRangeError (offset = index) for an id
        that is no token."""
        loc = self._thread()
        n = len(ids) // 4 if isinstance(ids, (bytes, bytearray)) else len(ids)
        ptr = ffi.from_buffer("int32_t[]", ids) if n else ffi.NULL
        st = lib.spbpe_bytelevel_decode(self._handle, ptr, n, loc.ws, loc.dec, loc.err)
        if st:
            raise_for_status(st, loc.err)
        return ffi.buffer(loc.dec.text, loc.dec.len)[:] if loc.dec.len else b""

    def decode_str(self, ids: Union[bytes, bytearray, array], errors: str) -> str:
        """decode's bytes as str, decoded straight from the C buffer (no
        intermediate bytes object)."""
        loc = self._thread()
        n = len(ids) // 4 if isinstance(ids, (bytes, bytearray)) else len(ids)
        ptr = ffi.from_buffer("int32_t[]", ids) if n else ffi.NULL
        st = lib.spbpe_bytelevel_decode(self._handle, ptr, n, loc.ws, loc.dec, loc.err)
        if st:
            raise_for_status(st, loc.err)
        return _utf8_str(loc.dec, errors)

    def _decode_list(self, tokens: list):
        """Decode a list or tuple of ints through a per-thread int32 buffer
        (no allocation once it has grown); the result is in loc.dec.
        TypeError or OverflowError as _pylists.pack raises them."""
        loc = self._thread()
        n = len(tokens)
        if n > loc.dcap:
            loc.dcap = max(2 * n, 1024)
            loc.dbuf = bytearray(4 * loc.dcap)
            loc.dptr = ffi.from_buffer("int32_t[]", loc.dbuf)
        _pylists.pack(tokens, loc.dbuf)
        st = lib.spbpe_bytelevel_decode(self._handle, loc.dptr, n, loc.ws, loc.dec, loc.err)
        if st:
            raise_for_status(st, loc.err)
        return loc.dec

    def decode_list(self, tokens: list, errors: str) -> str:
        """The text of a list or tuple of ints, as str."""
        return _utf8_str(self._decode_list(tokens), errors)

    def decode_list_plain(self, tokens: list, errors: str) -> str:
        """decode_list through CPython's decoder: the plain twin of
        _utf8_str, which tests compare it with."""
        dec = self._decode_list(tokens)
        return str(ffi.buffer(dec.text, dec.len), "utf-8", errors) if dec.len else ""

    def decode_list_bytes(self, tokens: list) -> bytes:
        """The bytes of a list or tuple of ints."""
        dec = self._decode_list(tokens)
        return ffi.buffer(dec.text, dec.len)[:] if dec.len else b""

    def _decode_batch(self, seqs: Sequence[Sequence[int]], num_threads: int, as_str: bool, errors: str):
        """split_text of the texts of seqs, decoded on C threads."""
        loc = self._thread()
        b = self._batch()
        flat: Union[bytes, array]
        starts: Union[bytes, array]
        try:
            flat, starts = _pylists.pack_many(seqs)
        except (TypeError, OverflowError):
            flat, starts = _pack_each(seqs)
        count = len(seqs)
        st = lib.spbpe_bytelevel_decode_batch(
            self._handle,
            ffi.from_buffer("int32_t[]", flat),
            ffi.from_buffer("size_t[]", starts),
            count,
            num_threads,
            b,
            loc.btext,
            loc.err,
        )
        if st:
            raise_for_status(st, loc.err)
        out = loc.btext
        return _pylists.split_text(
            ffi.buffer(out.text, out.offsets[count]),
            ffi.buffer(out.offsets, (count + 1) * _SIZEOF_SIZE_T),
            count,
            as_str,
            errors,
        )

    def decode_batch(self, seqs: Sequence[Sequence[int]], num_threads: int) -> List[bytes]:
        """The bytes of each sequence, decoded on C threads."""
        return self._decode_batch(seqs, num_threads, False, "strict")

    def decode_batch_str(self, seqs: Sequence[Sequence[int]], num_threads: int, errors: str) -> Optional[List[str]]:
        """The text of each sequence as str(its bytes, "utf-8", errors) would
        make it (each str made as _utf8_str makes it), or None when errors
        is not a str without NUL (str() raises for it)."""
        return self._decode_batch(seqs, num_threads, True, errors)
