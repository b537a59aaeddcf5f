"""Reading and writing tiktoken rank files: one token per line, its bytes
in base64, a space and its rank (the format of ``*.tiktoken`` files and of
Llama 3's ``tokenizer.model``).

>>> load_tiktoken_bpe(b"IQ== 0\\nIg== 1\\n")
{b'!': 0, b'"': 1}
"""

from __future__ import annotations

import base64
import hashlib
import os
from typing import Dict, Optional, Union

from ..errors import RankFileHashError

__all__ = ["load_tiktoken_bpe", "dump_tiktoken_bpe", "read_rank_file"]

PathOrBytes = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview]


def read_rank_file(path_or_bytes: PathOrBytes, expected_hash: Optional[str] = None) -> bytes:
    """The bytes of a rank file given as a path or as its contents, checked
    against expected_hash (sha256, hex) when one is given.

    Raises:
        FileNotFoundError: no such file.
        RankFileHashError: the contents' sha256 is not expected_hash.
    """
    if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
        data = bytes(path_or_bytes)
        where = "the bytes given"
    else:
        where = os.fspath(path_or_bytes)
        with open(where, "rb") as f:
            data = f.read()
    if expected_hash is not None:
        actual = hashlib.sha256(data).hexdigest()
        if actual != expected_hash:
            raise RankFileHashError(f"{where} has sha256 {actual}, expected {expected_hash}")
    return data


def load_tiktoken_bpe(path_or_bytes: PathOrBytes, expected_hash: Optional[str] = None) -> Dict[bytes, int]:
    """Token bytes -> rank from a tiktoken rank file, as
    ``tiktoken.load.load_tiktoken_bpe`` reads it (blank lines skipped; no
    network: a local path or the file's bytes).

    Args:
        path_or_bytes: a path, or the file's contents as bytes.
        expected_hash: the sha256 (hex) the contents must have, if given.

    Raises:
        ValueError: a line that is not ``base64 rank`` (tiktoken's message).
        RankFileHashError: the hash differs from expected_hash.
    """
    data = read_rank_file(path_or_bytes, expected_hash)
    where = "<bytes>" if isinstance(path_or_bytes, (bytes, bytearray, memoryview)) else os.fspath(path_or_bytes)
    ranks: Dict[bytes, int] = {}
    b64 = base64.b64decode
    for line in data.splitlines():
        if not line:
            continue
        try:
            token, rank = line.split()
            ranks[b64(token)] = int(rank)
        except Exception as e:
            raise ValueError(f"Error parsing line {line!r} in {where}") from e
    return ranks


def dump_tiktoken_bpe(ranks: Dict[bytes, int], path: Union[str, os.PathLike[str]]) -> None:
    """Write ranks as a tiktoken rank file (lines in rank order), as
    ``tiktoken.load.dump_tiktoken_bpe`` does, to a local path."""
    with open(path, "wb") as f:
        for token, rank in sorted(ranks.items(), key=lambda item: item[1]):
            f.write(base64.b64encode(token) + b" " + str(rank).encode() + b"\n")
