"""spbpe.gpt.Encoding against tiktoken on every corpus file, whole: the full sweep.

For r50k_base, cl100k_base, o200k_base and llama3 (those whose rank file is
here), with tiktoken.Encoding built from the same rank file, pattern and
specials as the reference, on every file of ../shared/corpora:
  * the whole text (encode_ordinary) and its decoded bytes;
  * every line (encode_ordinary_batch, 2 threads each side);
  * every line with a special token appended (encode_batch,
    allowed_special="all"), and those lines joined (encode);
  * the reference path (tiktoken's plain merge, no cache) on every line
    up to 10 kB (it is quadratic in a chunk's length).
It prints one line per file and encoding and the totals, and exits 1 on any
difference.  It takes a while (most of it in tiktoken: about 15 minutes on
2 busy cores); tests/test_gpt_corpus.py runs the same checks on the first
200 KB of each file.

Usage:
    python scripts/gpt_parity.py [--names cl100k_base,...] [--limit BYTES]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tests.helpers import gpt_encodings as G  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--names", default=",".join(G.NAMES))
    ap.add_argument("--limit", type=int, default=0, help="only the first BYTES of each file (0: whole files)")
    args = ap.parse_args(argv)
    files = G.corpus_files()
    if not files:
        print("no ../shared/corpora: nothing to check")
        return 0
    bad = 0
    for name in args.names.split(","):
        if name not in G.available():
            print(f"{name}: no rank file here, skipped")
            continue
        ours, ref = G.pair(name)
        specials = sorted(ours.special_tokens_set)
        totals = {"files": 0, "lines": 0, "special_lines": 0, "ids": 0}
        for path in files:
            text = G.corpus_text(path, args.limit or None)
            where = str(path.relative_to(path.parents[1]))
            t = time.time()
            try:
                counts = G.check_corpus_text(ours, ref, text, specials)
            except AssertionError as e:
                bad += 1
                print(f"{name} {where}: DIFFERENT ({e})", flush=True)
                continue
            for k, v in counts.items():
                totals[k] += v
            print(f"{name} {where}: identical, {counts['lines']} lines ({time.time() - t:.1f}s)", flush=True)
        print(f"{name}: identical on {totals}", flush=True)
    print("all identical" if not bad else f"{bad} file(s) differ")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
