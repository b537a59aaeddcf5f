"""``spbpe verify --tiktoken=NAME|PATH``: spbpe's byte-level engine against the ``tiktoken`` package.

    >>> report = verify_encoding("cl100k_base.tiktoken", files=["corpus.txt"])   # doctest: +SKIP
    >>> report.ok                                                                 # doctest: +SKIP
    True

Each line is checked two ways: ``ids`` (``encode(text, disallowed_special=())``:
special-token text as ordinary text) and ``decode`` (each library decodes its
own ids).  Ours is ``spbpe.gpt.get_encoding(name, ranks_file=PATH)``; the
reference is tiktoken's encoding of that name with the same rank file, offline
(:func:`spbpe.cli.encodings.tiktoken_offline`).  Lines that are not valid
UTF-8 are checked as the text with U+FFFD for the bad bytes.
"""

from __future__ import annotations

import importlib
import os
import time
from typing import Any, Iterable, Iterator, List, Optional, Tuple

from ..errors import CliError
from .encodings import encoding_name, tiktoken_offline
from .optional import require
from .progress import Progress
from .verify_corpus import _files, read_corpus
from .verify_train import first_diff

__all__ = ["verify_encoding", "GPT_CHECKS"]

GPT_CHECKS = ("ids", "decode")


def verify_encoding(
    spec: str,
    files: Iterable[str] = (),
    texts: Iterable[str] = (),
    max_lines: Optional[int] = None,
    max_examples: int = 20,
    progress: Optional[Progress] = None,
) -> Any:
    """A VerifyReport (spbpe.cli.verify) of spbpe.gpt against tiktoken on every line."""
    from .verify_report import Difference, VerifyReport

    try:
        gpt = importlib.import_module("spbpe.gpt")  # not imported by name: it may not be in the build
    except ImportError:
        raise CliError(
            "verify --tiktoken compares spbpe.gpt, spbpe's byte-level engine, with tiktoken; "
            "this build of spbpe has no spbpe.gpt"
        ) from None
    path = spec if os.path.isfile(spec) else None
    name = encoding_name(spec)
    ours = gpt.get_encoding(name, ranks_file=path)
    tiktoken = require("tiktoken", "verify --tiktoken (the official library to compare with)")
    ref = tiktoken_offline(name, path) if path else tiktoken.get_encoding(name)
    start = time.perf_counter()
    rep = VerifyReport(
        model=f"spbpe.gpt {name}",
        reference_model=f"tiktoken {name}",
        checked={c: 0 for c in GPT_CHECKS},
        differences={c: 0 for c in GPT_CHECKS},
    )
    paths = _files(files)
    for p in paths:
        if not os.path.isfile(p):
            raise FileNotFoundError(2, "No such file or directory", p)
    if progress:
        progress.total = sum(os.path.getsize(p) for p in paths) if max_lines is None else 0

    def items() -> Iterator[Tuple[str, int, str]]:
        for i, t in enumerate(texts, 1):
            yield "input", i, t
        for src, no, line in read_corpus(paths):
            if max_lines is not None and no > max_lines:
                continue
            raw = line if isinstance(line, bytes) else line.encode("utf-8", "surrogatepass")
            if progress:
                progress.advance(len(raw) + 1)
            yield src, no, line if isinstance(line, str) else raw.decode("utf-8", "replace")

    for src, no, text in items():
        a, b = ours.encode(text, disallowed_special=()), ref.encode(text, disallowed_special=())
        results = {"ids": (a, b), "decode": (ours.decode(a), ref.decode(b))}
        bad: List[str] = [c for c in GPT_CHECKS if results[c][0] != results[c][1]]
        rep.lines += 1
        rep.chars += len(text)
        rep.sources[src] = rep.sources.get(src, 0) + 1
        for c in GPT_CHECKS:
            rep.checked[c] += 1
            rep.differences[c] += c in bad
        if bad and len(rep.examples) < max_examples:
            x, y = results[bad[0]]
            rep.examples.append(Difference(src, no, text, bad, first_diff(x, y), None, x, y))
        rep.differing_lines += bool(bad)
    if progress:
        progress.close()
    rep.seconds = time.perf_counter() - start
    return rep
