"""The ``spbpe`` command line.

>>> main(["demo"])  # doctest: +SKIP

Subcommands:
  demo     train a small vocabulary on the bundled public-domain text and
           show encode/decode with it
  encode   encode lines from files or stdin with a model
  decode   decode lines of ids or pieces with a model
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from typing import List, Optional

from .errors import SpbpeError

__all__ = ["main"]

BUNDLED_TEXT = os.path.join(os.path.dirname(__file__), "data", "botchan.txt")
DEMO_SENTENCES = [
    "I was a reckless boy, and the trouble with me was that I always acted first.",
    "Tokenizers turn text into ids: 日本語 and emoji 😀 fall back to bytes.",
]


def _cmd_demo(args) -> int:
    from . import SentencePieceProcessor
    from .trainer import SentencePieceTrainer

    out_dir = args.output_dir or tempfile.mkdtemp(prefix="spbpe-demo-")
    prefix = os.path.join(out_dir, "demo")
    print(f"training a {args.vocab_size}-piece BPE vocabulary on {os.path.basename(BUNDLED_TEXT)} "
          f"({os.path.getsize(BUNDLED_TEXT):,} bytes)...")
    start = time.perf_counter()
    SentencePieceTrainer.train(input=BUNDLED_TEXT, model_prefix=prefix, vocab_size=args.vocab_size,
                               model_type="bpe", byte_fallback=True)
    print(f"trained in {time.perf_counter() - start:.2f} s -> {prefix}.model, {prefix}.vocab")
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
    return 0


def _open_inputs(paths: List[str]):
    if not paths:
        yield sys.stdin.buffer
        return
    for p in paths:
        with open(p, "rb") as f:
            yield f


def _cmd_encode(args) -> int:
    from . import SentencePieceProcessor

    sp = SentencePieceProcessor(model_file=args.model)
    out = sys.stdout
    as_pieces = args.output_format == "piece"
    for f in _open_inputs(args.input):
        for raw in f:
            line = raw.rstrip(b"\r\n") if raw.endswith(b"\n") else raw
            toks = sp.encode(line, out_type=bytes if as_pieces else int)
            if as_pieces:
                out.write(" ".join(t.decode("utf-8", "replace") for t in toks) + "\n")
            else:
                out.write(" ".join(map(str, toks)) + "\n")
    return 0


def _cmd_decode(args) -> int:
    from . import SentencePieceProcessor

    sp = SentencePieceProcessor(model_file=args.model)
    for f in _open_inputs(args.input):
        for raw in f:
            fields = raw.decode("utf-8").split()
            if args.input_format == "piece":
                text = sp.decode(fields)
            else:
                text = sp.decode([int(x) for x in fields])
            sys.stdout.write(text + "\n")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="spbpe", description="Exact, fast SentencePiece BPE.")
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("demo", help="train on the bundled text and show encode/decode")
    d.add_argument("--vocab-size", type=int, default=2000)
    d.add_argument("--output-dir", default=None)
    d.add_argument("text", nargs="*", help="text to encode (default: two sample sentences)")
    d.set_defaults(func=_cmd_demo)
    e = sub.add_parser("encode", help="encode lines to ids or pieces")
    e.add_argument("--model", required=True)
    e.add_argument("--output_format", "--output-format", choices=["id", "piece"], default="piece")
    e.add_argument("input", nargs="*")
    e.set_defaults(func=_cmd_encode)
    c = sub.add_parser("decode", help="decode lines of ids or pieces")
    c.add_argument("--model", required=True)
    c.add_argument("--input_format", "--input-format", choices=["id", "piece"], default="piece")
    c.add_argument("input", nargs="*")
    c.set_defaults(func=_cmd_decode)
    return p


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (SpbpeError, OSError, ValueError) as e:
        print(f"spbpe: error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
