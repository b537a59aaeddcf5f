"""How results cross between the C core's buffers and Python objects: the
lists of ids of a batch, int32 buffers of ids to decode, normalized text
with its alignment.  Only ``ffi`` (buffers and casts) is used here; every
call into the core is in :mod:`spbpe._core.native`."""

from __future__ import annotations

import gc
from array import array
from typing import List, Tuple

from ..errors import OutOfRangeError
from . import _pylists
from ._spbpe import ffi

_SIZE_T = "Q" if ffi.sizeof("size_t") == 8 else "I"
_SIZEOF_SIZE_T = ffi.sizeof("size_t")


def _ids_buffer(ids_ptr, count: int):
    return ffi.buffer(ids_ptr, 4 * count) if count else b""


def _split_ids(bids, table: tuple) -> List[List[int]]:
    """The lists of ids of an spbpe_batch_ids.  Callers switch the cyclic
    garbage collector off around it: lists of ints cannot form cycles, and
    building many of them would set it off over and over."""
    count = bids.count
    offsets = bids.offsets
    return _pylists.split(
        _ids_buffer(bids.ids, offsets[count]), ffi.buffer(offsets, (count + 1) * _SIZEOF_SIZE_T), count, table
    )


def _flat_ids(bids) -> Tuple[array, array]:
    """An spbpe_batch_ids copied into two arrays, no per-id Python object:
    every id back to back (int32) and count + 1 offsets (int64)."""
    count = bids.count
    values = array("i")
    values.frombytes(_ids_buffer(bids.ids, bids.offsets[count]))
    offsets = array("q")
    if _SIZEOF_SIZE_T == 8:
        offsets.frombytes(ffi.buffer(bids.offsets, (count + 1) * 8))
    else:
        offsets.extend(bids.offsets[i] for i in range(count + 1))
    return values, offsets


class _NoCycleCollection:
    """Switches the cyclic garbage collector off for a with block."""

    def __enter__(self):
        self.was_enabled = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc):
        if self.was_enabled:
            gc.enable()


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


def _pack_each(seqs) -> Tuple[array, array]:
    """pack_many for any sequences of anything int-like, or the documented
    error."""
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
    return flat, starts


def _normalized(nm) -> Tuple[bytes, List[int]]:
    """(normalized bytes, norm_to_orig list) out of an spbpe_normalized."""
    text = ffi.unpack(ffi.cast("char *", nm.text), nm.len) if nm.len else b""
    align = array("I")
    if nm.norm_to_orig_count:
        align.frombytes(ffi.buffer(nm.norm_to_orig, nm.norm_to_orig_count * 4))
    return text, align.tolist()
