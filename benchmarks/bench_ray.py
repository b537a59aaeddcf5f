"""One process vs Ray Data on one machine: encode and train on the largest
corpus in ../shared/corpora (or a file given), with spbpe.ray.

    python benchmarks/bench_ray.py [--file PATH] [--workers 2] [--vocab 8000]

Prints wall times (Ray's start-up reported apart), throughput in MB/s, and
the driver's peak RSS during spbpe.ray.train (the driver only holds the
merged word counts and the merges).  Each phase runs once: a shared machine's
load moves these figures; quote them with the load average printed.
"""

import argparse
import os
import pathlib
import resource
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def largest_corpus() -> pathlib.Path:
    base = ROOT.parent / "shared" / "corpora"
    files = [p for p in base.rglob("*.txt")] if base.exists() else []
    if not files:
        return ROOT / "spbpe" / "data" / "botchan.txt"
    return max(files, key=lambda p: p.stat().st_size)


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--file", type=pathlib.Path, default=None)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--vocab", type=int, default=8000)
    ap.add_argument("--model", default=str(ROOT.parent / "shared" / "models" / "llama2.model"))
    a = ap.parse_args()
    path = a.file or largest_corpus()
    mb = path.stat().st_size / 1e6
    print(f"corpus {path} ({mb:.1f} MB), load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} CPUs")
    import spbpe

    lines = path.read_text(encoding="utf-8", errors="surrogateescape").split("\n")
    sp = spbpe.SentencePieceProcessor(model_file=a.model)
    opts = dict(model_type="bpe", vocab_size=a.vocab, minloglevel=2)
    tmp = tempfile.mkdtemp()

    t = time.perf_counter()
    sp.encode_to_arrays(lines, num_threads=1)
    enc1 = time.perf_counter() - t
    print(f"encode, one process, one thread: {enc1:.2f} s, {mb / enc1:.1f} MB/s")
    t = time.perf_counter()
    spbpe.SentencePieceTrainer.train(input=str(path), model_prefix=f"{tmp}/one", num_threads=1, **opts)
    tr1 = time.perf_counter() - t
    print(f"train, one process, one thread: {tr1:.2f} s, {mb / tr1:.1f} MB/s")

    import ray

    import spbpe.ray

    t = time.perf_counter()
    ray.init(num_cpus=a.workers, include_dashboard=False, log_to_driver=False)
    ray.data.DataContext.get_current().enable_progress_bars = False
    print(f"ray.init: {time.perf_counter() - t:.2f} s")
    ds = ray.data.read_text(str(path)).materialize()  # reading is not what we measure
    enc2 = tr2 = 0.0
    for run in ("cold", "warm"):  # cold: worker processes and actors start inside the timing
        t = time.perf_counter()
        n = 0
        for batch in spbpe.ray.encode(ds, a.model, concurrency=a.workers, batch_size=8192).iter_batches(
            batch_format="pyarrow", batch_size=None
        ):
            n += batch.num_rows
        enc2 = time.perf_counter() - t
        print(f"encode, Ray, {a.workers} actors, {run}: {enc2:.2f} s, {mb / enc2:.1f} MB/s ({n} rows)")
        before = rss_mb()
        t = time.perf_counter()
        counts = spbpe.ray.train(ds, model_prefix=f"{tmp}/ray", num_threads=1, **opts)
        tr2 = time.perf_counter() - t
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"train, Ray, {a.workers} workers, {run}: {tr2:.2f} s, {mb / tr2:.1f} MB/s; {len(counts)} words")
        print(f"  driver RSS {before:.0f} MB before spbpe.ray.train, {rss_mb():.0f} MB after, peak {peak:.0f} MB")
    same = pathlib.Path(f"{tmp}/one.vocab").read_bytes() == pathlib.Path(f"{tmp}/ray.vocab").read_bytes()
    print(f"same vocabulary as one process: {same}")
    print(f"ratios (one process / Ray, warm): encode {enc1 / enc2:.2f}x, train {tr1 / tr2:.2f}x")
    ray.shutdown()


if __name__ == "__main__":
    main()
