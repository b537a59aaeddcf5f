"""Training speed and peak memory: sentencepiece 0.2.3 vs spbpe, one run.

Each training runs in its own fresh subprocess, so wall time and peak RSS
are measured separately: the child reports the time around train() and its
own getrusage(RUSAGE_SELF).ru_maxrss (what RUSAGE_CHILDREN would give the
parent for that one child, without mixing children).  Both get the same options; sentencepiece keeps its
default num_threads unless --threads is given.

    python benchmarks/bench_train.py [--vocab 32000] [--threads N] [--repeat 3] [CORPUS ...]

Default corpora: ../shared/corpora/multilingual/mixed_shuffled.txt and
../shared/corpora/english/gutenberg_en.txt.
"""

import argparse
import json
import pathlib
import statistics
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "corpora"
DEFAULT = [SHARED / "multilingual" / "mixed_shuffled.txt", SHARED / "english" / "gutenberg_en.txt"]

CHILD = r"""
import json, sys, time
sys.path.insert(0, {root!r})
kw = json.loads(sys.argv[2])
if sys.argv[1] == "spm":
    import sentencepiece as m
else:
    import spbpe.trainer as m
import resource
t = time.perf_counter()
m.SentencePieceTrainer.train(**kw)
print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def run_child(who: str, kw: dict) -> tuple:
    """(seconds inside train(), peak RSS MiB of the child process)."""
    out = subprocess.run(
        [sys.executable, "-c", CHILD.format(root=str(ROOT)), who, json.dumps(kw)],
        check=True,
        capture_output=True,
        text=True,
    )
    secs, rss_kib = out.stdout.strip().splitlines()[-1].split()
    return float(secs), int(rss_kib) / 1024.0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpora", nargs="*", type=pathlib.Path)
    ap.add_argument("--vocab", type=int, default=32000)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    corpora = args.corpora or [p for p in DEFAULT if p.exists()]
    with tempfile.TemporaryDirectory() as tmp:
        for corpus in corpora:
            kw = dict(input=str(corpus), model_type="bpe", vocab_size=args.vocab, minloglevel=2)
            if args.threads:
                kw["num_threads"] = args.threads
            times = {"spm": [], "spbpe": []}
            peak = {"spm": 0.0, "spbpe": 0.0}
            # Alternate the two, so both see the machine in the same state.
            for _ in range(args.repeat):
                for who in ("spm", "spbpe"):
                    kw["model_prefix"] = str(pathlib.Path(tmp) / f"{who}_{corpus.stem}")
                    t, rss = run_child(who, kw)
                    times[who].append(t)
                    peak[who] = max(peak[who], rss)
            ts, to = min(times["spm"]), min(times["spbpe"])
            ms, mo = peak["spm"], peak["spbpe"]
            med = {k: statistics.median(v) for k, v in times.items()}
            print(
                f"{corpus.name} vocab={args.vocab}: sentencepiece {ts:.3f}s {ms:.0f} MiB | "
                f"spbpe {to:.3f}s {mo:.0f} MiB | speed x{ts / to:.2f} (medians {med['spm']:.3f}s / "
                f"{med['spbpe']:.3f}s: x{med['spm'] / med['spbpe']:.2f}), memory x{mo / ms:.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
