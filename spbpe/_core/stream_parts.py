"""Feeding a streamed batch encode (csrc/batch/batch_stream.c) part by
part, shared by the SentencePiece and byte-level engines: this thread turns
the next texts into one UTF-8 blob while C threads encode the parts
already pushed."""

from __future__ import annotations

from typing import Any, List, Tuple

from . import _pylists
from ._spbpe import ffi, lib
from .status import raise_for_status

NO_LIMIT = 1 << 62


def push_parts(
    stream: Any, texts: list, part: Tuple[Any, Any, int], part_bytes: int, max_parts: int, err: Any
) -> List[Any]:
    """Push `part` (_pylists.concat(texts, 0, part_bytes)) and the rest of `texts` to a started
    stream; returns the parts' (blob, starts), which must stay alive until
    the stream ends.  max_parts: the stream's, as started.  Part sizes
    double every 16 parts (past 100 MB, parts
    are still under 4% of the batch); the last part takes what is left.
    Raises as _pylists.concat for a bad item."""
    parts: List[Any] = []
    first = 0
    blob, starts, end = part
    while True:
        st = lib.spbpe_encode_stream_push(stream, blob, ffi.from_buffer("size_t[]", starts), end - first, err)
        if st:
            raise_for_status(st, err)
        parts.append((blob, starts))
        first = end
        if first == len(texts):
            return parts
        limit = NO_LIMIT if len(parts) == max_parts - 1 else part_bytes << (len(parts) >> 4)
        blob, starts, end = _pylists.concat(texts, first, limit)
