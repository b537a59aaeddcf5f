"""minbpe-style training (spbpe.gpt.RegexTokenizer.train): time and memory.

Each run trains in a fresh subprocess on the first --mb megabytes of the
corpus (default: ../shared/corpora/english/gutenberg_en.txt, then the other
corpora appended, all repeated as needed; without ../shared, a seeded Zipf-distributed synthetic
text), and reports:

* split: cutting the text with the GPT-4 pattern (the ``regex`` module) and
  counting distinct chunks, the Python part;
* C trainer: building the C trainer from the counts and all its merges;
* train: the whole train() call (split included);
* the C trainer's peak table bytes, and the child's peak RSS once the
  text is loaded (reading it costs a few copies) and after training.

--compare also times the plain-Python trainer of the tests
(tests/helpers/minbpe_ref.train_distinct, minbpe's loop over distinct
chunks; minbpe itself is slower still) on a small slice, for a ratio.

    python benchmarks/bench_minbpe_train.py [--mb 10] [--vocab 5000] [--compare] [CORPUS ...]
"""

import argparse
import json
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "corpora"

CHILD = r"""
import json, random, resource, sys, time
sys.path.insert(0, {root!r})
args = json.loads(sys.argv[1])
limit = int(args["mb"] * 1e6)
parts, size = [], 0
while args["files"] and size < limit:  # the corpora, repeated when shorter than --mb
    for f in args["files"]:
        with open(f, encoding="utf-8", errors="replace") as fh:
            t = fh.read()
        parts.append(t)
        size += len(t.encode())
        if size >= limit:
            break
text = "".join(parts)
if not text:
    rng = random.Random(1)
    words = ["".join(rng.choice("etaoinshrdlucmfwypvbgkqjxz") for _ in range(rng.randint(1, 12))) for _ in range(200000)]
    weights = [1.0 / (i + 1) for i in range(len(words))]
    out, n = [], 0
    while n < limit:
        chunk = " ".join(rng.choices(words, weights, k=10000)) + ".\n"
        out.append(chunk)
        n += len(chunk)
    text = "".join(out)
text = text.encode()[:limit].decode("utf-8", "ignore")
from spbpe.gpt import RegexTokenizer
base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
tok = RegexTokenizer()
t = time.perf_counter()
counts = tok._chunk_counts(text)
split = time.perf_counter() - t
distinct, distinct_bytes = len(counts), sum(map(len, counts))
from spbpe._core.native_minbpe import NativeByteTrainer
t = time.perf_counter()
trainer = NativeByteTrainer(counts)
made = len(trainer.merge(args["vocab"] - 256))
c_time = time.perf_counter() - t
del counts, trainer
t = time.perf_counter()
tok.train(text, args["vocab"])
train = time.perf_counter() - t
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
res = dict(bytes=len(text.encode()), split=split, c_time=c_time, made=made, train=train, peak=tok.train_peak_bytes,
           rss_base=base_rss / 1024, rss=rss / 1024, distinct=distinct, distinct_bytes=distinct_bytes)
if args["compare"]:
    import regex
    from tests.helpers.minbpe_ref import train_distinct
    from spbpe.gpt import GPT4_SPLIT_PATTERN
    small = text[:200000]
    chunks = [c.encode() for c in regex.findall(GPT4_SPLIT_PATTERN, small)]
    t = time.perf_counter()
    want = train_distinct(chunks, 200)
    res["py_small"] = time.perf_counter() - t
    t = time.perf_counter()
    tok2 = RegexTokenizer()
    tok2.train(small, 256 + 200)
    res["c_small"] = time.perf_counter() - t
    res["same"] = [(a, b) for a, b, _ in want] == list(tok2.merges)
print(json.dumps(res))
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpora", nargs="*", type=pathlib.Path)
    ap.add_argument("--mb", type=float, default=10.0, help="megabytes of text")
    ap.add_argument("--vocab", type=int, default=5000)
    ap.add_argument("--compare", action="store_true", help="also time the plain-Python trainer on 200 kB")
    args = ap.parse_args()
    files = args.corpora
    if not files and SHARED.exists():
        files = [SHARED / "english" / "gutenberg_en.txt"] + sorted(
            p for sub in ("multilingual", "special", "english") for p in (SHARED / sub).glob("*.txt")
        )
    kw = {"files": [str(f) for f in files], "mb": args.mb, "vocab": args.vocab, "compare": args.compare}
    out = subprocess.run(
        [sys.executable, "-c", CHILD.format(root=str(ROOT)), json.dumps(kw)], check=True, capture_output=True, text=True
    )
    r = json.loads(out.stdout.strip().splitlines()[-1])
    mb = r["bytes"] / 1e6
    print(
        f"text: {mb:.1f} MB, {r['distinct']} distinct chunks ({r['distinct_bytes'] / 1e6:.2f} MB), vocab {args.vocab}"
    )
    print(f"split+count (Python regex): {r['split']:.2f} s")
    print(f"C trainer (set-up + {r['made']} merges): {r['c_time']:.2f} s")
    print(f"train() total:              {r['train']:.2f} s")
    print(f"C trainer peak tables:      {r['peak'] / 2**20:.1f} MiB")
    print(f"peak RSS: {r['rss_base']:.0f} MiB loading the text, {r['rss']:.0f} MiB at the end of training")
    if "py_small" in r:
        print(
            f"200 kB, 200 merges: plain Python {r['py_small']:.2f} s, spbpe {r['c_small']:.3f} s "
            f"({r['py_small'] / r['c_small']:.0f}x), same merges: {r['same']}"
        )


if __name__ == "__main__":
    main()
