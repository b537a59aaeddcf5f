"""A minimal FlatBuffers builder laying bytes out exactly as the C++
``flatbuffers::FlatBufferBuilder`` does (for spbpe.flatbuffer).

    >>> b = FlatBuilder()
    >>> s = b.string(b"hi")
    >>> t = b.table([(0, "offset", s)])
    >>> len(b.finish(t)) % 4
    0

FlatBuffers are written back to front: every object's "offset" is its
distance from the end of the buffer.  Here the buffer is kept reversed (a
bytearray that only grows at its end), so writing stays linear; `finish`
turns it around.  What the C++ builder does and this copies: `Prep`-style
padding before each scalar, string and vector; strings NUL-terminated;
vectors of offsets pushed last element first; a table's fields pushed in the
order given (the generated code's order: by size, largest first, then in
reverse declaration order) and skipped when equal to their default; each
vtable written after its table and shared with an identical earlier one;
`finish` aligning the whole buffer to the largest alignment used.
"""

from __future__ import annotations

import struct
from typing import List, Optional, Sequence, Tuple

__all__ = ["FlatBuilder"]


class FlatBuilder:
    def __init__(self) -> None:
        self._rev = bytearray()  # the buffer, reversed
        self._minalign = 1
        self._vtables: List[int] = []

    @property
    def size(self) -> int:
        return len(self._rev)

    def _pad(self, n: int) -> None:
        self._rev.extend(b"\0" * n)

    def prep(self, align: int, additional: int) -> None:
        """Pad so that after `additional` more bytes the size is a multiple of align."""
        self._minalign = max(self._minalign, align)
        self._pad((-(self.size + additional)) % align)

    def _push(self, raw: bytes) -> None:
        self._rev.extend(raw[::-1])

    def _push_scalar(self, fmt: str, value: int | float) -> int:
        raw = struct.pack("<" + fmt, value)
        self.prep(len(raw), 0)
        self._push(raw)
        return self.size

    def _refer(self, off: int) -> int:
        self.prep(4, 0)
        return self.size - off + 4

    def _write_at(self, off: int, raw: bytes) -> None:
        """Overwrite bytes of the object that starts at offset off."""
        for k, byte in enumerate(raw):
            self._rev[off - 1 - k] = byte

    def _read_at(self, off: int, n: int) -> bytes:
        return bytes(self._rev[off - 1 - k] for k in range(n))

    # ------------------------------------------------------------ objects
    def string(self, s: bytes) -> int:
        self.prep(4, len(s) + 1)
        self._pad(1)
        self._push(s)
        self._push_scalar("I", len(s))
        return self.size

    def bytes_vector(self, data: bytes, force_align: int = 1) -> int:
        if force_align > 1 and data:  # ForceVectorAlignment
            self.prep(force_align, len(data))
        self.prep(4, len(data))
        self._push(data)
        self._push_scalar("I", len(data))
        return self.size

    def scalar_vector(self, fmt: str, values: Sequence[int | float]) -> int:
        raw = struct.pack("<%d%s" % (len(values), fmt), *values)
        width = struct.calcsize(fmt)
        self.prep(4, len(raw))
        self.prep(width, len(raw))
        self._push(raw)
        self._push_scalar("I", len(values))
        return self.size

    def offset_vector(self, offsets: Sequence[int]) -> int:
        self.prep(4, 4 * len(offsets))
        for off in reversed(offsets):
            self._push_scalar("I", self._refer(off))
        self._push_scalar("I", len(offsets))
        return self.size

    def table(self, fields: Sequence[Tuple[int, str, Optional[int | float]]], defaults: Optional[dict] = None) -> int:
        """A table of fields (id, kind, value) pushed in the given order;
        kind is "offset" (None: absent) or a struct format ("b", "B", "i",
        "f"), skipped when equal to defaults[id] (0 unless given)."""
        defaults = defaults or {}
        start = self.size
        locs: List[Tuple[int, int]] = []
        for fid, kind, value in fields:
            if kind == "offset":
                if not value:
                    continue
                pos = self._push_scalar("I", self._refer(int(value)))
            else:
                if value == defaults.get(fid, 0):
                    continue
                pos = self._push_scalar(kind, value)  # type: ignore[arg-type]
            locs.append((fid, pos))
        loc = self._push_scalar("i", 0)
        max_voffset = max([4 + 2 * fid for fid, _ in locs], default=0)
        vsize = max(max_voffset + 2, 4)
        vt = bytearray(vsize)
        struct.pack_into("<HH", vt, 0, vsize, loc - start)
        for fid, pos in locs:
            struct.pack_into("<H", vt, 4 + 2 * fid, loc - pos)
        use = 0
        for old in self._vtables:
            if self._read_at(old, 2) == vt[:2] and self._read_at(old, vsize) == bytes(vt):
                use = old
                break
        if not use:
            self._push(bytes(vt))
            use = self.size
            self._vtables.append(use)
        self._write_at(loc, struct.pack("<i", use - loc))
        return loc

    def finish(self, root: int) -> bytes:
        self.prep(self._minalign, 4)
        self._push_scalar("I", self._refer(root))
        return bytes(self._rev[::-1])
