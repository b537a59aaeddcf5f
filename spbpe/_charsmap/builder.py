"""Compile normalization rules into a sentencepiece ``precompiled_charsmap``.

    >>> rules = parse_rule_tsv("41\\t61")     # "A" -> "a"
    >>> blob = compile_charsmap(rules)
    >>> decompile_charsmap(blob) == rules
    True

A rule maps a sequence of code points to another (possibly empty: a
deletion).  The blob is what sentencepiece 0.2.3 builds for
``--normalization_rule_tsv`` (``Builder::LoadCharsMap`` then
``Builder::CompileCharsMap`` in ``src/builder.cc``): a uint32 trie size, a
darts-clone double array whose values are offsets into a pool of
NUL-terminated replacement strings, then the pool.  The double array is laid
out by the same algorithm as darts-clone's builder (:mod:`spbpe._charsmap.darts`),
so the blob is byte for byte the one sentencepiece writes, and a model trained
with a TSV has the same bytes as sentencepiece's.

Rules and their TSV format are in :mod:`spbpe._charsmap.rules`; their names
are importable from here too.
"""

from __future__ import annotations

import struct
from typing import Dict, Iterable, List, Tuple

from ..errors import CharsMapError
from .darts import build_double_array
from .rules import BUILTIN_RULES, Rules, builtin_charsmap, load_rule_tsv, parse_rule_tsv

__all__ = [
    "CharsMapError",
    "Rules",
    "parse_rule_tsv",
    "load_rule_tsv",
    "compile_charsmap",
    "decompile_charsmap",
    "MAX_TRIE_RESULTS",
    "BUILTIN_RULES",
    "builtin_charsmap",
]

MAX_TRIE_RESULTS = 32  # sentencepiece's Normalizer::kMaxTrieResultsSize


# ------------------------------------------------------------ compiling


def _utf8(cps: Iterable[int], what: str) -> bytes:
    try:
        return "".join(chr(c) for c in cps).encode("utf-8")
    except (ValueError, UnicodeEncodeError):
        raise CharsMapError(f"{what} is not valid Unicode: {' '.join('%X' % c for c in cps)}") from None


def compile_charsmap(rules: Rules) -> bytes:
    """The precompiled_charsmap blob for `rules` (sentencepiece's CompileCharsMap).

    Raises:
        CharsMapError: no rules, a key that is empty or holds U+0000, a rule
            whose source equals its target, text
            that is not valid Unicode, or a key with 32 or more rule prefixes.
    """
    if not rules:
        raise CharsMapError("no normalization rules to compile")
    # The pool: every distinct replacement once, in code-point order.
    pool = bytearray()
    pos: Dict[Tuple[int, ...], int] = {}
    for trg in sorted(set(rules.values())):
        pos[trg] = len(pool)
        pool += _utf8(trg, "a rule's target") + b"\0"
    kv: List[Tuple[bytes, int]] = []
    for src, trg in rules.items():
        key = _utf8(src, "a rule's source")
        if not key or b"\0" in key:
            raise CharsMapError("a rule's source must be non-empty and must not contain U+0000")
        if src == trg:  # sentencepiece's CompileCharsMap refuses these
            raise CharsMapError(f"Identity conversion is not allowed ({key.decode('utf-8', 'replace')!r}).")
        kv.append((key, pos[trg]))
    kv.sort()
    keys = {k for k, _ in kv}
    for key, _ in kv:
        n = sum(1 for i in range(1, len(key) + 1) if key[:i] in keys)
        if n >= MAX_TRIE_RESULTS:
            raise CharsMapError(
                "This charmaps contain many shared prefix. The number of shared prefix "
                f"must be less than {MAX_TRIE_RESULTS}"
            )
    units = build_double_array(kv)
    trie = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(trie)) + trie + bytes(pool)


# ---------------------------------------------------------- decompiling


def decompile_charsmap(blob: bytes) -> Rules:
    """Every rule of a precompiled_charsmap (sentencepiece's DecompileCharsMap).

    Raises:
        CharsMapError: the blob's header or trie does not fit in it.
    """
    if len(blob) <= 4:
        raise CharsMapError("Blob for normalization rule is broken.")
    (size,) = struct.unpack_from("<I", blob)
    if size >= len(blob) - 4 or size % 4:
        raise CharsMapError("Trie data size exceeds the input blob size.")
    count = size // 4
    units = struct.unpack_from(f"<{count}I", blob, 4)
    pool = blob[4 + size :]
    rules: Rules = {}

    def offset(u: int) -> int:
        return (u >> 10) << ((u & 0x200) >> 6)

    def walk(node: int, key: bytes, depth: int) -> None:
        if depth > 64:
            raise CharsMapError("charsmap trie is too deep")
        base = node ^ offset(units[node])
        for c in range(1, 256):
            child = base ^ c
            if child >= count or units[child] & 0x800000FF != c:
                continue
            k = key + bytes([c])
            if (units[child] >> 8) & 1:
                leaf = child ^ offset(units[child])
                if leaf >= count:
                    raise CharsMapError("charsmap trie points outside itself")
                value = units[leaf] & 0x7FFFFFFF
                if value > len(pool):
                    raise CharsMapError("charsmap value points outside the pool")
                end = pool.find(b"\0", value)
                trg = pool[value : end if end >= 0 else len(pool)]
                try:
                    rules[tuple(map(ord, k.decode("utf-8")))] = tuple(map(ord, trg.decode("utf-8")))
                except UnicodeDecodeError:
                    raise CharsMapError("charsmap holds text that is not UTF-8") from None
            walk(child, k, depth + 1)

    if count:
        walk(0, b"", 0)
    return rules
