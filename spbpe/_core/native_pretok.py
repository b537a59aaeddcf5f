"""Binding of the C pre-tokenizer (csrc/bytelevel/pretok.c): tiktoken's built-in split patterns.

The only pre-tokenizer code that touches cffi's lib.  One call splits a
whole text; the C side allocates nothing and keeps no state, so any number
of threads may split at once (cffi releases the GIL around the call).

>>> split("cl100k_base", b"Hello world's   end")
[b'Hello', b' world', b"'s", b'  ', b' end']
"""

from __future__ import annotations

from typing import Any, Dict, List, Tuple

from ._spbpe import ffi, lib
from .status import raise_for_status

__all__ = ["PRETOK_KINDS", "class_table", "split", "split_ends", "split_starts"]

#: Pattern names -> spbpe_pretok kinds (gpt2 and r50k_base share a pattern).
PRETOK_KINDS: Dict[str, int] = {
    "gpt2": lib.SPBPE_PRETOK_R50K,
    "r50k_base": lib.SPBPE_PRETOK_R50K,
    "cl100k_base": lib.SPBPE_PRETOK_CL100K,
    "o200k_base": lib.SPBPE_PRETOK_O200K,
    "llama3": lib.SPBPE_PRETOK_LLAMA3,
}


def _kind(kind: Any) -> int:
    if isinstance(kind, str):
        try:
            return PRETOK_KINDS[kind]
        except KeyError:
            raise ValueError(f"no built-in pre-tokenizer {kind!r}; have {sorted(PRETOK_KINDS)}") from None
    return int(kind)


def split_ends(kind: Any, data: bytes, reference_path: bool = False) -> Tuple[Any, int]:
    """The end offset of every chunk of data, as a cffi ``size_t[]`` and its count.

    Args:
        kind: a name of PRETOK_KINDS or an SPBPE_PRETOK_* value.
        data: UTF-8 text (invalid bytes are one punctuation-like character each).
        reference_path: run the plain twin (csrc/bytelevel/pretok_plain.c)
            instead of the fast path; the chunks must be the same.
    """
    ends = ffi.new("size_t[]", max(len(data), 1))
    return ends, _split_into(kind, data, ends, reference_path)


def split_starts(kind: Any, data: bytes, reference_path: bool = False) -> Tuple[Any, int]:
    """Where every chunk of data starts, then len(data): a cffi ``size_t[]``
    of count + 1 offsets (the boundaries the C merge calls take), and count."""
    starts = ffi.new("size_t[]", len(data) + 1)  # starts[0] = 0; the ends follow
    return starts, _split_into(kind, data, starts + 1, reference_path)


def _split_into(kind: Any, data: bytes, ends: Any, reference_path: bool) -> int:
    """Write the chunk ends of data into ends (room for len(data)); their count."""
    n = ffi.new("size_t *")
    err = ffi.new("spbpe_error *")
    k = _kind(kind) | (lib.SPBPE_PRETOK_REFERENCE_PATH if reference_path else 0)
    raise_for_status(lib.spbpe_pretok_split(k, ffi.from_buffer(data), len(data), ends, len(data), n, err), err)
    return int(n[0])


def split(kind: Any, data: bytes, reference_path: bool = False) -> List[bytes]:
    """The chunks of data under a built-in pattern, as tiktoken's regex finds them."""
    ends, n = split_ends(kind, data, reference_path)
    out = []
    start = 0
    for i in range(n):
        end = ends[i]
        out.append(data[start:end])
        start = end
    return out


def class_table() -> bytes:
    """The C table's class byte of every code point U+0000..U+10FFFF (bits in unicode_classes.h)."""
    f = lib.spbpe_pretok_class
    return bytes(f(c) for c in range(0x110000))
