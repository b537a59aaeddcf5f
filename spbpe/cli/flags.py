"""Command-line flags as sentencepiece's tools take them (absl): booleans
spelled ``--name``, ``--noname`` or ``--name=false``, and spm_train's
``--key=value`` / ``--key value`` / bare ``--key`` flags.

>>> spm_flags(["--input=a.txt", "--vocab_size", "2000", "--byte_fallback"])
{'input': 'a.txt', 'vocab_size': '2000', 'byte_fallback': 'true'}
"""

from __future__ import annotations

import argparse
from typing import Dict, List, Set

from ..errors import CliError

__all__ = ["parse_bool", "add_flag", "bool_flags", "spm_flags"]


def parse_bool(text: str) -> bool:
    """absl's boolean flag values: true/false, 1/0, yes/no, t/f, y/n."""
    t = text.strip().lower()
    if t in ("true", "1", "yes", "t", "y"):
        return True
    if t in ("false", "0", "no", "f", "n"):
        return False
    raise argparse.ArgumentTypeError(f"not a boolean: {text!r}")


_BOOL_FLAGS: Set[str] = set()


def add_flag(p: argparse.ArgumentParser, name: str, **kw) -> None:
    """Add --name and its dashed spelling --na-me; booleans as absl has them (--name, --noname, --name=false)."""
    names = [f"--{name}"] + ([f"--{name.replace('_', '-')}"] if "_" in name else [])
    if kw.get("type") is parse_bool:
        del kw["type"]
        _BOOL_FLAGS.add(name)
        p.add_argument(*names, dest=name, action="store_true", default=kw.pop("default", False), **kw)
        p.add_argument(f"--no{name}", dest=name, action="store_false", help=argparse.SUPPRESS)
        return
    p.add_argument(*names, dest=name, **kw)


def bool_flags(argv: List[str]) -> List[str]:
    """``--flag=value`` for a boolean flag -> ``--flag`` or ``--noflag``."""
    out = []
    for a in argv:
        key, eq, value = a.partition("=")
        if eq and a.startswith("--") and key[2:].replace("-", "_") in _BOOL_FLAGS:
            try:
                a = ("--" if parse_bool(value) else "--no") + key[2:].replace("-", "_")
            except argparse.ArgumentTypeError as e:
                raise CliError(f"{key}: {e}") from None
        out.append(a)
    return out


def spm_flags(argv: List[str]) -> Dict[str, str]:
    """``--key=value``, ``--key value`` and bare ``--key`` (= true) into a dict."""
    out: Dict[str, str] = {}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if not arg.startswith("--") or arg == "--":
            raise CliError(f"unexpected argument {arg!r}: spm_train flags look like --name=value")
        key, eq, value = arg[2:].partition("=")
        if not eq:
            if i + 1 < len(argv) and not argv[i + 1].startswith("--"):
                value = argv[i + 1]
                i += 1
            else:
                value = "true"
        out[key.replace("-", "_")] = value
        i += 1
    return out
