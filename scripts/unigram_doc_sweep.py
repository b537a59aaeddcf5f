"""Whole-document unigram parity with sentencepiece 0.2.3: every corpus file
of ../shared/corpora cut into documents of N lines (and whole), for every
unigram model at hand, each document encoded by both libraries in one call.

Counts identical id lists per (model, size) and lists the first documents
that differ (file, index, first differing token).  Also checks that the
fast path equals the plain twin (reference_path) on every document.  Exits
1 on any difference.  Run once and quote the counts; the test suite keeps a
few long documents only (tests/test_unigram_parity.py).

    python scripts/unigram_doc_sweep.py [--sizes 50,1000,100000,0] [--max-bytes N] [--models a.model,b.model]

A size of 0 means the whole file as one document.
"""

import argparse
import pathlib
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sentencepiece as spm  # noqa: E402

import spbpe  # noqa: E402

SHARED = ROOT.parent / "shared"
BUNDLED = ROOT / "spbpe" / "data" / "botchan.txt"


def trained_models(tmp: pathlib.Path) -> dict[str, str]:
    """Two unigram models with unusual options, trained with sentencepiece."""
    configs = {
        "trained_bf_udef": dict(
            vocab_size=2000,
            byte_fallback=True,
            normalization_rule_name="identity",
            user_defined_symbols=["<sep>", "ing", "▁the", "abcdefg"],
        ),
        "trained_suffix_cf": dict(vocab_size=1500, treat_whitespace_as_suffix=True, normalization_rule_name="nfkc_cf"),
    }
    out = {}
    for name, cfg in configs.items():
        prefix = tmp / name
        spm.SentencePieceTrainer.train(
            input=str(BUNDLED), model_prefix=str(prefix), model_type="unigram", num_threads=1, minloglevel=2, **cfg
        )  # fmt: skip
        out[name] = str(prefix) + ".model"
    return out


def corpus_files(base: pathlib.Path) -> list[pathlib.Path]:
    return sorted(p for p in base.rglob("*") if p.suffix in (".txt", ".tsv", ".jsonl"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="50,1000,100000,0")
    ap.add_argument("--models", default="")
    ap.add_argument("--corpora", default=str(SHARED / "corpora"))
    ap.add_argument("--max-bytes", type=int, default=1 << 20, help="use the first N bytes of each file (0: all)")
    ap.add_argument("--no-reference", action="store_true", help="skip the fast-path vs reference_path check")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        models = {}
        for name in ("botchan_en_unigram_1000.model", "kyoto_ja_unigram_8000.model"):
            p = SHARED / "sentencepiece_tests" / name
            if p.exists():
                models[name] = str(p)
        models.update(trained_models(pathlib.Path(tmp)))
        if args.models:
            models = {pathlib.Path(m).name: m for m in args.models.split(",")}
        files = corpus_files(pathlib.Path(args.corpora))
        texts = {}
        for f in files:
            data = f.read_bytes()
            data = data[: args.max_bytes] if args.max_bytes else data
            texts[f] = data.decode("utf-8", errors="replace").splitlines()
        bad_total = 0
        for mname, mpath in models.items():
            ref = spm.SentencePieceProcessor(model_file=mpath)
            ours = spbpe.SentencePieceProcessor(model_file=mpath)
            for size in sizes:
                same = total = ref_same = 0
                t_ref = t_ours = 0.0
                diffs = []
                for f, lines in texts.items():
                    step = size or len(lines) or 1
                    docs = ["\n".join(lines[i : i + step]) for i in range(0, len(lines), step)]
                    t0 = time.perf_counter()
                    want = ref.encode(docs)
                    t1 = time.perf_counter()
                    got = ours.encode(docs)
                    t_ours += time.perf_counter() - t1
                    t_ref += t1 - t0
                    for k, (a, b) in enumerate(zip(want, got)):
                        total += 1
                        if a == b:
                            same += 1
                        else:
                            at = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
                            diffs.append(f"{f.name}#{k} token {at}")
                        if not args.no_reference:
                            data = docs[k].encode()
                            ref_same += ours._model.encode_ids(data) == ours._model.encode_ids(
                                data, reference_path=True
                            )
                bad_total += total - same + (0 if args.no_reference else total - ref_same)
                label = f"{size} lines" if size else "whole file"
                extra = "" if args.no_reference else f", fast == reference_path {ref_same}/{total}"
                print(
                    f"{mname:32s} {label:>13s}: identical {same}/{total}{extra}"
                    f"  (sentencepiece {t_ref:.1f} s, spbpe {t_ours:.1f} s)",
                    flush=True,
                )
                for d in diffs[:5]:
                    print("    differs:", d)
    return 1 if bad_total else 0


if __name__ == "__main__":
    sys.exit(main())
