"""Unigram training: spbpe vs sentencepiece 0.2.3, wall time and peak RSS.

    python benchmarks/bench_unigram_train.py [--mb 3] [--vocab 8000]

Each run is a fresh subprocess (so peak RSS is that run's alone); prints
the seconds and MiB of both and the ratios (character_coverage=0.98, default
num_threads 16 for both).  Text: the bundled botchan, and
the first --mb MiB of ../shared/corpora/multilingual/mixed_shuffled.txt
when present.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHILD = r"""
import io, json, resource, sys, time
lib, path, vocab = sys.argv[1], sys.argv[2], int(sys.argv[3])
if lib == "spm":
    import sentencepiece as m
    kw = {"minloglevel": 2}
else:
    import spbpe.trainer as m
    kw = {}
b = io.BytesIO()
t = time.perf_counter()
m.SentencePieceTrainer.train(input=path, model_writer=b, model_type="unigram", vocab_size=vocab, character_coverage=0.98, **kw)
dt = time.perf_counter() - t
print(json.dumps({"s": dt, "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run(lib: str, path: str, vocab: int) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, lib, path, str(vocab)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=3.0)
    ap.add_argument("--vocab", type=int, default=8000)
    args = ap.parse_args()
    texts = [("botchan", str(ROOT / "spbpe" / "data" / "botchan.txt"), 4000)]
    multi = ROOT.parent / "shared" / "corpora" / "multilingual" / "mixed_shuffled.txt"
    tmp = tempfile.TemporaryDirectory()
    if multi.exists():
        cut = Path(tmp.name) / "multi.txt"
        data = multi.read_bytes()[: int(args.mb * (1 << 20))]
        cut.write_bytes(data[: data.rfind(b"\n") + 1])
        texts.append((f"multilingual {args.mb:g} MiB", str(cut), args.vocab))
    for name, path, vocab in texts:
        a, b = run("spbpe", path, vocab), run("spm", path, vocab)
        print(
            f"{name:24s} vocab {vocab}: spbpe {a['s']:.2f}s {a['rss_mib']:.0f} MiB | "
            f"sentencepiece {b['s']:.2f}s {b['rss_mib']:.0f} MiB | "
            f"speed x{b['s'] / a['s']:.2f}, memory x{a['rss_mib'] / b['rss_mib']:.2f}"
        )


if __name__ == "__main__":
    main()
