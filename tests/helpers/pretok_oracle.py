"""tiktoken as the oracle of the pre-tokenizer's split, and the regex-module reference twin.

tiktoken has no split function, so its split is read off its tokens:
:func:`tiktoken_tokens` encodes with a vocabulary made of the 256 single
bytes, every candidate chunk and every concatenation of two consecutive
candidate chunks.  If tiktoken's token bytes equal the candidate chunks,
its split is the candidate split: a tiktoken chunk T whose tokens are
candidate chunks C_i..C_k with k > i would be one token when k = i + 1 (T is
in the vocabulary, and tiktoken emits a chunk found in it whole), and for
k > i + 1 its byte-pair merge could not have stopped with C_i and C_i+1 side
by side (their concatenation has a rank).  So equality is exact, whatever
the candidate; the candidate only sizes the vocabulary.

The reference twin (:func:`reference_split`) runs the same pattern with the
`regex` module, whose Unicode tables are newer (17.0) than tiktoken's
(16.0): each \\p{..} class is replaced by its explicit Unicode 16.0 ranges
from `unicodedata2` (PyPI, pinned to 16.0.0 in the test extra).
"""

from __future__ import annotations

import functools
import re as _re
from typing import Any, Dict, Iterable, List, Sequence

LLAMA3_PATTERN = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
KINDS = ("r50k_base", "cl100k_base", "o200k_base", "llama3")


@functools.cache
def patterns() -> Dict[str, str]:
    """The split patterns of tiktoken's installed tiktoken_ext.openai_public, and Llama 3's (Meta's tokenizer.py)."""
    from tiktoken_ext import openai_public as op

    saved = op.load_tiktoken_bpe
    op.load_tiktoken_bpe = lambda *a, **k: {}  # the constructors only load ranks; no download
    try:
        out = {name: getattr(op, name)()["pat_str"] for name in ("r50k_base", "cl100k_base", "o200k_base")}
    finally:
        op.load_tiktoken_bpe = saved
    out["llama3"] = LLAMA3_PATTERN
    return out


def tiktoken_tokens(pattern: str, texts: Sequence[str], candidates: Iterable[Sequence[bytes]]) -> List[List[bytes]]:
    """tiktoken's tokens (as bytes) for each text, with the vocabulary described above built from candidates."""
    import tiktoken

    ranks = {bytes([b]): b for b in range(256)}
    for chunks in candidates:
        prev = None
        for c in chunks:
            ranks.setdefault(c, len(ranks))
            if prev is not None:
                ranks.setdefault(prev + c, len(ranks))
            prev = c
    enc = tiktoken.Encoding("pretok-oracle", pat_str=pattern, mergeable_ranks=ranks, special_tokens={})
    by_rank = {r: b for b, r in ranks.items()}
    return [[by_rank[t] for t in toks] for toks in enc.encode_ordinary_batch(list(texts), num_threads=1)]


_CLASS = _re.compile(r"\\p\{(L|N|M|Lu|Lt|Ll|Lm|Lo)\}")


@functools.cache
def _ranges(cat: str) -> str:
    import unicodedata2

    assert unicodedata2.unidata_version == "16.0.0", unicodedata2.unidata_version
    cps = [c for c in range(0x110000) if unicodedata2.category(chr(c)).startswith(cat)]
    out = []
    i = 0
    while i < len(cps):
        j = i
        while j + 1 < len(cps) and cps[j + 1] == cps[j] + 1:
            j += 1
        out.append(f"\\U{cps[i]:08x}" if i == j else f"\\U{cps[i]:08x}-\\U{cps[j]:08x}")
        i = j + 1
    return "".join(out)


@functools.cache
def reference_regex(pattern: str) -> Any:
    """The pattern compiled by the `regex` module with Unicode 16.0 classes spelled out."""
    import regex

    out = []
    depth = 0  # inside [...]?
    i = 0
    while i < len(pattern):
        m = _CLASS.match(pattern, i)
        if m:
            r = _ranges(m[1])
            out.append(r if depth else f"[{r}]")
            i = m.end()
            continue
        ch = pattern[i]
        if ch == "\\":
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        out.append(ch)
        i += 1
    return regex.compile("".join(out))


def reference_split(pattern: str, text: str) -> List[bytes]:
    """The reference twin: the chunks (UTF-8) of text under pattern, by the regex module."""
    return [m.encode() for m in reference_regex(pattern).findall(text)]
