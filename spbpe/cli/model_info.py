"""What is in a ``.model`` file: ``spbpe inspect`` and helpers for the CLI.

>>> info = model_summary("tokenizer.model")   # doctest: +SKIP
>>> info["vocab_size"], info["specials"]["bos"]  # doctest: +SKIP
(32000, ['<s>', 1])
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict

from .._proto import model_pb2
from .._proto.sniff import not_a_model_message
from ..errors import CliError, ModelFormatError, SpbpeError

__all__ = [
    "read_model_file",
    "load_proto",
    "load_processor",
    "model_summary",
    "format_summary",
    "normalizer_processor",
    "PIECE_TYPES",
]

PIECE_TYPES = {1: "normal", 2: "unknown", 3: "control", 4: "user_defined", 5: "unused", 6: "byte"}
MODEL_TYPES = {1: "unigram", 2: "bpe", 3: "word", 4: "char"}
_DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data")


def read_model_file(path: str) -> bytes:
    """The bytes of a model file named on the command line (OSError when it cannot be read)."""
    if not path:
        raise CliError("--model is required")
    if os.path.isdir(path):
        raise CliError(f"{path} is a directory, not a SentencePiece .model")
    with open(path, "rb") as f:
        return f.read()


def _not_a_model(path: str, data: bytes, why: str) -> ModelFormatError:
    """The error for bytes that did not load: what the file is when we can tell, else why it failed."""
    return ModelFormatError(not_a_model_message(path, data) or f"{path}: not a SentencePiece model ({why})")


def load_proto(path: str) -> model_pb2.ModelProto:
    """Parse a .model file; ModelFormatError naming the file (and what it is) when it is not one."""
    data = read_model_file(path)
    proto = model_pb2.ModelProto()
    try:
        proto.ParseFromString(data)
    except Exception as e:  # protobuf's DecodeError is not a public base class
        raise _not_a_model(path, data, str(e)) from None
    if not proto.pieces:
        raise _not_a_model(path, data, "no pieces")
    return proto


def load_processor(path: str):
    """A SentencePieceProcessor for the .model at ``path``; errors name the file and say what it is."""
    from ..processor import SentencePieceProcessor

    data = read_model_file(path)
    if not data:
        raise _not_a_model(path, data, "empty")
    try:
        return SentencePieceProcessor(model_proto=data)
    except SpbpeError as e:
        msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        if not_a_model_message(path, data):
            raise _not_a_model(path, data, msg) from None
        raise type(e)(msg if path in msg else f"{path}: {msg}") from None


def _fields(msg) -> Dict[str, Any]:
    """Every field that is set, as plain values (bytes shown by length)."""
    out: Dict[str, Any] = {}
    for fd, value in msg.ListFields():
        if fd.name == "precompiled_charsmap":
            out[fd.name] = f"<{len(value)} bytes>"
        elif not isinstance(value, (str, bytes)) and hasattr(value, "__len__"):
            out[fd.name] = list(value)
        elif fd.enum_type is not None:
            out[fd.name] = fd.enum_type.values_by_number[value].name
        else:
            out[fd.name] = value
    return out


def model_summary(path: str, longest: int = 10) -> Dict[str, Any]:
    """A dict describing the model at ``path`` (what ``spbpe inspect --json`` prints)."""
    proto = load_proto(path)
    ts, ns = proto.trainer_spec, proto.normalizer_spec
    counts = {name: 0 for name in PIECE_TYPES.values()}
    for p in proto.pieces:
        counts[PIECE_TYPES.get(p.type, str(p.type))] = counts.get(PIECE_TYPES.get(p.type, str(p.type)), 0) + 1
    index = {p.piece: i for i, p in enumerate(proto.pieces)}
    specials = {}
    for kind in ("unk", "bos", "eos", "pad"):
        piece = getattr(ts, f"{kind}_piece")
        specials[kind] = [piece, index.get(piece, -1)]
    by_len = sorted(
        ((len(p.piece), i) for i, p in enumerate(proto.pieces) if p.type in (1, 4)), key=lambda t: (-t[0], t[1])
    )
    return {
        "path": str(path),
        "file_bytes": os.path.getsize(path),
        "model_type": MODEL_TYPES.get(ts.model_type, str(ts.model_type)),
        "vocab_size": len(proto.pieces),
        "piece_types": {k: v for k, v in counts.items() if v},
        "specials": specials,
        "other_control_and_user_defined": [
            [p.piece, i, PIECE_TYPES[p.type]]
            for i, p in enumerate(proto.pieces)
            if p.type in (3, 4) and p.piece not in (s[0] for s in specials.values())
        ],
        "byte_fallback": bool(ts.byte_fallback) or counts.get("byte", 0) > 0,
        "normalizer": {
            "name": ns.name,
            "add_dummy_prefix": ns.add_dummy_prefix,
            "remove_extra_whitespaces": ns.remove_extra_whitespaces,
            "escape_whitespaces": ns.escape_whitespaces,
            "precompiled_charsmap_bytes": len(ns.precompiled_charsmap),
        },
        "denormalizer": _fields(proto.denormalizer_spec) if proto.HasField("denormalizer_spec") else None,
        "trainer_spec": _fields(ts),
        "longest_pieces": [[proto.pieces[i].piece, i, n] for n, i in by_len[:longest]],
        "score_range": [min(p.score for p in proto.pieces), max(p.score for p in proto.pieces)],
    }


def format_summary(info: Dict[str, Any]) -> str:
    """The readable text of ``spbpe inspect``."""
    lines = [
        f"model          {info['path']} ({info['file_bytes']:,} bytes)",
        f"type           {info['model_type']}",
        f"vocab size     {info['vocab_size']:,}",
        "piece types    " + ", ".join(f"{k} {v:,}" for k, v in info["piece_types"].items()),
        "specials       "
        + ", ".join(f"{k} {p!r}={i}" if i >= 0 else f"{k} none" for k, (p, i) in info["specials"].items()),
        f"byte fallback  {'yes' if info['byte_fallback'] else 'no'}",
    ]
    other = info["other_control_and_user_defined"]
    if other:
        shown = ", ".join(f"{p!r}={i} ({t})" for p, i, t in other[:12])
        lines.append(f"other specials {shown}" + (f", ... ({len(other)} in all)" if len(other) > 12 else ""))
    n = info["normalizer"]
    lines.append(
        f"normalizer     {n['name'] or '(unnamed)'}: add_dummy_prefix={n['add_dummy_prefix']}, "
        f"remove_extra_whitespaces={n['remove_extra_whitespaces']}, "
        f"escape_whitespaces={n['escape_whitespaces']}, charsmap {n['precompiled_charsmap_bytes']:,} bytes"
    )
    lo, hi = info["score_range"]
    lines.append(f"scores         {lo:g} .. {hi:g}")
    lines.append("longest pieces " + ", ".join(f"{p!r}={i}" for p, i, _ in info["longest_pieces"]))
    lines.append("trainer options:")
    for k, v in info["trainer_spec"].items():
        lines.append(f"  {k} = {v}")
    return "\n".join(lines)


def normalizer_processor(
    model: str, rule_name: str = "", internal: bool = False, remove_extra_whitespaces: bool = True
):
    """A SentencePieceProcessor whose ``normalize`` is spm_normalize's.

    Without ``internal`` the dummy prefix and the ▁ escaping are switched off
    and ``remove_extra_whitespaces`` is taken from the flag, as spm_normalize does.
    """
    from ..processor import SentencePieceProcessor

    if model:
        proto = load_proto(model)
    elif rule_name:
        proto = _bare_model(rule_name)
    else:
        raise ModelFormatError("set --model or --normalization_rule_name")
    if not internal:
        ns = proto.normalizer_spec
        ns.add_dummy_prefix = False
        ns.escape_whitespaces = False
        ns.remove_extra_whitespaces = remove_extra_whitespaces
    return SentencePieceProcessor(model_proto=proto.SerializeToString())


def _bare_model(rule_name: str) -> model_pb2.ModelProto:
    proto = model_pb2.ModelProto()
    for piece, t in (("<unk>", 2), ("<s>", 3), ("</s>", 3)):
        proto.pieces.add(piece=piece, score=0.0, type=t)
    proto.trainer_spec.model_type = 2  # type: ignore[assignment]  # BPE; protobuf's stub types enums narrower than int
    ns = proto.normalizer_spec
    ns.name = rule_name
    if rule_name != "identity":
        path = os.path.join(_DATA, rule_name + ".bin")
        if not os.path.exists(path):
            raise ModelFormatError(f"unknown normalization rule {rule_name!r}")
        with open(path, "rb") as f:
            ns.precompiled_charsmap = f.read()
    return proto


def _cmd_inspect(args) -> int:
    info = model_summary(args.model, longest=args.longest)
    print(json.dumps(info, ensure_ascii=False, indent=1) if args.json else format_summary(info))
    return 0


def add_parser(sub) -> None:
    p = sub.add_parser("inspect", help="a readable summary of a model", allow_abbrev=False)
    p.add_argument("--model", default="", help="the SentencePiece .model file (required)")
    p.add_argument("--longest", type=int, default=10, help="how many of the longest pieces to list (default: 10)")
    p.add_argument("--json", action="store_true", help="print every field as JSON")
    p.set_defaults(func=_cmd_inspect)
