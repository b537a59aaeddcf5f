"""The line-oriented subcommands: ``encode``, ``decode``, ``export-vocab``, ``normalize`` (spm_encode & co.).

    >>> atoi(b"12 ") , parse_id(b"7", 10, "<stdin>", 1)
    (12, 7)

They read files named by ``--input`` or as arguments, or stdin, split lines
on ``\\n`` only (like sentencepiece's ``ReadLine``), and write one output line
per input line: the output of the sentencepiece Python package on the same
line (``encode(..., out_type=str)``, ``decode_pieces`` of the line split on
single spaces, ``decode_ids`` of its ids).  Unlike spm_decode, which reads
ids with C's ``atoi`` (``abc`` is id 0), ``decode --input_format=id`` refuses
a field that is not an id of the model, naming the file, line and field.
Reading files shows bytes done on a terminal (:mod:`spbpe.cli.progress`).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from typing import Any, BinaryIO, Dict, Iterator, List, Optional, Tuple

from ..errors import CliError
from .encodings import load_encoding
from .flags import add_flag, parse_bool
from .model_info import load_processor
from .progress import Progress

__all__ = ["read_lines", "atoi", "parse_id", "add_parsers"]

ENCODE_EXTRA_OPTIONS = {"bos": "add_bos", "eos": "add_eos", "reverse": "reverse", "unk": "emit_unk_piece"}
DECODE_EXTRA_OPTIONS = {"reverse": "reverse", "bos": "bos", "eos": "eos", "unk": "unk"}


def read_lines(paths: List[str], progress: Optional[Progress] = None) -> Iterator[Tuple[str, int, bytes]]:
    """(source, line number, line without its trailing ``\\n``) of the files, or of stdin."""

    def lines_of(name: str, f: BinaryIO) -> Iterator[Tuple[str, int, bytes]]:
        for no, raw in enumerate(f, 1):
            if progress:
                progress.advance(len(raw))
            yield name, no, raw[:-1] if raw.endswith(b"\n") else raw

    if not paths:
        yield from lines_of("<stdin>", sys.stdin.buffer)
        return
    for p in paths:
        if os.path.isdir(p):
            raise CliError(f"{p} is a directory, not a text file")
        with open(p, "rb") as f:
            yield from lines_of(p, f)


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


def _progress(args, paths: List[str]) -> Optional[Progress]:
    """Bytes done on stderr, when reading files and stderr is a terminal (never with --quiet)."""
    if not paths or args.quiet:
        return None
    return Progress(args.command, total=sum(os.path.getsize(p) for p in paths if os.path.isfile(p)))


def _extra_options(text: str, allowed: Dict[str, str]) -> Dict[str, bool]:
    out: Dict[str, bool] = {}
    for opt in filter(None, text.split(":")):
        if opt not in allowed:
            raise CliError(f"unknown extra option {opt!r} (choose from {', '.join(allowed)})")
        out[allowed[opt]] = True
    return out


def load_model_type(sp) -> int:
    """trainer_spec.model_type of a loaded processor's model (1 unigram, 2 bpe, 3 word, 4 char)."""
    from .._proto import model_pb2

    proto = model_pb2.ModelProto()
    proto.ParseFromString(sp.serialized_model_proto())
    return int(proto.trainer_spec.model_type) or 1


def _encoding(args) -> Optional[Any]:
    """The byte-level encoding of --tiktoken/--encoding (spbpe.cli.encodings), or None for --model."""
    spec = args.tiktoken or args.encoding
    if not spec:
        return None
    if args.model:
        raise CliError(f"{args.command}: give --model or --tiktoken, not both")
    return load_encoding(spec)


def _encode_gpt(args, enc) -> int:
    if args.output_format not in ("id", "piece") or args.extra_options or args.generate_vocabulary:
        raise CliError(f"{args.command} --tiktoken: only --output_format=id (no extra options, no vocabulary)")
    if args.output_format == "piece":
        raise CliError("encode --tiktoken: byte-level tokens have no piece text; use --output_format=id")
    paths = _inputs(args)
    progress = _progress(args, paths)
    out = _Output(args.output)
    for _, _, line in read_lines(paths, progress):
        # special-token text is ordinary text here, as in tiktoken's encode_ordinary
        ids = enc.encode(line.decode("utf-8", "replace"), disallowed_special=())
        out.line(" ".join(map(str, ids)).encode())
    out.close()
    if progress:
        progress.close()
    return 0


def _cmd_encode(args) -> int:
    enc = _encoding(args)
    if enc is not None:
        args.output_format = args.output_format or "id"
        return _encode_gpt(args, enc)
    args.output_format = args.output_format or "piece"
    sp = load_processor(args.model)
    flags: Dict[str, Any] = dict(_extra_options(args.extra_options, ENCODE_EXTRA_OPTIONS))
    fmt = args.output_format
    nbest = fmt.startswith("nbest_")
    if fmt.startswith("sample_"):
        flags.update(
            enable_sampling=True, alpha=args.alpha, nbest_size=-1 if args.nbest_size is None else args.nbest_size
        )
        fmt = fmt[len("sample_") :]
    elif nbest:
        flags.update(nbest_size=10 if args.nbest_size is None else args.nbest_size)  # spm_encode's default
        fmt = fmt[len("nbest_") :]
    if fmt not in ("piece", "id"):
        raise CliError(
            f"unsupported output format {args.output_format!r} "
            "(choose from piece, id, sample_piece, sample_id, nbest_piece, nbest_id)"
        )
    if nbest and sp.serialized_model_proto() and load_model_type(sp) != 1:
        raise CliError(f"--output_format={args.output_format} needs a unigram model (n-best segmentations)")
    paths = _inputs(args)
    progress = _progress(args, paths)
    out = _Output(args.output)
    vocab: Dict[str, int] = {}
    for _, _, line in read_lines(paths, progress):
        if args.generate_vocabulary:
            for i, piece in zip(sp.encode(line), sp.encode(line, out_type=str)):
                if not (sp.is_unknown(i) or sp.is_control(i)):
                    vocab[piece] = vocab.get(piece, 0) + 1
        elif nbest:  # spm_encode: one output line per segmentation, best first
            for seq in sp.nbest_encode(line, out_type=str if fmt == "piece" else int, **flags):
                out.line(" ".join(map(str, seq)).encode("utf-8"))
        elif fmt == "piece":
            out.line(" ".join(sp.encode(line, out_type=str, **flags)).encode("utf-8"))
        else:
            out.line(" ".join(map(str, sp.encode(line, out_type=int, **flags))).encode())
    for piece, count in sorted(vocab.items(), key=lambda kv: (-kv[1], kv[0].encode("utf-8"))):
        out.line(piece.encode("utf-8") + b"\t" + str(count).encode())
    out.close()
    if progress:
        progress.close()
    return 0


_ATOI = re.compile(rb"^[ \t\n\v\f\r]*([+-]?[0-9]+)")
_ID = re.compile(rb"^[0-9]+$")


def atoi(field: bytes) -> int:
    """C's atoi, as spm_decode uses it: leading digits, else 0."""
    m = _ATOI.match(field)
    return int(m.group(1)) if m else 0


def parse_id(field: bytes, vocab_size: int, source: str, line_no: int) -> int:
    """One field of a ``decode --input_format=id`` line: a decimal id in ``[0, vocab_size)``, else CliError."""
    shown = field.decode("utf-8", "backslashreplace")
    if not _ID.match(field):
        raise CliError(f"{source}:{line_no}: {shown!r} is not a token id (expected integers separated by spaces)")
    i = int(field)
    if i >= vocab_size:
        raise CliError(f"{source}:{line_no}: id {i} is out of range (the model has ids 0..{vocab_size - 1})")
    return i


def _decode_gpt(args, enc) -> int:
    if args.input_format not in (None, "id"):
        raise CliError("decode --tiktoken: byte-level tokens are read as ids (--input_format=id)")
    paths = _inputs(args)
    progress = _progress(args, paths)
    out = _Output(args.output)
    for src, no, line in read_lines(paths, progress):
        ids = [parse_id(x, enc.n_vocab, src, no) for x in line.split()]
        try:
            out.line(enc.decode(ids).encode("utf-8"))
        except KeyError as e:  # an id in no rank and no special token (a gap in the ranks)
            raise CliError(f"{src}:{no}: id {e.args[0]} is not a token of {enc.name}") from None
    out.close()
    if progress:
        progress.close()
    return 0


def _cmd_decode(args) -> int:
    opts = _extra_options(args.extra_options, DECODE_EXTRA_OPTIONS)
    if args.output_format != "string":
        raise CliError(f"unsupported output format {args.output_format!r} (choose from string)")
    enc = _encoding(args)
    if enc is not None:
        if opts:
            raise CliError("decode --tiktoken: no extra options")
        return _decode_gpt(args, enc)
    args.input_format = args.input_format or "piece"
    sp = load_processor(args.model)
    paths = _inputs(args)
    progress = _progress(args, paths)
    out = _Output(args.output)
    size = len(sp)
    for src, no, line in read_lines(paths, progress):
        if args.input_format == "id":
            seq: list = [parse_id(x, size, src, no) for x in line.split()]
            if opts.get("reverse"):
                seq.reverse()
            out.line(sp.decode_ids(seq).encode("utf-8"))
        else:
            seq = [x.decode("utf-8", "replace") for x in line.split(b" ")]
            if opts.get("reverse"):
                seq.reverse()
            out.line(sp.decode_pieces(seq).encode("utf-8"))
    out.close()
    if progress:
        progress.close()
    return 0


def _cmd_export_vocab(args) -> int:
    from .model_info import load_proto

    proto = load_proto(args.model)
    if args.output_format not in ("vocab", "syms"):
        raise CliError(f"unsupported output format {args.output_format!r} (choose from vocab, syms)")
    out = _Output(args.output)
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
    paths = _inputs(args)
    progress = _progress(args, paths)
    out = _Output(args.output)
    for _, _, line in read_lines(paths, progress):
        norm = sp.normalize(line)
        out.line(norm if isinstance(norm, bytes) else norm.encode("utf-8"))
    out.close()
    if progress:
        progress.close()
    return 0


def _line_io(p: argparse.ArgumentParser, model: bool = True, tiktoken: bool = False) -> None:
    if model:
        add_flag(p, "model", default="", help="the SentencePiece .model file (required, or --tiktoken)")
    if tiktoken:
        p.add_argument(
            "--tiktoken",
            default="",
            help="a byte-level (GPT) encoding instead of --model: cl100k_base, o200k_base, ... or a rank file",
        )
        p.add_argument("--encoding", default="", help="the same as --tiktoken NAME")
    p.add_argument("--input", dest="input_flag", default="", help="input file (else the arguments, else stdin)")
    add_flag(p, "output", default="", help="output file (default: stdout)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress display on stderr")
    p.add_argument("input", nargs="*", help="input files (default: stdin)")


def add_parsers(sub) -> None:
    e = sub.add_parser("encode", help="encode lines to pieces or ids (spm_encode)")
    _line_io(e, tiktoken=True)
    add_flag(
        e,
        "output_format",
        default=None,
        help="piece, id, sample_piece, sample_id, nbest_piece or nbest_id (default: piece; id for --tiktoken)",
    )
    add_flag(e, "extra_options", default="", help="':'-separated bos, eos, reverse, unk (e.g. bos:eos)")
    add_flag(
        e,
        "nbest_size",
        type=int,
        default=None,
        help="nbest_*: how many segmentations (default 10); sample_*: sample from the n best, -1 = all "
        "(default -1; BPE-dropout ignores it)",
    )
    add_flag(
        e,
        "alpha",
        type=float,
        default=0.5,
        help="with sample_*: the smoothing (unigram) or the dropout probability of each merge (BPE; default: %(default)s)",
    )
    add_flag(
        e,
        "generate_vocabulary",
        type=parse_bool,
        default=False,
        help="instead of encoding, print piece<TAB>count of the pieces the input uses, most frequent first",
    )
    e.set_defaults(func=_cmd_encode)

    c = sub.add_parser("decode", help="decode lines of pieces or ids (spm_decode)")
    _line_io(c, tiktoken=True)
    add_flag(
        c,
        "input_format",
        choices=["id", "piece"],
        default=None,
        help="each line is pieces or ids separated by spaces (default: piece; id for --tiktoken)",
    )
    add_flag(c, "output_format", default="string", help="string (the only one; default: %(default)s)")
    add_flag(c, "extra_options", default="", help="':'-separated; reverse reverses each line")
    c.set_defaults(func=_cmd_decode)

    x = sub.add_parser("export-vocab", help="piece<TAB>score or piece<TAB>id (spm_export_vocab)")
    add_flag(x, "model", default="", help="the SentencePiece .model file (required)")
    add_flag(x, "output", default="", help="output file (default: stdout)")
    add_flag(
        x,
        "output_format",
        default="vocab",
        help="vocab: piece<TAB>score, syms: piece<TAB>id (default: %(default)s)",
    )
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
    add_flag(
        n,
        "remove_extra_whitespaces",
        type=parse_bool,
        default=True,
        help="drop leading, trailing and repeated spaces (default: true; --noremove_extra_whitespaces)",
    )
    add_flag(n, "decompile", type=parse_bool, default=False, help="not supported (spm_normalize's rule decompiler)")
    n.set_defaults(func=_cmd_normalize)
