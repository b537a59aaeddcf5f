"""What a file given as a SentencePiece ``.model`` really is, for error messages.

    >>> describe_model_bytes(b"hello world\\n")
    'a text file'
    >>> not_a_model_message("m.txt", b"")
    'm.txt is an empty file, not a SentencePiece .model (a binary ModelProto, such as tokenizer.model)'

Used after a load has failed (never to refuse bytes that parse), so a valid
model can never be turned away by a wrong guess.  The guesses, in order:
empty, compressed archives, a tiktoken rank file (``base64 rank`` per line:
OpenAI's ``.tiktoken`` files and Llama 3's ``tokenizer.model``), JSON (a
HuggingFace ``tokenizer.json`` or other), a SentencePiece ``.vocab``
(``piece<TAB>score``), any other text.  A binary ``.model`` always holds
control bytes (field keys such as 0x08 and 0x15), so it is never taken for
text.  Both the API (``SentencePieceProcessor(model_file=...)``) and the
command line call :func:`not_a_model_message`, so they say the same thing.
"""

from __future__ import annotations

import re
from typing import Optional

__all__ = ["describe_model_bytes", "not_a_model_message"]

_EXPECTED = "a SentencePiece .model (a binary ModelProto, such as tokenizer.model)"
_TIKTOKEN_LINE = re.compile(rb"^[A-Za-z0-9+/]+={0,2} [0-9]+$")
_VOCAB_LINE = re.compile(rb"^[^\t]*\t-?[0-9.eE+-]+$|^[^\t]*\t(nan|-?inf)$")
_TEXT_CONTROLS = set(range(32)) - {9, 10, 13}
_HINTS = {
    "tiktoken": (
        "; load it with spbpe.gpt.get_encoding(NAME, ranks_file=PATH) (Llama 3's tokenizer.model:"
        ' spbpe.gpt.get_encoding("llama3", ranks_file=PATH)) or pass it to the command line as --tiktoken=PATH'
    ),
    "tokenizer.json": "; spbpe reads SentencePiece .model files (spbpe convert writes tokenizer.json from one)",
    "vocab": "; the .model is the binary file written beside it",
}


def _lines(data: bytes, n: int = 8) -> list:
    return [ln.rstrip(b"\r") for ln in data[:65536].split(b"\n")[:n] if ln.strip()]


def describe_model_bytes(data: bytes) -> Optional[str]:
    """What ``data`` looks like when it is not a ``.model``, or None when it may be one."""
    if not data:
        return "an empty file"
    if data[:2] == b"\x1f\x8b":
        return "a gzip archive"
    if data[:4] == b"PK\x03\x04":
        return "a zip archive"
    head = data[:65536]
    if any(b in _TEXT_CONTROLS for b in head):
        return None  # binary: may be a model (the load error says what is wrong with it)
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as e:
        if e.start < len(head) - 3:  # not just a character cut at the 64 KiB mark
            return None
    lines = _lines(data)
    if lines and all(_TIKTOKEN_LINE.match(ln) for ln in lines):
        return "a tiktoken rank file"
    if head.lstrip()[:1] in (b"{", b"["):
        if b'"model"' in head and (b'"vocab"' in head or b'"added_tokens"' in head):
            return "a HuggingFace tokenizer.json"
        return "a JSON file"
    if lines and all(_VOCAB_LINE.match(ln) for ln in lines):
        return "a SentencePiece .vocab file"
    return "a text file"


def not_a_model_message(path: str, data: bytes) -> Optional[str]:
    """One line naming ``path``, what it is and what was expected; None when it may be a model."""
    what = describe_model_bytes(data)
    if what is None:
        return None
    hint = next((h for k, h in _HINTS.items() if k in what), "")
    return f"{path} is {what}, not {_EXPECTED}{hint}"
