"""The verification harness: spbpe against the official ``sentencepiece``.

    >>> report = verify("tokenizer.model", files=["corpus.txt"])   # doctest: +SKIP
    >>> report.ok, report.lines                                      # doctest: +SKIP
    (True, 40000)

Each line is checked five ways, through the public APIs of both libraries:
``ids`` (``encode``), ``pieces`` (``encode(out_type=str)``), ``decode`` (each
library decodes its own ids), ``normalize`` and ``offsets``
(``encode(out_type="offset_mapping")``).  With ``reference_model`` the official
library loads that model instead, which shows what an edited or retrained
vocabulary changes on a corpus.  The lines come from :mod:`spbpe.cli.verify_corpus`;
:func:`verify_training` (:mod:`spbpe.cli.verify_train`) trains with both libraries
on the same input and options and compares the models.

The official package is needed only here (it is a test dependency of spbpe).
"""

from __future__ import annotations

import json
import os
import time
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

from ..errors import CliError
from .flags import spm_flags
from .model_info import load_processor, load_proto
from .optional import require
from .progress import Progress
from .verify_corpus import Text, _files, adversarial_strings, read_corpus
from .verify_report import Difference, VerifyReport
from .verify_train import TrainReport, first_diff, verify_training

__all__ = [
    "CHECKS",
    "Difference",
    "VerifyReport",
    "Verifier",
    "verify",
    "read_corpus",
    "adversarial_strings",
    "TrainReport",
    "verify_training",
]

CHECKS = ("ids", "pieces", "decode", "normalize", "offsets")
_BATCH = 256


class Verifier:
    """Compares one spbpe model with the official library on batches of lines."""

    def __init__(
        self, model: str, reference_model: Optional[str] = None, checks: Sequence[str] = CHECKS, max_examples: int = 20
    ) -> None:
        spm = require("sentencepiece", "verify (the official library to compare with)")
        bad = [c for c in checks if c not in CHECKS]
        if bad:
            raise CliError(f"unknown check {bad[0]!r} (choose from {', '.join(CHECKS)})")
        self.ours = load_processor(str(model))
        load_proto(str(reference_model or model))  # a missing or wrong file: one line naming it
        self.ref = spm.SentencePieceProcessor(model_file=str(reference_model or model))
        self.checks = tuple(checks)
        self.max_examples = max_examples
        self.report = VerifyReport(
            model=str(model),
            reference_model=str(reference_model or model),
            checked={c: 0 for c in self.checks},
            differences={c: 0 for c in self.checks},
        )

    def add(self, items: List[Tuple[str, int, Text]]) -> None:
        """Check a batch of (source, line_no, text); str lines go in one call, bytes one by one."""
        strs = [it for it in items if isinstance(it[2], str)]
        if strs:
            self._batch(strs)
        for it in items:
            if not isinstance(it[2], str):
                self._batch([it])

    def _batch(self, items: List[Tuple[str, int, Text]]) -> None:
        # All str, or one bytes item: sentencepiece's hints want a list of one kind.
        texts: Any = [t for _, _, t in items]
        o, r = self.ours, self.ref
        res: Dict[str, Tuple[list, list]] = {}
        ids_o, ids_r = o.encode(texts), r.encode(texts)
        pieces_o = o.encode(texts, out_type=str)
        pieces_r = r.encode(texts, out_type=str)
        res["ids"] = (ids_o, ids_r)
        res["pieces"] = (pieces_o, pieces_r)
        if "decode" in self.checks:
            res["decode"] = (o.decode(ids_o), r.decode(ids_r))
        if "normalize" in self.checks:
            res["normalize"] = ([o.normalize(t) for t in texts], [r.normalize(t) for t in texts])
        offs_r: Optional[list] = None
        if "offsets" in self.checks:
            om_o = o.encode(texts, out_type="offset_mapping")
            om_r = r.encode(texts, out_type="offset_mapping")
            offs_r = [m["offsets"] for m in om_r]
            res["offsets"] = ([list(m["offsets"]) for m in om_o], [list(x) for x in offs_r])
        rep = self.report
        for k, (src, no, text) in enumerate(items):
            rep.lines += 1
            rep.chars += len(text)
            rep.sources[src] = rep.sources.get(src, 0) + 1
            bad = [c for c in self.checks if res[c][0][k] != res[c][1][k]]
            for check in self.checks:
                rep.checked[check] += 1
            for check in bad:
                rep.differences[check] += 1
            if bad and len(rep.examples) < self.max_examples:
                check = bad[0]
                a, b = res[check][0][k], res[check][1][k]
                pos = first_diff(a, b)
                off = None
                if check in ("ids", "pieces", "offsets") and offs_r is not None and pos < len(offs_r[k]):
                    off = offs_r[k][pos][0]
                if check == "ids":  # show both piece sequences
                    a, b = pieces_o[k], pieces_r[k]
                rep.examples.append(
                    Difference(src, no, text if isinstance(text, str) else repr(text), bad, pos, off, a, b)
                )
            rep.differing_lines += bool(bad)


def verify(
    model: str,
    files: Iterable[str] = (),
    texts: Iterable[Text] = (),
    reference_model: Optional[str] = None,
    adversarial: bool = False,
    checks: Sequence[str] = CHECKS,
    max_lines: Optional[int] = None,
    max_examples: int = 20,
    progress: Optional[Progress] = None,
) -> VerifyReport:
    """Check ``model`` on every line of ``files`` (directories are walked), ``texts`` and the adversarial set.

    Args:
        max_lines: stop after this many lines per file (a sample), None for all.
    Returns:
        a VerifyReport; ``report.ok`` is True when no check differs on any line.
    """
    start = time.perf_counter()
    v = Verifier(model, reference_model, checks, max_examples)
    paths = _files(files)
    for p in paths:
        if not os.path.isfile(p):
            raise FileNotFoundError(2, "No such file", p)

    def items() -> Iterator[Tuple[str, int, Text]]:
        for i, t in enumerate(texts, 1):
            yield "input", i, t
        if adversarial:
            for i, t in enumerate(adversarial_strings(str(model)), 1):
                yield "adversarial", i, t
        for p in paths:
            for src, no, t in read_corpus([p]):
                if max_lines is not None and no > max_lines:
                    break
                if progress:
                    progress.advance(
                        len(t) + 1 if isinstance(t, bytes) else len(t.encode("utf-8", "surrogatepass")) + 1
                    )
                yield src, no, t

    if progress:
        progress.total = sum(os.path.getsize(p) for p in paths) if max_lines is None else 0
    batch: List[Tuple[str, int, Text]] = []
    for it in items():
        batch.append(it)
        if len(batch) >= _BATCH:
            v.add(batch)
            batch = []
    if batch:
        v.add(batch)
    if progress:
        progress.close()
    v.report.seconds = time.perf_counter() - start
    return v.report


def _cmd_verify(args, extra: List[str], parser) -> int:
    if args.train:
        flags = spm_flags(extra)
        if args.input:
            flags.setdefault("input", ",".join(args.input))
        for p in filter(None, flags.get("input", "").split(",")):
            if not os.path.isfile(p):
                raise FileNotFoundError(2, "No such file or directory", p)
        report: Any = verify_training(flags)
    else:
        if extra:
            parser.unknown(extra)
        spec = args.tiktoken or args.encoding
        if not args.model and not spec:
            parser.error("--model is required (or --tiktoken, or --train)")
        if args.model and spec:
            parser.error("give --model or --tiktoken, not both")
        if not (args.input or args.adversarial or args.text):
            parser.error("nothing to check: give --input FILES, --adversarial or --text")
        progress = Progress("verify", enabled=False if args.quiet else args.progress)
        if spec:
            if args.adversarial or args.reference_model:
                parser.error("--tiktoken checks --input files and --text (no --adversarial, --reference-model)")
            from .verify_gpt import verify_encoding

            report = verify_encoding(spec, args.input, args.text, args.max_lines, args.max_examples, progress)
        else:
            report = verify(
                args.model,
                files=args.input,
                texts=args.text,
                reference_model=args.reference_model,
                adversarial=args.adversarial,
                checks=args.checks.split(","),
                max_lines=args.max_lines,
                max_examples=args.max_examples,
                progress=progress,
            )
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=1))
    else:
        print(report.format_table())
        for ex in getattr(report, "examples", []):
            print()
            print(ex.describe())
    return 0 if report.ok else 1


def add_parser(sub) -> None:
    p = sub.add_parser("verify", help="compare spbpe with the official sentencepiece", allow_abbrev=False)
    p.add_argument("--model", default="", help="the .model file to check (required unless --train or --tiktoken)")
    p.add_argument(
        "--tiktoken",
        default="",
        help="check spbpe's byte-level engine against tiktoken instead: cl100k_base, ... or a rank file",
    )
    p.add_argument("--encoding", default="", help="the same as --tiktoken NAME")
    p.add_argument("--input", nargs="+", default=[], help="files or directories of text (.txt, .tsv, .jsonl)")
    p.add_argument("--text", action="append", default=[], help="a string to check (repeatable)")
    p.add_argument(
        "--reference-model",
        "--reference_model",
        dest="reference_model",
        default=None,
        help="run the official library on this model instead",
    )
    p.add_argument("--adversarial", action="store_true", help="add the built-in set of hard strings")
    p.add_argument("--checks", default=",".join(CHECKS), help="comma-separated subset of " + ",".join(CHECKS))
    p.add_argument(
        "--max-lines",
        "--max_lines",
        dest="max_lines",
        type=int,
        default=None,
        help="check only the first N lines of each file",
    )
    p.add_argument(
        "--max-examples",
        "--max_examples",
        dest="max_examples",
        type=int,
        default=20,
        help="show at most N differing lines in detail (default: %(default)s)",
    )
    p.add_argument("--train", action="store_true", help="train with both libraries (spm_train flags follow)")
    p.add_argument("--json", action="store_true", help="print a JSON report")
    p.add_argument(
        "--progress",
        dest="progress",
        action="store_true",
        default=None,
        help="force the progress bar (default: when stderr is a terminal)",
    )
    p.add_argument("--no-progress", dest="progress", action="store_false", help="never show the progress bar")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar (the report is still printed)")
    p.set_defaults(func=None, verify_cmd=_cmd_verify)
