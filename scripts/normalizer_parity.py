"""Normalizer and offset parity with sentencepiece 0.2.3 over ../shared/corpora.

Trains one small model per configuration with the official sentencepiece
(each rule name; byte fallback, treat_whitespace_as_suffix and
remove_extra_whitespaces on and off), then compares spbpe with
sentencepiece on every line of every corpus file (and the hard cases):
ids, pieces, decode, normalize with and without offsets, proto begin/end
and offset_mapping for every piece, and the standalone normalizer of every
rule name.  It also recompiles the four built-in rule tables and checks the
blobs are byte-identical.  Prints the number of cases checked and of
differences per check; exits 1 on any difference.

    python scripts/normalizer_parity.py [--max-lines N] [--corpora DIR]
"""

import argparse
import os
import pathlib
import sys
import tempfile
import time
from collections import Counter

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sentencepiece as spm  # noqa: E402

import spbpe  # noqa: E402
from spbpe._charsmap.builder import compile_charsmap, decompile_charsmap  # noqa: E402
from tests.helpers.hard_cases import HARD_CASES, random_strings  # noqa: E402

CONFIGS = {
    "nmt_nfkc": dict(normalization_rule_name="nmt_nfkc"),
    "nmt_nfkc_bf_suffix_keepws": dict(
        normalization_rule_name="nmt_nfkc",
        byte_fallback=True,
        treat_whitespace_as_suffix=True,
        remove_extra_whitespaces=False,
    ),
    "nfkc_bf": dict(normalization_rule_name="nfkc", byte_fallback=True),
    "nmt_nfkc_cf_suffix": dict(normalization_rule_name="nmt_nfkc_cf", treat_whitespace_as_suffix=True),
    "nfkc_cf_keepws_bf": dict(normalization_rule_name="nfkc_cf", remove_extra_whitespaces=False, byte_fallback=True),
    "identity": dict(normalization_rule_name="identity"),
    "identity_bf_keepws": dict(normalization_rule_name="identity", byte_fallback=True, remove_extra_whitespaces=False),
    "identity_bf_suffix_keepws": dict(
        normalization_rule_name="identity",
        byte_fallback=True,
        treat_whitespace_as_suffix=True,
        remove_extra_whitespaces=False,
    ),
}


def corpus_lines(base, max_lines):
    files = sorted(
        p
        for sub in ("english", "multilingual", "special", "adversarial")
        if (base / sub).exists()
        for p in (base / sub).iterdir()
        if p.suffix in (".txt", ".tsv")
    )
    for f in files:
        with open(f, encoding="utf-8", errors="surrogateescape", newline="") as fh:
            for i, line in enumerate(fh):
                if max_lines and i >= max_lines:
                    break
                line = line.rstrip("\n")
                try:
                    line.encode("utf-8")
                    yield line
                except UnicodeEncodeError:
                    yield line.encode("utf-8", "surrogateescape")


def train_models(base, tmp):
    text = (ROOT / "spbpe" / "data" / "botchan.txt").read_text(encoding="utf-8")
    sample = []
    ml = base / "multilingual"
    if ml.exists():
        for p in sorted(ml.glob("*.txt")):
            with open(p, encoding="utf-8", errors="replace") as f:
                sample += [line.rstrip("\n") for _, line in zip(range(100), f)]
    path = pathlib.Path(tmp) / "train.txt"
    path.write_text(text + "\n".join(sample) + "\n", encoding="utf-8")
    out = {}
    for name, cfg in CONFIGS.items():
        prefix = pathlib.Path(tmp) / name
        spm.SentencePieceTrainer.train(
            input=str(path),
            model_prefix=str(prefix),
            model_type="bpe",
            vocab_size=2000,
            character_coverage=0.98,
            num_threads=2,
            minloglevel=2,
            **cfg,
        )
        out[name] = str(prefix) + ".model"
    return out


def proto_spans(p):
    return [(x.piece, x.id, x.surface, x.begin, x.end) for x in p.pieces]


def check_model(path, lines, counts, diffs):
    ours, ref = spbpe.SentencePieceProcessor(model_file=path), spm.SentencePieceProcessor(model_file=path)
    checks = {
        "ids": lambda sp, x: sp.encode(x),
        "pieces": lambda sp, x: sp.encode(x, out_type=str),
        "normalize": lambda sp, x: sp.normalize(x),
        "normalize_offsets": lambda sp, x: sp.normalize(x, with_offsets=True),
        "proto_offsets": lambda sp, x: proto_spans(sp.encode(x, out_type="proto")),
        "offset_mapping": lambda sp, x: sp.encode(x, out_type="offset_mapping"),
    }
    for x in lines:
        for what, fn in checks.items():
            counts[what] += 1
            if fn(ours, x) != fn(ref, x):
                diffs[what] += 1
                if diffs[what] <= 3:
                    print(f"  DIFF {what} {os.path.basename(path)}: {x!r:.80}")
        ids = ref.encode(x)
        counts["decode"] += 1
        if ours.decode(ids) != ref.decode(ids):
            diffs["decode"] += 1
        counts["encode_with_offsets"] += 1
        om = ref.encode(x, out_type="offset_mapping")
        if ours.encode_with_offsets(x) != [(i, s, e) for i, (s, e) in zip(om["ids"], om["offsets"])]:
            diffs["encode_with_offsets"] += 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpora", default=str(ROOT.parent / "shared" / "corpora"))
    ap.add_argument("--max-lines", type=int, default=0, help="lines per corpus file (0 = all)")
    args = ap.parse_args()
    base = pathlib.Path(args.corpora)
    counts, diffs = Counter(), Counter()
    t0 = time.time()
    for name in ("nmt_nfkc", "nfkc", "nmt_nfkc_cf", "nfkc_cf"):
        blob = (ROOT / "spbpe" / "data" / f"{name}.bin").read_bytes()
        counts["builtin_recompile"] += 1
        if compile_charsmap(decompile_charsmap(blob)) != blob:
            diffs["builtin_recompile"] += 1
            print(f"  DIFF builtin_recompile {name}")
    lines = list(HARD_CASES) + random_strings(500, seed=99)
    if base.exists():
        lines += list(corpus_lines(base, args.max_lines))
    print(f"{len(lines)} inputs")
    for rule in ("nmt_nfkc", "nfkc", "nmt_nfkc_cf", "nfkc_cf", "identity"):
        a, b = spbpe.SentencePieceNormalizer(rule_name=rule), spm.SentencePieceNormalizer(rule_name=rule)
        for x in lines:
            counts["standalone_normalize"] += 1
            if a.normalize(x, with_offsets=True) != b.normalize(x, with_offsets=True):
                diffs["standalone_normalize"] += 1
    with tempfile.TemporaryDirectory() as tmp:
        models = train_models(base, tmp)
        for name, path in models.items():
            check_model(path, lines, counts, diffs)
            print(f"  {name}: done ({time.time() - t0:.0f}s)", flush=True)
    total = sum(counts.values())
    for what in sorted(counts):
        print(f"{what:22s} checked {counts[what]:9d}  differences {diffs[what]}")
    print(f"TOTAL checked {total}  differences {sum(diffs.values())}  ({time.time() - t0:.0f}s)")
    sys.exit(1 if diffs else 0)


if __name__ == "__main__":
    main()
