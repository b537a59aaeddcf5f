"""Training with spbpe and with the official ``sentencepiece`` on the same input, then comparing the models.

    >>> report = verify_training({"input": "corpus.txt", "vocab_size": "2000"})   # doctest: +SKIP
    >>> report.ok                                                                 # doctest: +SKIP
    True

This is ``spbpe verify --train``.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import asdict, dataclass
from typing import Any, Dict, Optional, Sequence, Tuple

from ..errors import CliError

__all__ = ["TrainReport", "verify_training", "first_diff"]


def first_diff(a: Sequence, b: Sequence) -> int:
    """Index of the first element where two sequences differ (the shorter length if one is a prefix).

    >>> first_diff([1, 2, 3], [1, 5, 3])
    1
    """
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return min(len(a), len(b))


@dataclass
class TrainReport:
    """Training the same input with both libraries."""

    identical: bool
    model_bytes_identical: bool
    vocab_bytes_identical: bool
    pieces: Tuple[int, int]
    first_difference: Optional[Dict[str, Any]]
    seconds: Dict[str, float]
    options: Dict[str, str]

    @property
    def ok(self) -> bool:
        return self.identical

    def to_dict(self) -> Dict[str, Any]:
        d = asdict(self)
        d["ok"] = self.ok
        return d

    def format_table(self) -> str:
        s, r = self.seconds["spbpe"], self.seconds["sentencepiece"]
        out = [
            f"spbpe verify --train: {' '.join(f'--{k}={v}' for k, v in self.options.items())}",
            f"training time: spbpe {s:.2f} s, sentencepiece {r:.2f} s ({r / s if s else 0:.1f}x)",
            f"pieces: spbpe {self.pieces[0]:,}, sentencepiece {self.pieces[1]:,}",
            f".model bytes {'identical' if self.model_bytes_identical else 'differ'} (model_prefix aside), "
            f".vocab bytes {'identical' if self.vocab_bytes_identical else 'differ'}",
        ]
        if self.identical:
            out.append("OK: identical pieces, scores and types")
        else:
            d = self.first_difference or {}
            out.append(
                f"DIFFERENT: first difference at piece {d.get('index')}: "
                f"spbpe {d.get('spbpe')!r}, sentencepiece {d.get('sentencepiece')!r}"
            )
        return "\n".join(out)


def verify_training(options: Dict[str, str], workdir: Optional[str] = None) -> TrainReport:
    """Train with spbpe and with the official library on the same ``options`` (spm_train's names).

    ``model_prefix`` is chosen here (in ``workdir`` or a temporary directory).
    """
    from ..trainer import SentencePieceTrainer
    from .optional import require

    spm = require("sentencepiece", "verify --train (the official library to compare with)")
    from .model_info import load_proto

    opts: Dict[str, Any] = {k: str(v) for k, v in options.items() if k != "model_prefix"}
    opts.setdefault("model_type", "bpe")
    if "input" not in opts:
        raise CliError("verify: --input is required with --train")
    with tempfile.TemporaryDirectory(prefix="spbpe-verify-", dir=workdir) as d:
        times = {}
        for name, trainer in (("spbpe", SentencePieceTrainer), ("sentencepiece", spm.SentencePieceTrainer)):
            extra: Dict[str, Any] = (
                {"minloglevel": "2"} if name == "sentencepiece" and "minloglevel" not in opts else {}
            )
            start = time.perf_counter()
            trainer.train(model_prefix=os.path.join(d, name), **opts, **extra)
            times[name] = time.perf_counter() - start
        blobs = {}
        for name in times:
            with open(os.path.join(d, name + ".model"), "rb") as f, open(os.path.join(d, name + ".vocab"), "rb") as g:
                blobs[name] = (f.read(), g.read())
        ours, theirs = (load_proto(os.path.join(d, n + ".model")) for n in ("spbpe", "sentencepiece"))
    a = [(p.piece, p.score, p.type) for p in ours.pieces]
    b = [(p.piece, p.score, p.type) for p in theirs.pieces]
    first = None
    if a != b:
        i = first_diff(a, b)
        first = {
            "index": i,
            "spbpe": list(a[i]) if i < len(a) else None,
            "sentencepiece": list(b[i]) if i < len(b) else None,
        }
    for proto in (ours, theirs):  # the prefix (a temporary path) is stored in the model: compare without it
        proto.trainer_spec.ClearField("model_prefix")
    return TrainReport(
        identical=a == b,
        model_bytes_identical=ours.SerializeToString() == theirs.SerializeToString(),
        vocab_bytes_identical=blobs["spbpe"][1] == blobs["sentencepiece"][1],
        pieces=(len(a), len(b)),
        first_difference=first,
        seconds=times,
        options=opts,
    )
