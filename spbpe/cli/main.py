"""The ``spbpe`` command line: the parser of every subcommand, and the one place errors become one line.

>>> main(["export-vocab", "--model=tokenizer.model"])  # doctest: +SKIP

Subcommands (flag names are sentencepiece's, ``--flag=value`` or ``--flag value``):
  demo          train a small vocabulary on the bundled text and show encode/decode
  train         spm_train: train a BPE model (any spm_train flag; ``spbpe train --help`` lists them)
  encode        spm_encode: lines -> pieces or ids              (spbpe/cli/lines.py)
  decode        spm_decode: lines of pieces or ids -> text
  export-vocab  spm_export_vocab: piece<TAB>score or piece<TAB>id
  normalize     spm_normalize: the normalized text of each line
  inspect       a readable summary of a model                    (spbpe/cli/model_info.py)
  verify        compare spbpe with the official sentencepiece    (spbpe/cli/verify.py)
  show          coloured tokens in the terminal, or a side-by-side HTML page (spbpe/cli/show.py)
  convert       write a HuggingFace tokenizer.json, a minbpe model or a vocab dump (spbpe/cli/convert.py)
  serve         a live tokenizer playground in the browser       (spbpe/cli/serve.py, spbpe/serve/)

Every error prints one line, ``spbpe: error: ...``, and exits with status 1:
a missing or unreadable file, a file that is not what was expected (named,
with what it is), a bad flag (with the subcommand's help command and the
closest flag), a bad input line, a missing optional package (with the extra
that installs it).  ``SPBPE_TRACEBACK=1`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import difflib
import os
import shutil
import sys
import tempfile
import time
from typing import Dict, List, NoReturn, Optional

from ..errors import CliError
from .flags import bool_flags

__all__ = ["main", "build_parser", "error_line"]

BUNDLED_TEXT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "botchan.txt")
DEMO_SENTENCES = [
    "I was a reckless boy, and the trouble with me was that I always acted first.",
    "Tokenizers turn text into ids: 日本語 and emoji 😀 fall back to bytes.",
]


class _Parser(argparse.ArgumentParser):
    """argparse, with errors raised as CliError (one line, exit 1) that name this (sub)command's help."""

    commands: Dict[str, _Parser] = {}  # the subcommands' parsers (set on the top-level parser)

    def error(self, message: str) -> NoReturn:
        raise CliError(f"{_command(self)}{message} (see '{self.prog} --help')")

    def unknown(self, extra: List[str]) -> NoReturn:
        """Unrecognized arguments, with the closest flag of this subcommand when one is close."""
        flags = [s for a in self._actions for s in a.option_strings if s.startswith("--")]
        first = extra[0].split("=", 1)[0]
        close = difflib.get_close_matches(first, flags, n=1, cutoff=0.7)
        if not first.startswith("-") and "--model" in flags and first.endswith(".model"):
            hint = f"; did you mean --model={first}?"
        else:
            hint = f"; did you mean {close[0]}?" if close else ""
        self.error(f"unrecognized argument{'s' if len(extra) > 1 else ''}: {' '.join(extra)}{hint}")


def _command(p: argparse.ArgumentParser) -> str:
    name = p.prog.partition(" ")[2]
    return f"{name}: " if name else ""


def _cmd_demo(args) -> int:
    from ..processor import SentencePieceProcessor
    from ..trainer import SentencePieceTrainer

    own_dir = not args.output_dir
    out_dir = args.output_dir or tempfile.mkdtemp(prefix="spbpe-demo-")
    try:
        prefix = os.path.join(out_dir, "demo")
        print(
            f"training a {args.vocab_size}-piece BPE vocabulary on {os.path.basename(BUNDLED_TEXT)} "
            f"({os.path.getsize(BUNDLED_TEXT):,} bytes)..."
        )
        start = time.perf_counter()
        SentencePieceTrainer.train(
            input=BUNDLED_TEXT, model_prefix=prefix, vocab_size=args.vocab_size, model_type="bpe", byte_fallback=True
        )
        where = "a temporary directory, removed on exit" if own_dir else f"{prefix}.model, {prefix}.vocab"
        print(f"trained in {time.perf_counter() - start:.2f} s -> {where}")
        sp = SentencePieceProcessor(model_file=prefix + ".model")
        for text in args.text or DEMO_SENTENCES:
            ids = sp.encode(text)
            pieces = sp.encode(text, out_type=str)
            back = sp.decode(ids)
            print()
            print(f"text:    {text}")
            print(f"pieces:  {' '.join(pieces)}")
            print(f"ids:     {ids}")
            print(f"decoded: {back}  ({'round trip ok' if back == text else 'DIFFERS'})")
    finally:
        if own_dir:
            shutil.rmtree(out_dir, ignore_errors=True)
    return 0


def build_parser() -> _Parser:
    """The argument parser of every subcommand except ``train`` (which takes spm_train's flags)."""
    from . import convert, lines, model_info, serve, show, verify

    p = _Parser(prog="spbpe", description="Exact, fast SentencePiece BPE.", allow_abbrev=False)
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    d = sub.add_parser("demo", help="train on the bundled text and show encode/decode", allow_abbrev=False)
    d.add_argument("--vocab-size", "--vocab_size", dest="vocab_size", type=int, default=2000,
                   help="pieces in the demo vocabulary (default: %(default)s)")  # fmt: skip
    d.add_argument(
        "--output-dir",
        "--output_dir",
        dest="output_dir",
        default=None,
        help="keep demo.model and demo.vocab here (default: a temporary directory, removed)",
    )
    d.add_argument("text", nargs="*", help="text to encode (default: two sample sentences)")
    d.set_defaults(func=_cmd_demo)
    sub.add_parser("train", help="train a BPE model (spm_train flags; spbpe train --help lists them)", add_help=False)
    lines.add_parsers(sub)
    model_info.add_parser(sub)
    verify.add_parser(sub)
    show.add_parser(sub)
    convert.add_parser(sub)
    serve.add_parser(sub)
    p.commands = dict(sub.choices)
    return p


def error_line(e: BaseException) -> str:
    """The one line printed for an error: its message's first line, and the file an OSError is about."""
    if isinstance(e, OSError) and e.strerror:
        return f"{e.filename}: {e.strerror}" if e.filename else e.strerror
    text = str(e).strip()
    msg = text.splitlines()[0] if text else type(e).__name__
    if not isinstance(e, CliError) and type(e).__module__ not in ("spbpe.errors", "builtins"):
        msg = f"{type(e).__name__}: {msg}"
    return msg


def main(argv: Optional[List[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] == "train":
            from .train_cmd import run_train

            return run_train(argv[1:])
        parser = build_parser()
        args, extra = parser.parse_known_args(bool_flags(argv))
        if args.command is None:
            parser.error(f"give a command: {', '.join(parser.commands)}")
        subparser = parser.commands[args.command]
        if getattr(args, "verify_cmd", None):
            return args.verify_cmd(args, extra, subparser)
        if extra:
            subparser.unknown(extra)
        return args.func(args)
    except BrokenPipeError:
        sys.stderr.close()
        return 1
    except KeyboardInterrupt:
        print("spbpe: interrupted", file=sys.stderr)
        return 130
    except Exception as e:
        if os.environ.get("SPBPE_TRACEBACK"):
            raise
        print(f"spbpe: error: {error_line(e)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
