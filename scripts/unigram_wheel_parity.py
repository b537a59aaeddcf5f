"""Unigram training: spbpe against the installed sentencepiece 0.2.3 wheel on
the shared corpora (a sweep too big for the tests; run it by hand).

For each corpus and option set both libraries train in memory; the line
says how many pieces both have, how many entries are identical (piece,
type, score bit for bit, same id), and whether the models are the same.

Usage:  python scripts/unigram_wheel_parity.py [../shared/corpora]
"""

from __future__ import annotations

import io
import os
import sys

import sentencepiece as spm

from spbpe._proto import model_pb2
from spbpe.trainer import SentencePieceTrainer

CASES = [
    ("english/botchan.txt", dict(vocab_size=1000, num_threads=1)),
    ("english/botchan.txt", dict(vocab_size=1000, num_threads=2)),
    ("english/botchan.txt", dict(vocab_size=1000)),
    ("english/tinyshakespeare.txt", dict(vocab_size=2000, num_threads=1)),
    ("english/taylorswift_wikipedia.txt", dict(vocab_size=800, num_threads=1)),
    ("english/taylorswift_wikipedia.txt", dict(vocab_size=800, num_threads=1, split_digits=True)),
    ("multilingual/ja.txt", dict(vocab_size=2000, num_threads=1, character_coverage=0.98)),
    ("multilingual/de.txt", dict(vocab_size=1000, num_threads=1, byte_fallback=True)),
    ("multilingual/fr.txt", dict(vocab_size=2000)),
    ("multilingual/el.txt", dict(vocab_size=2000)),
    ("multilingual/ar.txt", dict(vocab_size=2000)),
    ("multilingual/he.txt", dict(vocab_size=2000)),
    ("multilingual/ko.txt", dict(vocab_size=2000)),
    ("multilingual/hi.txt", dict(vocab_size=2000)),
    ("multilingual/hi.txt", dict(vocab_size=2000, num_threads=1)),
    ("multilingual/th.txt", dict(vocab_size=2000)),
    ("multilingual/fa.txt", dict(vocab_size=2000)),
    ("english/botchan.txt", dict(vocab_size=1000, num_threads=1, add_dummy_prefix=False)),
    ("english/botchan.txt", dict(vocab_size=1000, num_threads=1, pretokenization_delimiter=",")),
]


def _train(lib_train, path: str, kw: dict) -> model_pb2.ModelProto:
    out = io.BytesIO()
    lib_train(input=path, model_writer=out, minloglevel=2, **kw)
    return model_pb2.ModelProto.FromString(out.getvalue())


def main() -> None:
    root = (
        sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "shared", "corpora")
    )
    for name, kw in CASES:
        path = os.path.join(root, name)
        if not os.path.exists(path):
            print(f"{name}: absent")
            continue
        theirs = _train(spm.SentencePieceTrainer.train, path, kw)
        ours = _train(SentencePieceTrainer.train, path, kw)
        a = [(p.piece, p.type, p.score) for p in ours.pieces]
        b = [(p.piece, p.type, p.score) for p in theirs.pieces]
        common = len({x[0] for x in a} & {x[0] for x in b})
        same = sum(x == y for x, y in zip(a, b))
        verdict = "identical" if a == b else "differs"
        print(f"{name} {kw}: {len(b)} pieces, {common} in both, {same} entries identical: {verdict}")


if __name__ == "__main__":
    main()
