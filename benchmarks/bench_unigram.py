"""Unigram encode speed against sentencepiece, on documents and on lines.

    python benchmarks/bench_unigram.py [MODEL] [--rounds N] [--max-mb M] [--no-ja]

MODEL defaults to ../shared/sentencepiece_tests/botchan_en_unigram_1000.model
(else a model trained on the bundled text), on the English corpora; a
second table runs kyoto_ja_unigram_8000.model on the Japanese corpora
(Japanese has no spaces, so its "words" are whole sentences) when
../shared has them.  Each text is cut to its first M MB (default 3).
Peers and modes are interleaved in rounds, so machine drift moves all
figures alike; compare the ratios of one run.  Single-thread modes are
timed in process CPU time, the two-thread batch in wall time.  ../shared is the folder
next to the checkout, or $SPBPE_SHARED (for a git worktree elsewhere).
"""

from __future__ import annotations

import argparse
import os
import pathlib
import tempfile
import time

import sentencepiece as spm

import spbpe

ROOT = pathlib.Path(__file__).resolve().parents[1]
# ../shared next to the checkout, or $SPBPE_SHARED (a git worktree lives elsewhere)
SHARED = pathlib.Path(os.environ.get("SPBPE_SHARED", ROOT.parent / "shared"))


def _model(arg):
    if arg:
        return arg
    p = SHARED / "sentencepiece_tests" / "botchan_en_unigram_1000.model"
    if p.exists():
        return str(p)
    prefix = pathlib.Path(tempfile.mkdtemp()) / "uni"
    spm.SentencePieceTrainer.train(
        input=str(ROOT / "spbpe" / "data" / "botchan.txt"), model_prefix=str(prefix), vocab_size=1000, minloglevel=2
    )
    return str(prefix) + ".model"


def _text(max_mb: float) -> str:
    base = SHARED / "corpora" / "english"
    files = sorted(base.glob("*.txt")) if base.exists() else [ROOT / "spbpe" / "data" / "botchan.txt"]
    return _cut("\n".join(f.read_text(encoding="utf-8") for f in files), max_mb)


def _cut(text: str, max_mb: float) -> str:
    data = text.encode()[: int(max_mb * 1e6)]
    return data.decode("utf-8", errors="ignore")


def _ja():
    model = SHARED / "sentencepiece_tests" / "kyoto_ja_unigram_8000.model"
    base = SHARED / "corpora" / "multilingual"
    files = [base / "ja.txt", base / "ja_wagahaiwa_nekodearu.txt"]
    if not model.exists() or not all(f.exists() for f in files):
        return None
    return str(model), "\n".join(f.read_text(encoding="utf-8") for f in files)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("model", nargs="?")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--max-mb", type=float, default=3.0)
    ap.add_argument("--no-ja", action="store_true", help="skip the Japanese table")
    args = ap.parse_args()
    _table(_model(args.model), _text(args.max_mb), args.rounds)
    ja = None if args.no_ja else _ja()
    if ja:
        _table(ja[0], _cut(ja[1], args.max_mb), args.rounds)


def _table(path: str, text: str, rounds: int) -> None:
    ref = spm.SentencePieceProcessor(model_file=path)
    ours = spbpe.SentencePieceProcessor(model_file=path)
    lines = [ln for ln in text.splitlines() if ln.strip()]
    docs = ["\n".join(lines[i : i + 200]) for i in range(0, len(lines), 200)]
    mb = len(text.encode()) / 1e6
    modes = {
        ("sentencepiece", "lines"): lambda: [ref.encode(x) for x in lines],
        ("spbpe", "lines"): lambda: [ours.encode(x) for x in lines],
        ("sentencepiece", "docs"): lambda: [ref.encode(x) for x in docs],
        ("spbpe", "docs"): lambda: [ours.encode(x) for x in docs],
        ("sentencepiece", "batch 1 thread"): lambda: ref.encode(lines, num_threads=1),
        ("spbpe", "batch 1 thread"): lambda: ours.encode(lines, num_threads=1),
        ("sentencepiece", "batch 2 threads"): lambda: ref.encode(lines, num_threads=2),
        ("spbpe", "batch 2 threads"): lambda: ours.encode(lines, num_threads=2),
    }
    best = {k: float("inf") for k in modes}
    for _ in range(rounds):
        for k, fn in modes.items():
            # CPU time for one thread (steadier on a shared machine), wall time for two
            clock = time.perf_counter if k[1] == "batch 2 threads" else time.process_time
            t = clock()
            fn()
            best[k] = min(best[k], clock() - t)
    print(f"model {pathlib.Path(path).name}: {mb:.2f} MB of text, {len(lines)} lines, {len(docs)} documents")
    for mode in ("lines", "docs", "batch 1 thread", "batch 2 threads"):
        a, b = best[("sentencepiece", mode)], best[("spbpe", mode)]
        print(f"{mode:15s} sentencepiece {mb / a:7.2f} MB/s   spbpe {mb / b:7.2f} MB/s   ratio {a / b:5.2f}x")


if __name__ == "__main__":
    main()
