"""Splitting text with a pattern in Python, for patterns the C
pre-tokenizer does not know: the ``regex`` module finds the chunks and
special tokens exactly as tiktoken's core does, and the C core merges them.

tiktoken's encode, in order: search the whole text for a disallowed
special token (a regex alternation; the leftmost match raises); then cut
the text at allowed special tokens (the core scans for any special, skips
a match that is not allowed and looks again one character after its
start); then split each stretch between specials with the pattern on its
own, dropping text the pattern does not match.  Chunks reach C as byte
offsets.  At one position the longest special wins (alternatives are
ordered longest first), as in csrc/bytelevel/special_scan.c.
"""

from __future__ import annotations

import functools
from array import array
from typing import AbstractSet, Any, Iterable, Optional, Tuple

from .._core.native_gpt import SPECIAL_BIT

__all__ = ["special_regex", "compile_pattern", "find_chunks"]


def _regex() -> Any:
    try:
        import regex
    except ImportError as e:  # pragma: no cover - regex is a dependency
        raise ImportError("spbpe.gpt needs the `regex` module for this split pattern: pip install regex") from e
    return regex


@functools.lru_cache(maxsize=128)
def special_regex(tokens: frozenset) -> Any:
    """One compiled alternation of the tokens, longest first."""
    re = _regex()
    inner = "|".join(re.escape(t) for t in sorted(tokens, key=lambda t: (-len(t), t)))
    return re.compile(f"({inner})")


@functools.lru_cache(maxsize=32)
def compile_pattern(pat_str: str) -> Any:
    return _regex().compile(pat_str)


def find_disallowed(text: str, disallowed: frozenset) -> Optional[str]:
    """The leftmost disallowed special token in text, or None."""
    m = special_regex(disallowed).search(text)
    return m.group() if m else None


def _stretches(text: str, specials: Optional[Any], allowed: AbstractSet[str]) -> Iterable[Tuple[int, int, int]]:
    """(start, end, is_special) character spans: the stretches between
    allowed specials, and the specials."""
    start = 0
    n = len(text)
    while True:
        m = None
        find = start
        while specials is not None and find < n:
            m = specials.search(text, find)
            if m is None or m.group() in allowed:
                break
            find = m.start() + 1
            m = None
        end = m.start() if m else n
        yield start, end, 0
        if m is None:
            return
        yield m.start(), m.end(), 1
        start = m.end()


def find_chunks(text: str, pat_str: str, all_specials: frozenset, allowed: AbstractSet[str]) -> array:
    """uint32 (start, end) UTF-8 byte offsets of the chunks of text (str
    without surrogates), SPECIAL_BIT on the start of an allowed special."""
    pat = compile_pattern(pat_str)
    specials = special_regex(all_specials) if (allowed and all_specials) else None
    out = array("I")
    ascii_text = text.isascii()
    cpos = bpos = 0  # a character offset and its byte offset, moving forward
    for s, e, is_special in _stretches(text, specials, allowed):
        if is_special:
            if not ascii_text:
                bpos += len(text[cpos:s].encode("utf-8"))
                cpos = s
                b0 = bpos
                bpos += len(text[s:e].encode("utf-8"))
                cpos = e
                out.extend((b0 | SPECIAL_BIT, bpos))
            else:
                out.extend((s | SPECIAL_BIT, e))
            continue
        # a slice, not pos/endpos: `^` and lookbehinds see the stretch alone, as in tiktoken
        piece = text if (s == 0 and e == len(text)) else text[s:e]
        for m in pat.finditer(piece):
            ms, me = m.span()
            ms += s
            me += s
            if ascii_text:
                out.extend((ms, me))
                continue
            bpos += len(text[cpos:ms].encode("utf-8"))
            b0 = bpos
            bpos += len(m.group().encode("utf-8"))
            cpos = me
            out.extend((b0, bpos))
    return out
