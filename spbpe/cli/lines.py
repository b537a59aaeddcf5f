"""The ``spbpe`` command line.

>>> main(["export-vocab", "--model=tokenizer.model"])  # doctest: +SKIP

Subcommands (flag names are sentencepiece's, ``--flag=value`` or ``--flag value``):
  demo          train a small vocabulary on the bundled text and show encode/decode
  train         spm_train: train a BPE model (any spm_train flag)
  encode        spm_encode: lines -> pieces or ids
  decode        spm_decode: lines of pieces or ids -> text
  export-vocab  spm_export_vocab: piece<TAB>score or piece<TAB>id
  normalize     spm_normalize: the normalized text of each line
  inspect       a readable summary of a model
  verify        compare spbpe with the official sentencepiece (spbpe/cli/verify.py)
  show          coloured tokens in the terminal, or a side-by-side HTML page (spbpe/cli/show.py)
  convert       write a HuggingFace tokenizer.json, a minbpe model or a vocab dump (spbpe/cli/convert.py)

The line-oriented commands read files named by ``--input`` or as arguments,
or stdin, split lines on ``\\n`` only (like sentencepiece's ``ReadLine``),
and write one output line per input line.  Their output is the output of the
sentencepiece Python package on the same line (``encode(..., out_type=str)``,
``decode_pieces``/``decode_ids`` of the line split on single spaces, ...).
Errors print one line ``spbpe: error: ...`` and exit with status 1.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from typing import BinaryIO, Dict, Iterator, List, Optional

from ..errors import CliError, SpbpeError
from .flags import add_flag, bool_flags, parse_bool, spm_flags

__all__ = ["main", "build_parser", "read_lines", "parse_bool"]

BUNDLED_TEXT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "botchan.txt")
DEMO_SENTENCES = [
    "I was a reckless boy, and the trouble with me was that I always acted first.",
    "Tokenizers turn text into ids: 日本語 and emoji 😀 fall back to bytes.",
]
ENCODE_EXTRA_OPTIONS = {"bos": "add_bos", "eos": "add_eos", "reverse": "reverse", "unk": "emit_unk_piece"}


def read_lines(paths: List[str]) -> Iterator[bytes]:
    """Lines of the files (or stdin), without their trailing ``\\n`` only."""

    def lines_of(f: BinaryIO) -> Iterator[bytes]:
        for raw in f:
            yield raw[:-1] if raw.endswith(b"\n") else raw

    if not paths:
        yield from lines_of(sys.stdin.buffer)
        return
    for p in paths:
        with open(p, "rb") as f:
            yield from lines_of(f)


class _Output:
    """stdout or the --output file, as bytes."""

    def __init__(self, path: Optional[str]) -> None:
        self.f = open(path, "wb") if path else sys.stdout.buffer
        self.close_it = bool(path)

    def line(self, data: bytes) -> None:
        self.f.write(data + b"\n")

    def close(self) -> None:
        if self.close_it:
            self.f.close()
        else:
            self.f.flush()


def _inputs(args) -> List[str]:
    return [args.input_flag] if getattr(args, "input_flag", None) else list(args.input)


def _processor(path: str):
    from ..processor import SentencePieceProcessor

    if not path:
        raise CliError("--model is required")
    return SentencePieceProcessor(model_file=path)


def _cmd_demo(args) -> int:
    from ..processor import SentencePieceProcessor
    from ..trainer import SentencePieceTrainer

    out_dir = args.output_dir or tempfile.mkdtemp(prefix="spbpe-demo-")
    prefix = os.path.join(out_dir, "demo")
    print(
        f"training a {args.vocab_size}-piece BPE vocabulary on {os.path.basename(BUNDLED_TEXT)} "
        f"({os.path.getsize(BUNDLED_TEXT):,} bytes)..."
    )
    start = time.perf_counter()
    SentencePieceTrainer.train(
        input=BUNDLED_TEXT, model_prefix=prefix, vocab_size=args.vocab_size, model_type="bpe", byte_fallback=True
    )
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


def _extra_options(text: str, allowed: Dict[str, str]) -> Dict[str, bool]:
    out: Dict[str, bool] = {}
    for opt in filter(None, text.split(":")):
        if opt not in allowed:
            raise CliError(f"unknown extra option {opt!r} (choose from {', '.join(allowed)})")
        out[allowed[opt]] = True
    return out


def _cmd_encode(args) -> int:
    sp = _processor(args.model)
    flags = _extra_options(args.extra_options, ENCODE_EXTRA_OPTIONS)
    fmt = args.output_format
    if fmt.startswith("sample_"):
        flags.update(enable_sampling=True, alpha=args.alpha, nbest_size=args.nbest_size)
        fmt = fmt[len("sample_") :]
    if fmt not in ("piece", "id") or args.output_format.startswith("nbest_"):
        raise CliError(
            f"unsupported output format {args.output_format!r} "
            "(choose from piece, id, sample_piece, sample_id; nbest_* is unigram only)"
        )
    out = _Output(args.output)
    vocab: Dict[str, int] = {}
    for line in read_lines(_inputs(args)):
        if args.generate_vocabulary:
            for i, piece in zip(sp.encode(line), sp.encode(line, out_type=str)):
                if not (sp.is_unknown(i) or sp.is_control(i)):
                    vocab[piece] = vocab.get(piece, 0) + 1
        elif fmt == "piece":
            out.line(" ".join(sp.encode(line, out_type=str, **flags)).encode("utf-8"))
        else:
            out.line(" ".join(map(str, sp.encode(line, out_type=int, **flags))).encode())
    for piece, count in sorted(vocab.items(), key=lambda kv: (-kv[1], kv[0].encode("utf-8"))):
        out.line(piece.encode("utf-8") + b"\t" + str(count).encode())
    out.close()
    return 0


_ATOI = re.compile(rb"^[ \t\n\v\f\r]*([+-]?[0-9]+)")


def atoi(field: bytes) -> int:
    """C's atoi, as spm_decode uses it: leading digits, else 0."""
    m = _ATOI.match(field)
    return int(m.group(1)) if m else 0


def _cmd_decode(args) -> int:
    sp = _processor(args.model)
    opts = _extra_options(args.extra_options, {"reverse": "reverse", "bos": "bos", "eos": "eos", "unk": "unk"})
    if args.output_format != "string":
        raise CliError(f"unsupported output format {args.output_format!r} (choose from string)")
    out = _Output(args.output)
    for line in read_lines(_inputs(args)):
        fields = line.split(b" ")
        if args.input_format == "id":
            seq: list = [atoi(x) for x in fields]
            if opts.get("reverse"):
                seq.reverse()
            out.line(sp.decode_ids(seq).encode("utf-8"))
        else:
            seq = [x.decode("utf-8", "replace") for x in fields]
            if opts.get("reverse"):
                seq.reverse()
            out.line(sp.decode_pieces(seq).encode("utf-8"))
    out.close()
    return 0


def _cmd_export_vocab(args) -> int:
    from .model_info import load_proto

    proto = load_proto(args.model)
    out = _Output(args.output)
    if args.output_format not in ("vocab", "syms"):
        raise CliError(f"unsupported output format {args.output_format!r} (choose from vocab, syms)")
    for i, p in enumerate(proto.pieces):
        tail = b"%g" % p.score if args.output_format == "vocab" else str(i).encode()
        out.line(p.piece.encode("utf-8") + b"\t" + tail)
    out.close()
    return 0


def _cmd_normalize(args) -> int:
    from .model_info import normalizer_processor

    if args.decompile:
        raise CliError("--decompile is not supported")
    sp = normalizer_processor(
        args.model, args.normalization_rule_name, args.use_internal_normalization, args.remove_extra_whitespaces
    )
    out = _Output(args.output)
    for line in read_lines(_inputs(args)):
        norm = sp.normalize(line)
        out.line(norm if isinstance(norm, bytes) else norm.encode("utf-8"))
    out.close()
    return 0


def _cmd_train(argv: List[str]) -> int:
    from ..trainer import SentencePieceTrainer

    if not argv or argv[0] in ("-h", "--help"):
        print("usage: spbpe train --input=FILES --model_prefix=PREFIX --vocab_size=N [any spm_train flag]")
        return 0 if argv else 1
    flags = spm_flags(argv)
    flags.setdefault("model_type", "bpe")
    start = time.perf_counter()
    SentencePieceTrainer.train(**flags)
    prefix = flags.get("model_prefix", "")
    print(f"spbpe: trained in {time.perf_counter() - start:.2f} s -> {prefix}.model, {prefix}.vocab", file=sys.stderr)
    return 0


def _line_io(p: argparse.ArgumentParser, model: bool = True) -> None:
    if model:
        add_flag(p, "model", default="", help="model file")
    p.add_argument("--input", dest="input_flag", default="", help="input file (else the arguments, else stdin)")
    add_flag(p, "output", default="", help="output file (default stdout)")
    p.add_argument("input", nargs="*", help="input files")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand except ``train`` (which takes spm_train's flags)."""
    from . import convert, model_info, show, verify

    p = argparse.ArgumentParser(prog="spbpe", description="Exact, fast SentencePiece BPE.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    d = sub.add_parser("demo", help="train on the bundled text and show encode/decode")
    d.add_argument("--vocab-size", type=int, default=2000)
    d.add_argument("--output-dir", default=None)
    d.add_argument("text", nargs="*", help="text to encode (default: two sample sentences)")
    d.set_defaults(func=_cmd_demo)
    sub.add_parser("train", help="train a BPE model (spm_train flags)", add_help=False)

    e = sub.add_parser("encode", help="encode lines to pieces or ids (spm_encode)")
    _line_io(e)
    add_flag(e, "output_format", default="piece", help="piece, id, sample_piece or sample_id")
    add_flag(e, "extra_options", default="", help="':'-separated bos, eos, reverse, unk")
    add_flag(e, "nbest_size", type=int, default=-1)
    add_flag(e, "alpha", type=float, default=0.5)
    add_flag(e, "generate_vocabulary", type=parse_bool, default=False)
    e.set_defaults(func=_cmd_encode)

    c = sub.add_parser("decode", help="decode lines of pieces or ids (spm_decode)")
    _line_io(c)
    add_flag(c, "input_format", choices=["id", "piece"], default="piece")
    add_flag(c, "output_format", default="string")
    add_flag(c, "extra_options", default="", help="':'-separated; reverse reverses each line")
    c.set_defaults(func=_cmd_decode)

    x = sub.add_parser("export-vocab", help="piece<TAB>score or piece<TAB>id (spm_export_vocab)")
    add_flag(x, "model", required=True)
    add_flag(x, "output", default="")
    add_flag(x, "output_format", default="vocab", help="vocab or syms")
    x.set_defaults(func=_cmd_export_vocab)

    n = sub.add_parser("normalize", help="normalize lines (spm_normalize)")
    _line_io(n)
    add_flag(
        n,
        "use_internal_normalization",
        type=parse_bool,
        default=False,
        help="normalize exactly as for segmentation (dummy prefix, ▁)",
    )
    add_flag(n, "normalization_rule_name", default="", help="nmt_nfkc, nfkc, nmt_nfkc_cf, nfkc_cf or identity")
    add_flag(n, "remove_extra_whitespaces", type=parse_bool, default=True)
    add_flag(n, "decompile", type=parse_bool, default=False)
    n.set_defaults(func=_cmd_normalize)

    model_info.add_parser(sub)
    verify.add_parser(sub)
    show.add_parser(sub)
    convert.add_parser(sub)
    return p


def main(argv: Optional[List[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] == "train":
            return _cmd_train(argv[1:])
        parser = build_parser()
        args, extra = parser.parse_known_args(bool_flags(argv))
        if getattr(args, "verify_cmd", None):
            return args.verify_cmd(args, extra)
        if extra:
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        return args.func(args)
    except BrokenPipeError:
        sys.stderr.close()
        return 1
    except KeyboardInterrupt:
        print("spbpe: interrupted", file=sys.stderr)
        return 130
    except (SpbpeError, OSError, ValueError, IndexError, KeyError, ImportError) as e:
        msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        if isinstance(e, OSError) and e.filename and str(e.filename) not in msg:
            msg = f"{msg}: {e.filename}"
        print(f"spbpe: error: {msg}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
