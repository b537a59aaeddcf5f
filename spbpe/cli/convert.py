"""Conversion of a SentencePiece BPE ``.model``: ``spbpe convert --to=tokenizers|minbpe|vocab``.

(A byte-level encoding, ``--tiktoken=NAME|PATH``, is converted by spbpe.cli.convert_bytelevel.)

    >>> data = to_tokenizers_json("tokenizer.model")   # doctest: +SKIP
    >>> from tokenizers import Tokenizer; Tokenizer.from_str(data)  # doctest: +SKIP

``tokenizers``: a HuggingFace ``tokenizer.json`` (written directly as JSON;
the ``tokenizers`` package is only needed to load it).  The layout is
transformers' "legacy" Llama one: normalizer [Precompiled charsmap]
[whitespace clean-up] ``Prepend("▁")`` ``Replace(" ", "▁")``, no
pre-tokenizer, a BPE model with ``byte_fallback`` and ``fuse_unk``, merges
ordered by the score of the merged piece as sentencepiece compares scores
(by their float bits: ``merge_key``; transformers' converter sorts floats,
which ties -0.0 with +0.0 and leaves NaN anywhere), and the decoder
``Replace("▁", " ")`` ``ByteFallback`` ``Fuse`` ``Strip(1 left)``.
Merges are generated only for pieces SentencePiece can produce by merging
(normal and user-defined), so control pieces such as ``<s>`` never come out
of BPE.  What the HF pipeline cannot express (see the README section
"Command line" and ../shared/notes/sentencepiece_encode.md section 7):

* control tokens registered as special added tokens (``special_tokens="added"``,
  the default, as transformers does) are matched in raw text: ``"<s>"`` is
  one token for HF, three pieces for SentencePiece.  ``special_tokens="vocab"``
  keeps them only in the vocabulary: encoding is then exact on such text, but
  ``decode(skip_special_tokens=True)`` no longer drops them;
* UNUSED pieces (SentencePiece merges then re-splits them) have no HF
  equivalent: their merges are left out, which can merge the parts differently;
* two merges that make the same piece have one score in SentencePiece
  (leftmost wins) but two ranks in HF;
* ``treat_whitespace_as_suffix`` and ``escape_whitespaces=false`` with a
  dummy prefix have no HF normalizer (conversion refuses them).

``minbpe``: minbpe's readable ``.vocab`` layout, ``[left][right] -> [piece] id``
for every piece made by a merge and ``[piece] id`` for the others (minbpe
itself is byte-level, so a SentencePiece vocabulary cannot be loaded by it).
``vocab``: ``id<TAB>piece<TAB>score<TAB>type`` per piece.
"""

from __future__ import annotations

import base64
import json
import struct
import sys
from typing import Any, Dict, List, Optional, Tuple

from ..errors import CliError, UnsupportedError
from .model_info import PIECE_TYPES, load_proto

__all__ = ["merge_key", "bpe_merges", "to_tokenizers_json", "to_minbpe_vocab", "to_vocab_dump", "check_tokenizers_json"]

_MERGEABLE = (1, 4)  # normal and user-defined pieces come out of BPE merges


def merge_key(score: float) -> int:
    """The order in which sentencepiece's BPE merges a piece of this score
    (csrc/model/model.h, sp_merge_key): its float32 bits, negative scores
    below non-negative ones, so +0.0 merges before -0.0, a positive NaN
    before +inf, a negative NaN after -inf; only equal bits tie.

    >>> merge_key(0.0) > merge_key(-0.0) and merge_key(float("nan")) > merge_key(float("inf"))
    True
    """
    bits = struct.unpack("<I", struct.pack("<f", score))[0]
    return (~bits & 0xFFFFFFFF) if bits & 0x80000000 else bits | 0x80000000


def bpe_merges(proto) -> List[Tuple[str, str]]:
    """(left, right) pairs in HF rank order: by the merged piece's merge_key
    (first merged first), then by piece id and part ids."""
    pieces = [p.piece for p in proto.pieces]
    vocab = {p: i for i, p in enumerate(pieces)}
    found: List[Tuple[int, int, int, int, str, str]] = []
    for i, p in enumerate(proto.pieces):
        if p.type not in _MERGEABLE or len(p.piece) < 2:
            continue
        s = p.piece
        for k in range(1, len(s)):
            left, right = s[:k], s[k:]
            if left in vocab and right in vocab:
                found.append((-merge_key(p.score), i, vocab[left], vocab[right], left, right))
    found.sort(key=lambda t: t[:4])
    return [(t[4], t[5]) for t in found]


def _normalizer(proto) -> Optional[Dict[str, Any]]:
    ns = proto.normalizer_spec
    if proto.trainer_spec.treat_whitespace_as_suffix:
        raise UnsupportedError("treat_whitespace_as_suffix=true cannot be expressed with HF normalizers")
    if ns.add_dummy_prefix and not ns.escape_whitespaces:
        raise UnsupportedError("a dummy prefix without whitespace escaping cannot be expressed with HF normalizers")
    seq: List[Dict[str, Any]] = []
    if ns.precompiled_charsmap:
        seq.append(
            {"type": "Precompiled", "precompiled_charsmap": base64.b64encode(ns.precompiled_charsmap).decode("ascii")}
        )
    if ns.remove_extra_whitespaces:
        seq.append({"type": "Replace", "pattern": {"Regex": "^ +| +$"}, "content": ""})
        seq.append({"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "})
    if ns.add_dummy_prefix:
        seq.append({"type": "Prepend", "prepend": "\u2581"})
    if ns.escape_whitespaces:
        seq.append({"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"})
    return {"type": "Sequence", "normalizers": seq} if seq else None


def to_tokenizers_json(model: str, special_tokens: str = "added") -> str:
    """The text of a HuggingFace tokenizer.json for the BPE model at ``model``."""
    proto = load_proto(model)
    if proto.trainer_spec.model_type not in (0, 2):
        raise UnsupportedError("only BPE models can be converted")
    if special_tokens not in ("added", "vocab"):
        raise ValueError("special_tokens must be 'added' or 'vocab'")
    added = []
    for i, p in enumerate(proto.pieces):
        if p.type in (2, 3) and special_tokens == "added" or p.type == 4:
            added.append(
                {
                    "id": i,
                    "content": p.piece,
                    "single_word": False,
                    "lstrip": False,
                    "rstrip": False,
                    "normalized": p.type == 4,
                    "special": p.type != 4,
                }
            )
    unk = next((p.piece for p in proto.pieces if p.type == 2), None)
    byte_fallback = any(p.type == 6 for p in proto.pieces)
    data = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": _normalizer(proto),
        "pre_tokenizer": None,
        "post_processor": None,
        "decoder": {
            "type": "Sequence",
            "decoders": [
                {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
                {"type": "ByteFallback"},
                {"type": "Fuse"},
                {
                    "type": "Strip",
                    "content": " ",
                    "start": 1 if proto.normalizer_spec.add_dummy_prefix else 0,
                    "stop": 0,
                },
            ],
        },
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": unk,
            "continuing_subword_prefix": None,
            "end_of_word_suffix": None,
            "fuse_unk": True,
            "byte_fallback": byte_fallback,
            "ignore_merges": False,
            "vocab": {p.piece: i for i, p in enumerate(proto.pieces)},
            "merges": [list(m) for m in bpe_merges(proto)],
        },
    }
    return json.dumps(data, ensure_ascii=False, indent=1)


def to_minbpe_vocab(model: str) -> str:
    """minbpe's readable .vocab layout for the SentencePiece pieces (first merge that makes each piece)."""
    proto = load_proto(model)
    first: Dict[str, Tuple[str, str]] = {}
    for left, right in bpe_merges(proto):
        first.setdefault(left + right, (left, right))
    lines = []
    for i, p in enumerate(proto.pieces):
        if p.piece in first and p.type in _MERGEABLE:
            left, right = first[p.piece]
            lines.append(f"[{left}][{right}] -> [{p.piece}] {i}")
        else:
            lines.append(f"[{p.piece}] {i}")
    return "\n".join(lines) + "\n"


def to_vocab_dump(model: str) -> str:
    """``id<TAB>piece<TAB>score<TAB>type`` for every piece."""
    proto = load_proto(model)
    return "".join(
        f"{i}\t{p.piece}\t{p.score:g}\t{PIECE_TYPES.get(p.type, p.type)}\n" for i, p in enumerate(proto.pieces)
    )


def check_tokenizers_json(model: str, tokenizer_json: str, files: List[str], max_examples: int = 5) -> Dict[str, Any]:
    """Encode every line of ``files`` with the .model (spbpe) and the tokenizer.json (HF); count equal ids.

    Lines that are not valid UTF-8 are skipped (HF takes str only).
    """
    from .convert_check import check_against_tokenizers
    from .model_info import load_processor

    sp = load_processor(model)
    return check_against_tokenizers(
        tokenizer_json, files, sp.encode, lambda text, ids: sp.encode(text, out_type=str), max_examples
    )


def _cmd_convert(args) -> int:
    spec = args.tiktoken or args.encoding
    if spec and args.model:
        raise CliError("convert: give --model or --tiktoken, not both")
    if not args.model and not spec:
        raise CliError("--model (or --tiktoken/--encoding) is required")
    if spec and args.to != "tokenizers":
        raise CliError("convert --tiktoken: only --to=tokenizers (a byte-level tokenizer.json)")
    if spec:
        from .convert_bytelevel import check_bytelevel_json, to_bytelevel_json

        text = to_bytelevel_json(spec)
    elif args.to == "tokenizers":
        text = to_tokenizers_json(args.model, args.special_tokens)
    elif args.to == "minbpe":
        text = to_minbpe_vocab(args.model)
    else:
        text = to_vocab_dump(args.model)
    out = args.output or args.output_flag
    res: Dict[str, Any] = {}
    if args.check:
        if args.to != "tokenizers":
            raise CliError("--check compares a tokenizer.json: use it with --to=tokenizers")
        if spec:
            res = check_bytelevel_json(spec, text, args.check)
        else:
            res = check_tokenizers_json(args.model, text, args.check)
        print(
            f"tokenizers vs spbpe: {res['identical']:,} of {res['lines']:,} lines identical ({100 * res['rate']:.3f}%)",
            file=sys.stderr,
        )
        for ex in res["examples"]:
            print(
                f"  {ex['source']}:{ex['line_no']} {ex['text'][:60]!r}\n    spbpe:      {' '.join(ex['spbpe'])}"
                f"\n    tokenizers: {' '.join(ex['tokenizers'])}",
                file=sys.stderr,
            )
    if out:
        with open(out, "w", encoding="utf-8") as f:
            f.write(text)
    elif not args.check:
        sys.stdout.buffer.write(text.encode("utf-8"))
    if args.check and res["identical"] != res["lines"]:
        print(
            f"spbpe convert --check: {res['lines'] - res['identical']:,} line(s) differ (exit status 1)",
            file=sys.stderr,
        )
        return 1
    return 0


def add_parser(sub) -> None:
    p = sub.add_parser("convert", help="write a HF tokenizer.json, a minbpe-style vocab or a vocab dump")
    p.add_argument("--model", default="", help="the SentencePiece BPE .model to convert (or --tiktoken)")
    p.add_argument(
        "--tiktoken",
        default="",
        help="a byte-level (GPT) encoding instead of --model: cl100k_base, o200k_base, ... or a rank file "
        "(--to=tokenizers: GPT-2's byte-level tokenizer.json)",
    )
    p.add_argument("--encoding", default="", help="the same as --tiktoken NAME")
    p.add_argument(
        "--to",
        choices=["tokenizers", "minbpe", "vocab"],
        required=True,
        help="tokenizers: HF tokenizer.json; minbpe: minbpe's readable .vocab; vocab: id, piece, score, type",
    )
    p.add_argument(
        "--special-tokens",
        "--special_tokens",
        dest="special_tokens",
        choices=["added", "vocab"],
        default="added",
        help="control tokens as HF special added tokens (default) or only in the vocab",
    )
    p.add_argument("--output", dest="output_flag", default="", help="output file (or as the argument; default stdout)")
    p.add_argument(
        "--check",
        nargs="+",
        default=[],
        metavar="FILE",
        help="with --to=tokenizers: encode every line of FILES (or directories) with both; exit 1 if any differs",
    )
    p.add_argument("output", nargs="?", default="", help="output file (default stdout)")
    p.set_defaults(func=_cmd_convert)
