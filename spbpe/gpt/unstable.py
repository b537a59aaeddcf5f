"""``Encoding.encode_with_unstable``: stable tokens and the token sequences that may complete the text.

tiktoken's definition (its core's ``_encode_unstable_native``), step by step:

1. encode the text (allowed special tokens as tokens); the tokens of the
   last regex chunk are unstable (none if the text ends with a special
   token, or is empty);
2. if the first unstable token is all spaces/newlines/tabs, the all-space
   tokens before it are unstable too (``\\s*[\\r\\n]+`` can merge them);
3. the unstable tokens' bytes U are removed from the stable tokens; the
   completions are: every single token starting with U; for every split
   U = P + S (P non-empty) and every token T starting with S, the encoding
   of P + T (``encode_ordinary`` when valid UTF-8, else plain byte-pair
   merging) cut after the token that covers len(U) bytes; and when U's last
   character is Unicode whitespace, U less that character merged on its own
   followed by that character merged on its own.

Byte-pair merging here is the plain one (leftmost lowest-ranked pair first,
no whole-token shortcut except for a single byte), as tiktoken's
``byte_pair_encode``.  Completions come back as a list in no particular
order (tiktoken builds them from a hash set).  Chunk boundaries are found
with the ``regex`` module on the text after the last special token, as
spbpe.gpt.split does for custom patterns.  ``enc`` is a spbpe.gpt.Encoding
(typed Any: this module is imported by it).
"""

from __future__ import annotations

import bisect
from typing import AbstractSet, Any, Collection, List, Set, Tuple

from . import split
from .minbpe_gpt4 import split_by_ranks

__all__ = ["encode_with_unstable"]

# Rust's char::is_whitespace: the Unicode White_Space property.
_WHITE_SPACE = frozenset(
    [*range(0x09, 0x0E), 0x20, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F, 0x205F, 0x3000]
)


def _byte_pair_encode(enc: Any, piece: bytes) -> List[int]:
    ranks = enc._mergeable_ranks
    if len(piece) == 1:
        return [ranks[piece]]
    return [ranks[p] for p in split_by_ranks(ranks, piece, enc.max_token_value + 1)]


def _sorted_tokens(enc: Any) -> List[bytes]:
    cached = enc.__dict__.get("_sorted_token_bytes")
    if cached is None:
        cached = sorted(enc._mergeable_ranks)
        enc.__dict__["_sorted_token_bytes"] = cached
    return cached


def _starting_with(tokens: List[bytes], prefix: bytes) -> List[bytes]:
    out = []
    i = bisect.bisect_left(tokens, prefix)
    while i < len(tokens) and tokens[i].startswith(prefix):
        out.append(tokens[i])
        i += 1
    return out


def _last_chunk_len(enc: Any, tokens: List[int]) -> int:
    """How many of the last tokens make the last regex chunk (0 after a special token or for no text)."""
    specials = enc._special_token_values
    k = len(tokens)
    while k > 0 and tokens[k - 1] not in specials:
        k -= 1
    if k == len(tokens):
        return 0
    tail = enc.decode_bytes(tokens[k:]).decode("utf-8")
    chunks = list(split.compile_pattern(enc._pat_str).finditer(tail))
    if not chunks:  # pragma: no cover - the tail's tokens come from its chunks
        return 0
    last = chunks[-1]
    want, got, n = len(last.group().encode("utf-8")), 0, 0
    while got < want:
        n += 1
        got += len(enc.decode_single_token_bytes(tokens[-n]))
    return n


def _all_space(enc: Any, token: int) -> bool:
    return all(b in b" \n\t" for b in enc.decode_single_token_bytes(token))


def encode_with_unstable(
    enc: Any, text: str, allowed: AbstractSet[str], disallowed: Collection[str]
) -> Tuple[List[int], List[List[int]]]:
    tokens = enc.encode(text, allowed_special=allowed, disallowed_special=disallowed)
    n = _last_chunk_len(enc, tokens)
    if n == 0:
        return tokens, []
    if _all_space(enc, tokens[-n]):
        while n < len(tokens) and _all_space(enc, tokens[-n - 1]):
            n += 1
    unstable = enc.decode_bytes(tokens[-n:])
    stable = tokens[:-n]
    if not unstable:  # pragma: no cover - tokens have bytes
        return stable, []
    ranks = enc._mergeable_ranks
    sorted_tokens = _sorted_tokens(enc)
    found: Set[Tuple[int, ...]] = {(ranks[t],) for t in _starting_with(sorted_tokens, unstable)}
    for i in range(1, len(unstable)):
        prefix, suffix = unstable[:i], unstable[i:]
        for t in _starting_with(sorted_tokens, suffix):
            possibility = prefix + t
            try:
                encoded = enc.encode_ordinary(possibility.decode("utf-8"))
            except UnicodeDecodeError:
                encoded = _byte_pair_encode(enc, possibility)
            seq: List[int] = []
            covered = 0
            for tok in encoded:
                seq.append(tok)
                covered += len(enc.decode_single_token_bytes(tok))
                if covered >= len(unstable):
                    break
            found.add(tuple(seq))
    if len(unstable) > 1:
        text_u = unstable.decode("utf-8")
        last = text_u[-1]
        size = len(last.encode("utf-8"))
        if len(unstable) - size > 0 and ord(last) in _WHITE_SPACE:
            found.add(tuple(_byte_pair_encode(enc, unstable[:-size]) + _byte_pair_encode(enc, unstable[-size:])))
    return stable, [list(s) for s in found]
