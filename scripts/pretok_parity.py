"""The C pre-tokenizer against tiktoken on every corpus file and on every code point in context.

For each of r50k_base, cl100k_base, o200k_base and llama3, it splits with
spbpe (csrc/bytelevel/pretok.c) and compares with tiktoken's own split, read
off its tokens as tests/helpers/pretok_oracle.py explains (exact: equal
tokens mean equal chunks):
  * corpora: every file of ../shared/corpora, whole and line by line;
  * code points: every scalar value U+0000..U+10FFFF in a composite context
    (after and before letters, upper case, digits, spaces, an apostrophe,
    punctuation, a newline, itself), 64K code points per text.
It prints one line per file/kind and the totals, and exits 1 on any
difference.  It takes a while (about 3 minutes per kind for the code points,
and about as long for the corpora): the tests run a quicker subset.

Usage:
    python scripts/pretok_parity.py [--corpora] [--codepoints] [--kinds cl100k_base,...]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from spbpe._core.native_pretok import split  # noqa: E402
from tests.helpers.models import shared_path  # noqa: E402
from tests.helpers.pretok_oracle import KINDS, patterns, tiktoken_tokens  # noqa: E402


def corpora(kinds: list[str]) -> int:
    base = shared_path("corpora")
    if base is None:
        print("no ../shared/corpora: skipped")
        return 0
    bad = 0
    for path in sorted(p for p in base.rglob("*") if p.is_file() and p.suffix in (".txt", ".tsv", ".jsonl")):
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines(keepends=True)
        for kind in kinds:
            t = time.time()
            whole = split(kind, text.encode())
            per_line = [split(kind, line.encode()) for line in lines]
            theirs = tiktoken_tokens(patterns()[kind], [text, *lines], [whole, *per_line])
            same_lines = sum(a == b for a, b in zip(theirs[1:], per_line))
            ok = theirs[0] == whole and same_lines == len(lines)
            bad += not ok
            print(
                f"{path.relative_to(base)} {kind}: whole {'same' if theirs[0] == whole else 'DIFFERENT'}, "
                f"lines {same_lines}/{len(lines)} same, {len(whole)} chunks ({time.time() - t:.1f}s)",
                flush=True,
            )
    return bad


def context(c: str) -> str:
    return f"{c}a{c}A{c}1{c} {c}'{c}!{c}\n{c}{c}  "


def codepoints(kinds: list[str]) -> int:
    scalars = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    bad = 0
    for kind in kinds:
        t = time.time()
        blocks = same = 0
        for start in range(0, len(scalars), 1 << 16):
            text = "".join(context(chr(c)) for c in scalars[start : start + (1 << 16)])
            ours = split(kind, text.encode())
            blocks += 1
            if tiktoken_tokens(patterns()[kind], [text], [ours])[0] == ours:
                same += 1
            else:
                print(f"{kind}: block from U+{scalars[start]:04X} DIFFERS", flush=True)
        bad += same != blocks
        print(f"code points {kind}: {same}/{blocks} blocks of 65536 same ({time.time() - t:.0f}s)", flush=True)
    return bad


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpora", action="store_true")
    ap.add_argument("--codepoints", action="store_true")
    ap.add_argument("--kinds", default=",".join(KINDS))
    args = ap.parse_args()
    kinds = args.kinds.split(",")
    both = not (args.corpora or args.codepoints)
    bad = 0
    if args.corpora or both:
        bad += corpora(kinds)
    if args.codepoints or both:
        bad += codepoints(kinds)
    print("all same" if not bad else f"{bad} DIFFERENT")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
