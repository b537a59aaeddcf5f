"""The playground's tokenizers: load the ones named on the command line, and
encode text into what the page draws.

    >>> pg = Playground.load(models=["llama2.model"], encodings=["cl100k_base"])  # doctest: +SKIP
    >>> pg.encode("Hello 😀", ["llama2"])[0]["ids"]                                 # doctest: +SKIP
    [15043, 29871, 243, 162, 155, 131]

Each tokenizer gets a short id (its file's name without ``.model`` or
``.tiktoken``, or the encoding's name); requests name tokenizers by these ids
only, never by path.  A result lists every token (id, piece, the bytes it
stands for, its byte span in the UTF-8 text, its kinds) and the *segments*
the page draws as boxes: a segment is the run of tokens that covers one
stretch of the text (one token, or the byte-fallback tokens of one
character, or byte-level tokens that split a character), with its text and
its code-point span, so the page never indexes JavaScript's UTF-16 strings.

Kinds: ``normal``, ``byte`` (a byte-fallback piece, or a byte-level token
that is not whole characters), ``special`` (a control or user-defined piece,
or a byte-level special token), ``unknown``, and, from the text a token
covers, ``newline`` (a line break in it) and ``whitespace`` (only white
space; a lone newline is both).  The loaded tokenizers are immutable
and shared by the server's threads (their encoders keep per-thread scratch).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Sequence, Tuple

from .._proto import model_pb2
from ..cli.encodings import load_encoding
from ..cli.model_info import load_processor

__all__ = ["Playground", "Loaded", "unique_id"]

_BYTE_PIECE = re.compile(r"<0x([0-9A-F]{2})>\Z")


def unique_id(name: str, taken: Sequence[str]) -> str:
    """A short id for a tokenizer: letters, digits, ``._-``; ``-2``, ``-3`` ... when taken.

    >>> unique_id("llama2.model", []), unique_id("llama2.model", ["llama2"]), unique_id("my model!", [])
    ('llama2', 'llama2-2', 'my_model_')
    """
    base = os.path.basename(name)
    for ext in (".model", ".tiktoken"):
        if base.endswith(ext) and len(base) > len(ext):
            base = base[: -len(ext)]
    base = re.sub(r"[^A-Za-z0-9._-]", "_", base)[:40] or "tokenizer"
    out, n = base, 1
    while out in taken:
        n += 1
        out = f"{base}-{n}"
    return out


_MARKS = ("byte", "special", "unknown")  # kinds of a token's id; newline and whitespace come from its text
_SPM_MARK = {6: "byte", 3: "special", 4: "special", 2: "unknown"}  # ModelProto.SentencePiece.Type -> kind
_SPACE = "\u2581".encode()


@dataclass
class Loaded:
    """One tokenizer: its id, the name shown, its family and the loaded object.

    ``table`` caches, per token id, (piece, bytes as hex, the id's kind or
    ""): filled as ids are met, by any thread (a dict's get and set are
    atomic, and every thread would store the same value).
    """

    id: str
    name: str
    family: str  # "sentencepiece" or "bytelevel"
    impl: Any
    vocab_size: int
    types: Sequence[int] = ()  # SentencePiece: the piece type of every id
    table: Dict[int, Tuple[str, str, str]] = field(default_factory=dict)

    def describe(self) -> Dict[str, Any]:
        return {"id": self.id, "name": self.name, "family": self.family, "vocab_size": self.vocab_size}

    def encode(self, text: str, data: bytes) -> Dict[str, Any]:
        """Tokens and segments of ``text`` (``data`` is its UTF-8)."""
        if self.family == "sentencepiece":
            tokens, groups = self._spm_tokens(data)
        else:
            tokens, groups = self._bytelevel_tokens(text, data)
        to_char = _char_offsets(data)
        segments = []
        for idx, b, e in groups:
            seg_text = data[b:e].decode("utf-8")
            if len(idx) == 1:
                kinds = [k for k in tokens[idx[0]]["kinds"] if k in _MARKS]
            else:
                kinds = sorted({k for i in idx for k in tokens[i]["kinds"] if k in _MARKS})
            kinds += _text_kinds(seg_text)
            segments.append(
                {"tokens": idx, "text": seg_text, "start": to_char[b], "end": to_char[e], "kinds": kinds or ["normal"]}
            )
        ids = [t["id"] for t in tokens]
        n_chars = len(text)
        return {
            "id": self.id,
            "name": self.name,
            "count": len(ids),
            "chars": n_chars,
            "chars_per_token": round(n_chars / len(ids), 4) if ids else 0.0,
            "ids": ids,
            "tokens": tokens,
            "segments": segments,
        }

    # -------------------------------------------------------- SentencePiece
    def _spm_info(self, i: int, piece_b: bytes) -> Tuple[str, str, str]:
        got = self.table.get(i)
        if got is None:
            mark = _SPM_MARK.get(self.types[i], "")
            piece = piece_b.decode("utf-8", "backslashreplace")
            if mark == "byte":
                hexbyte = _BYTE_PIECE.match(piece)
                raw = bytes([int(hexbyte.group(1), 16)]) if hexbyte else b""
            elif mark == "special" and self.types[i] == 3:  # control: decodes to nothing
                raw = b""
            else:  # normal and user-defined pieces: their text, U+2581 as a space
                raw = piece_b.replace(_SPACE, b" ")
            got = self.table[i] = (piece, raw.hex(), mark)
        return got

    def _spm_tokens(self, data: bytes) -> Tuple[List[Dict[str, Any]], List[Tuple[List[int], int, int]]]:
        m = self.impl.encode(data, out_type="offset_mapping", return_bytes=True)
        tokens = []
        for i, piece_b, (b, e) in zip(m["ids"], m["pieces"], m["offsets"]):
            piece, hexed, mark = self._spm_info(i, piece_b)
            if mark == "unknown":  # the text it stands for, as sentencepiece's pieces show it
                piece, hexed = piece_b.decode("utf-8", "backslashreplace"), data[b:e].hex()
            kinds = [mark] if mark else []
            if e > b:
                kinds += _text_kinds(data[b:e].decode("utf-8", "replace"))
            tokens.append({"id": i, "piece": piece, "bytes": hexed, "start": b, "end": e, "kinds": kinds or ["normal"]})
        return tokens, _spm_groups([(t["start"], t["end"]) for t in tokens], len(data))

    # ----------------------------------------------------------- byte-level
    def _bytelevel_info(self, i: int) -> Tuple[str, str, str]:
        got = self.table.get(i)
        if got is None:
            raw = self.impl.decode_single_token_bytes(i)
            mark = "special" if self.impl.is_special_token(i) else ""
            got = self.table[i] = (raw.decode("utf-8", "backslashreplace"), raw.hex(), mark)
        return got

    def _bytelevel_tokens(
        self, text: str, data: bytes
    ) -> Tuple[List[Dict[str, Any]], List[Tuple[List[int], int, int]]]:
        tokens: List[Dict[str, Any]] = []
        groups: List[Tuple[List[int], int, int]] = []
        pos, group_start, pending = 0, 0, []
        n = len(data)
        for i in self.impl.encode(text, allowed_special="all"):
            piece, hexed, mark = self._bytelevel_info(i)
            end = pos + len(hexed) // 2
            kinds = [mark] if mark else []
            if pos < n and (data[pos] & 0xC0) == 0x80 or end < n and (data[end] & 0xC0) == 0x80:
                kinds.append("byte")  # starts or ends inside a character
            else:
                kinds += _text_kinds(piece)
            tokens.append(
                {"id": i, "piece": piece, "bytes": hexed, "start": pos, "end": end, "kinds": kinds or ["normal"]}
            )
            pending.append(len(tokens) - 1)
            pos = end
            if pos >= n or (data[pos] & 0xC0) != 0x80:
                groups.append((pending, group_start, pos))
                pending, group_start = [], pos
        if pending:  # cannot happen when the tokens spell the text; kept for safety
            groups.append((pending, group_start, n))
        return tokens, groups


def _spm_groups(spans: Sequence[Tuple[int, int]], n: int) -> List[Tuple[List[int], int, int]]:
    """Segments of SentencePiece tokens from their byte spans in the original text.

    A token whose span ends where an earlier one did (the first byte-fallback
    pieces of a character, which sentencepiece gives empty spans) joins the next
    token that covers new text; text the normalizer dropped goes to the segment
    after it, text left at the end to the last segment.
    """
    groups: List[Tuple[List[int], int, int]] = []
    pending: List[int] = []
    prev = 0
    for k, (b, e) in enumerate(spans):
        if e <= prev:
            if e > b and groups:  # covers text again (normalizer expansions): same box as before
                groups[-1][0].append(k)
            else:
                pending.append(k)
            continue
        groups.append((pending + [k], prev, e))
        pending, prev = [], e
    if pending:
        if groups:
            groups[-1][0].extend(pending)
        else:
            groups.append((pending, 0, prev))
    if prev < n:
        if groups:
            idx, b, _e = groups[-1]
            groups[-1] = (idx, b, n)
        else:
            groups.append(([], 0, n))
    return groups


def _char_offsets(data: bytes) -> List[int]:
    """Byte offset -> code-point offset, for every offset 0..len(data)."""
    out = [0] * (len(data) + 1)
    c = 0
    for k, byte in enumerate(data):
        if (byte & 0xC0) != 0x80:
            c += 1
        out[k + 1] = c
    # an offset inside a character maps to the character's end; groups never cut there
    return out


def _text_kinds(s: str) -> List[str]:
    """``newline`` when the text has a line break; ``whitespace`` when it is only white space."""
    kinds = ["newline"] if "\n" in s or "\r" in s else []
    if s and not s.strip():
        kinds.append("whitespace")
    return kinds


class Playground:
    """The tokenizers a server offers, by id, in the order they were named."""

    def __init__(self, loaded: Sequence[Loaded]) -> None:
        self.tokenizers: Dict[str, Loaded] = {t.id: t for t in loaded}

    @classmethod
    def load(cls, models: Sequence[str] = (), encodings: Sequence[str] = ()) -> Playground:
        """Load ``.model`` files and byte-level encodings (names or rank files); errors name the file."""
        loaded: List[Loaded] = []
        for path in models:
            sp = load_processor(path)
            proto = model_pb2.ModelProto()
            proto.ParseFromString(sp.serialized_model_proto())
            types = [p.type for p in proto.pieces]
            tid = unique_id(path, [t.id for t in loaded])
            loaded.append(Loaded(tid, os.path.basename(path), "sentencepiece", sp, len(types), types))
        for spec in encodings:
            enc = load_encoding(spec)
            tid = unique_id(enc.name if not os.path.isfile(spec) else spec, [t.id for t in loaded])
            loaded.append(Loaded(tid, enc.name, "bytelevel", enc, enc.n_vocab))
        return cls(loaded)

    def describe(self) -> List[Dict[str, Any]]:
        return [t.describe() for t in self.tokenizers.values()]

    def encode(self, text: str, ids: Sequence[str]) -> List[Dict[str, Any]]:
        """One result per id (ids must be known: KeyError otherwise)."""
        data = text.encode("utf-8")
        return [self.tokenizers[i].encode(text, data) for i in ids]
