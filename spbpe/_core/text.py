"""Text plumbing shared by the processor, the normalizer and the offset
results: str/bytes input, and byte offsets turned into character offsets
the way sentencepiece does it.

>>> to_bytes("héllo")
b'h\\xc3\\xa9llo'
"""

from __future__ import annotations

from typing import Any, List

from ..errors import InputError

__all__ = ["to_bytes", "byte_to_char_offsets", "unicode_alignment", "normalize_with"]


def to_bytes(text: Any) -> bytes:
    """UTF-8 bytes of a str, or the bytes given; InputError for lone surrogates."""
    if isinstance(text, str):
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError as e:
            raise InputError(
                f"input is not valid Unicode (lone surrogate at index {e.start}); pass bytes to encode arbitrary data"
            ) from None
    if isinstance(text, (bytes, bytearray, memoryview)):
        return bytes(text)
    raise TypeError(f"Input must be str or bytes, not {type(text).__name__}")


def byte_to_char_offsets(data: bytes) -> List[int]:
    """Table from byte offset (0..len) to character offset of `data`, as
    sentencepiece's UTF8ToUnicodeOffsets builds it: one character per step
    of OneCharLen (the lead byte's length, 1 for a continuation byte or
    ASCII, clipped at the end), valid UTF-8 or not, and an offset inside a
    step maps to that step's start.

    >>> byte_to_char_offsets(b"a\\xe2\\x41\\x80")  # 0xE2 0x41 0x80 is one step
    [0, 1, 1, 1, 2]
    """
    table = [0] * (len(data) + 1)
    i = chars = 0
    while i < len(data):
        b = data[i]
        step = min(len(data) - i, 1 if b < 0xC0 else 2 if b < 0xE0 else 3 if b < 0xF0 else 4)
        for k in range(i, i + step):
            table[k] = chars
        chars += 1
        i += step
    table[len(data)] = chars
    return table


def normalize_with(native_normalize, input, with_offsets: bool):
    """One text through a native normalize function, returned as
    sentencepiece returns it: str for str input, bytes for bytes, and with
    offsets in characters for str (bytes for bytes)."""
    is_bytes = isinstance(input, (bytes, bytearray))
    data = to_bytes(input)
    norm, align = native_normalize(data)
    text = norm if is_bytes else norm.decode("utf-8")
    if not with_offsets:
        return text
    if not is_bytes:
        align = unicode_alignment(data, norm, align)
    return text, align


def unicode_alignment(data: bytes, norm: bytes, align: List[int]) -> List[int]:
    """sentencepiece's ConvertToUnicodeAlignment: index the alignment by
    normalized character and count original characters instead of bytes."""
    orig = byte_to_char_offsets(data)
    norm_idx = byte_to_char_offsets(norm)
    result = [0] * (norm_idx[-1] + 1)
    for i, a in enumerate(align):
        result[norm_idx[i]] = orig[a]
    return result
