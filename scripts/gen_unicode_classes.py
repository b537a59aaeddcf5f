"""Generate csrc/bytelevel/unicode_classes.c: the Unicode classes of tiktoken's split patterns.

tiktoken 0.14 matches its patterns with fancy-regex over the Rust regex-syntax
crate, whose tables are Unicode 16.0 (probed: tiktoken's \\p{L} has exactly the
141,028 code points of Unicode 16.0's L*, while Python 3.11's unicodedata is
14.0, 3.13's is 15.1 and the `regex` module's is 17.0).  The categories come
from `unicodedata2==16.0.0` (PyPI) and White_Space from PropList.txt (the 25
code points below, unchanged since Unicode 6.3).

Each code point gets one class byte (bits in csrc/bytelevel/unicode_classes.h):
    UPPER  Lu Lt        LOWER  Ll        OTHER_LETTER  Lm Lo
    MARK   Mn Mc Me     NUMBER Nd Nl No  SPACE  White_Space     CRLF  \\r \\n
stored as a two-stage table: stage 1 maps each block of BLOCK code points to
a unique block of class bytes in stage 2.  A third table gives the class of
each byte value for the ASCII fast paths: bytes 0x80-0xFF have NONASCII
(128) alone, meaning "decode the character".

The generator refuses to emit (exit 1) unless every check passes:
  - unicodedata2 reports Unicode 16.0.0;
  - White_Space equals the `regex` module's \\p{White_Space};
  - with tiktoken installed (required unless --no-tiktoken): tiktoken's own
    engine, probed over every code point, gives the same set for each of
    \\p{L} \\p{Lu} \\p{Lt} \\p{Ll} \\p{Lm} \\p{Lo} \\p{M} \\p{N} \\s, and the
    case-insensitive contraction letters (?i:s) ... are exactly those
    csrc/bytelevel/pretok.c accepts (ASCII pairs, plus U+017F for s).

Usage:
    python scripts/gen_unicode_classes.py > csrc/bytelevel/unicode_classes.c
"""

from __future__ import annotations

import argparse
import sys

UNICODE_VERSION = "16.0.0"
WHITE_SPACE = [*range(0x09, 0x0E), 0x20, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F, 0x205F]
WHITE_SPACE.append(0x3000)

UPPER, LOWER, OTHER_LETTER, MARK, NUMBER, SPACE, CRLF, NONASCII = 1, 2, 4, 8, 16, 32, 64, 128
CATEGORY_BITS = {"Lu": UPPER, "Lt": UPPER, "Ll": LOWER, "Lm": OTHER_LETTER, "Lo": OTHER_LETTER}
CATEGORY_BITS.update({c: MARK for c in ("Mn", "Mc", "Me")})
CATEGORY_BITS.update({c: NUMBER for c in ("Nd", "Nl", "No")})
# Case-insensitive letters of the contractions and what pretok.c accepts for each.
CONTRACTION_LETTERS = {ch: {ord(ch), ord(ch.upper())} for ch in "sdmtlver"}
CONTRACTION_LETTERS["s"].add(0x017F)  # LATIN SMALL LETTER LONG S folds to s

SCALARS = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]


def classes() -> list[int]:
    import unicodedata2

    if unicodedata2.unidata_version != UNICODE_VERSION:
        raise SystemExit(f"unicodedata2 is Unicode {unicodedata2.unidata_version}, need {UNICODE_VERSION}")
    table = [0] * 0x110000
    for c in SCALARS:
        table[c] = CATEGORY_BITS.get(unicodedata2.category(chr(c)), 0)
    for c in WHITE_SPACE:
        if table[c]:
            raise SystemExit(f"U+{c:04X} is White_Space and a letter/number/mark")
        table[c] = SPACE
    table[0x0A] |= CRLF
    table[0x0D] |= CRLF
    return table


def members(table: list[int], bits: int, exact_cats: set[str] | None = None) -> set[int]:
    if exact_cats is not None:
        import unicodedata2

        return {c for c in SCALARS if unicodedata2.category(chr(c)) in exact_cats}
    return {c for c in SCALARS if table[c] & bits}


def check_regex_white_space() -> None:
    import regex

    rx = {c for c in SCALARS if regex.match(r"\p{White_Space}", chr(c))}
    if rx != set(WHITE_SPACE):
        raise SystemExit(f"White_Space differs from the regex module's: {sorted(rx ^ set(WHITE_SPACE))}")


def check_tiktoken(table: list[int]) -> list[str]:
    """Probe tiktoken's engine on every code point; return report lines."""
    import tiktoken

    text = "".join(map(chr, SCALARS))
    ranks = {bytes([b]): b for b in range(256)}
    for c in SCALARS:
        ranks.setdefault(chr(c).encode(), len(ranks))
    by_rank = {r: b for b, r in ranks.items()}

    def probe(pattern: str) -> set[int]:
        # Unmatched text is skipped; each match is one code point, one token.
        enc = tiktoken.Encoding("probe", pat_str=pattern, mergeable_ranks=ranks, special_tokens={})
        return {ord(by_rank[t].decode()) for t in enc.encode_ordinary(text)}

    checks = {
        r"\p{L}": members(table, UPPER | LOWER | OTHER_LETTER),
        r"\p{Lu}": members(table, 0, {"Lu"}),
        r"\p{Lt}": members(table, 0, {"Lt"}),
        r"\p{Ll}": members(table, LOWER),
        r"\p{Lm}": members(table, 0, {"Lm"}),
        r"\p{Lo}": members(table, 0, {"Lo"}),
        r"\p{M}": members(table, MARK),
        r"\p{N}": members(table, NUMBER),
        r"\s": members(table, SPACE),
        r"[\r\n]": members(table, CRLF),
        r"[\p{Lu}\p{Lt}]": members(table, UPPER),
        r"[\p{Lm}\p{Lo}]": members(table, OTHER_LETTER),
    }
    for ch, accepted in CONTRACTION_LETTERS.items():
        checks[f"(?i:{ch})"] = accepted
    report = []
    for pattern, ours in checks.items():
        theirs = probe(pattern)
        if theirs != ours:
            diff = sorted(theirs ^ ours)
            raise SystemExit(f"tiktoken's {pattern} differs on {len(diff)} code points, e.g. {diff[:10]}")
        report.append(f"{pattern} {len(ours)}")
    return report


def emit(table: list[int], report: list[str]) -> str:
    # Pick the block size that gives the smallest pair of tables.
    best = None
    for shift in (5, 6, 7, 8):
        block = 1 << shift
        uniq: dict[tuple[int, ...], int] = {}
        stage1 = []
        for start in range(0, 0x110000, block):
            key = tuple(table[start : start + block])
            stage1.append(uniq.setdefault(key, len(uniq)))
        size = len(stage1) * (1 if len(uniq) <= 256 else 2) + len(uniq) * block
        if best is None or size < best[0]:
            best = (size, shift, stage1, list(uniq))
    assert best is not None
    size, shift, stage1, blocks = best
    index_type = "uint8_t" if len(blocks) <= 256 else "uint16_t"
    out = [
        "/*",
        " * unicode_classes.c - GENERATED by scripts/gen_unicode_classes.py; do not edit.",
        " *",
        f" * The class byte (unicode_classes.h) of every code point, Unicode {UNICODE_VERSION}",
        " * (the tables of tiktoken 0.14's regex engine), as a two-stage table:",
        f" * sp_uclass_stage1[cp >> {shift}] picks a block of {1 << shift} class bytes in",
        f" * sp_uclass_stage2.  {len(blocks)} unique blocks, {size} bytes.  sp_uclass_byte",
        " * is the class of each byte value, NONASCII for 0x80-0xFF.",
        " * Checked against tiktoken's engine on every code point when generated:",
    ]
    out += [f" *   {line}" for line in report] if report else [" *   (tiktoken not probed: --no-tiktoken)"]
    out += [
        " */",
        '#include "bytelevel/unicode_classes.h"',
        "",
        f"#if SP_UCLASS_SHIFT != {shift}",
        "#error unicode_classes.h and the generated table disagree on the block size",
        "#endif",
        "",
        f"const {index_type} sp_uclass_stage1[{len(stage1)}] = {{",
    ]
    for i in range(0, len(stage1), 16):
        out.append("    " + ", ".join(str(v) for v in stage1[i : i + 16]) + ",")
    out += ["};", "", f"const uint8_t sp_uclass_stage2[{len(blocks) << shift}] = {{"]
    for b, blk in enumerate(blocks):
        out.append(f"    /* block {b} */")
        for i in range(0, len(blk), 32):
            out.append("    " + ",".join(str(v) for v in blk[i : i + 32]) + ",")
    out += ["};", "", "const uint8_t sp_uclass_byte[256] = {"]
    byte_classes = [table[b] for b in range(0x80)] + [NONASCII] * 0x80
    for i in range(0, 256, 32):
        out.append("    " + ",".join(str(v) for v in byte_classes[i : i + 32]) + ",")
    out += ["};", ""]
    sys.stderr.write(f"shift {shift}, {len(blocks)} blocks, {size} bytes, stage1 {index_type}\n")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--no-tiktoken", action="store_true", help="skip the tiktoken probe (not for committed tables)")
    args = ap.parse_args()
    table = classes()
    check_regex_white_space()
    report = [] if args.no_tiktoken else check_tiktoken(table)
    sys.stdout.write(emit(table, report))


if __name__ == "__main__":
    main()
