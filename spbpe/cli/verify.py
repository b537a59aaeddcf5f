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
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

from ..errors import CliError
from .flags import spm_flags
from .model_info import load_processor, load_proto
from .optional import require
from .progress import Progress
from .verify_corpus import Text, _files, adversarial_strings, read_corpus
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


@dataclass
class Difference:
    """One check that differs on one line."""

    source: str  # file name, or "adversarial" / "input"
    line_no: int  # 1-based line (or record) number in the source
    text: str  # the line (repr() when it is not valid UTF-8)
    checks: List[str]  # the checks that differ on this line (the first one is shown)
    position: int  # first differing index: token for lists, character for strings
    char_offset: Optional[int]  # where that token starts in the line, when known
    ours: Any  # spbpe's output (pieces for ids/pieces, to show both sequences)
    theirs: Any  # the official library's output

    def describe(self, width: int = 160) -> str:
        where = f"{self.source}:{self.line_no}"
        check = self.checks[0]
        at = f"token {self.position}" if check not in ("decode", "normalize") else f"char {self.position}"
        if self.char_offset is not None:
            at += f" (char {self.char_offset} of the line)"
        return (
            f"{where} [{', '.join(self.checks)}] first difference at {at}\n"
            f"  line:   {_clip(repr(self.text), width)}\n"
            f"  spbpe:  {_clip(_show(self.ours), width)}\n"
            f"  spm:    {_clip(_show(self.theirs), width)}"
        )


def _clip(s: str, width: int) -> str:
    return s if len(s) <= width else s[: width - 3] + "..."


def _show(x: Any) -> str:
    if isinstance(x, list):
        return " ".join(str(t) if not isinstance(t, tuple) else f"{t[0]}-{t[1]}" for t in x)
    return repr(x)


@dataclass
class VerifyReport:
    """Counts per check and the first differences; ``ok`` when nothing differs."""

    model: str
    reference_model: str
    lines: int = 0
    chars: int = 0
    differing_lines: int = 0
    checked: Dict[str, int] = field(default_factory=dict)
    differences: Dict[str, int] = field(default_factory=dict)
    sources: Dict[str, int] = field(default_factory=dict)
    examples: List[Difference] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.differing_lines == 0

    def to_dict(self) -> Dict[str, Any]:
        d = asdict(self)
        d["ok"] = self.ok
        return d

    def format_table(self) -> str:
        ref = "" if self.reference_model == self.model else f" against reference {self.reference_model}"
        out = [
            f"spbpe verify: {self.model}{ref}",
            f"{self.lines:,} lines ({self.chars:,} chars) from {len(self.sources)} source(s) in {self.seconds:.1f} s",
            "",
            f"{'check':<10} {'lines':>10} {'differ':>8}",
        ]
        for c, n in self.checked.items():
            out.append(f"{c:<10} {n:>10,} {self.differences.get(c, 0):>8,}")
        out.append(f"{'any':<10} {self.lines:>10,} {self.differing_lines:>8,}")
        out.append("")
        out.append("OK: no differences" if self.ok else f"DIFFERENT: {self.differing_lines:,} line(s) differ")
        return "\n".join(out)


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
        if not args.model:
            parser.error("--model is required (or --train)")
        if not (args.input or args.adversarial or args.text):
            parser.error("nothing to check: give --input FILES, --adversarial or --text")
        progress = Progress("verify", enabled=False if args.quiet else args.progress)
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
    p.add_argument("--model", default="", help="the .model file to check (required unless --train)")
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
