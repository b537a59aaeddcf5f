"""Normalization rules: the rule TSV format and the built-in rule names.

A rule maps a sequence of code points to another (possibly empty: a
deletion); :mod:`spbpe._charsmap.builder` compiles rules into a
``precompiled_charsmap`` and decompiles one back into rules.

The TSV format (sentencepiece's): one rule per line, ``SRC<TAB>TRG[<TAB>comment]``;
SRC and TRG are space-separated hexadecimal code points, each optionally
prefixed by ``U+``; a line with no TAB, or an empty TRG, deletes SRC.  A later
rule for the same SRC replaces an earlier one.
"""

from __future__ import annotations

import os
import re
from typing import Dict, Tuple, Union

from ..errors import CharsMapError

__all__ = ["Rules", "parse_rule_tsv", "load_rule_tsv", "BUILTIN_RULES", "builtin_charsmap"]

Rules = Dict[Tuple[int, ...], Tuple[int, ...]]
_HEX = re.compile(r"[0-9A-Fa-f]*")


BUILTIN_RULES = ("nmt_nfkc", "nfkc", "nmt_nfkc_cf", "nfkc_cf")
_DATA_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data")


def builtin_charsmap(name: str) -> bytes:
    """The precompiled_charsmap of a built-in rule name (b"" for identity),
    as shipped in spbpe/data (copied from the sentencepiece 0.2.3 wheel).

    >>> len(builtin_charsmap("nmt_nfkc"))  # doctest: +SKIP
    240007
    """
    if name == "identity":
        return b""
    if name not in BUILTIN_RULES:
        raise CharsMapError(f"No precompiled charsmap is found: {name}")
    with open(os.path.join(_DATA_DIR, name + ".bin"), "rb") as f:
        return f.read()


# ------------------------------------------------------------------ TSV


def _hex_value(token: str) -> int:
    # HexToInt reads with `istream >> std::hex`: leading hex digits, else 0.
    if token.startswith("U+"):
        token = token[2:]
    m = _HEX.match(token)
    digits = m.group(0) if m else ""
    return int(digits, 16) if digits else 0


def parse_rule_tsv(text: str) -> Rules:
    """Rules from the text of a rule TSV (see the module docstring)."""
    rules: Rules = {}
    for line in text.split("\n"):
        fields = line.split("\t")
        src = tuple(_hex_value(s) for s in fields[0].split(" ") if s)
        trg = tuple(_hex_value(s) for s in fields[1].split(" ") if s) if len(fields) > 1 else ()
        if not src:
            raise CharsMapError(f"rule with an empty source: {line!r}")
        rules[src] = trg
    return rules


def load_rule_tsv(path: Union[str, os.PathLike]) -> Rules:
    """Read a rule TSV file.

    Raises:
        OSError: the file cannot be read.
        CharsMapError: a line has no source code point.
    """
    with open(os.fspath(path), "rb") as f:
        data = f.read()
    text = data.decode("utf-8", "surrogateescape")
    if text.endswith("\n"):
        text = text[:-1]  # ReadLine: no empty line after the last newline
    if text == "":
        return {}
    return parse_rule_tsv(text)
