"""minbpe's files, and the tiktoken rank file a trained tokenizer exports.

``.model`` (what load reads), as minbpe writes it::

    minbpe v1
    <split pattern, "" for BasicTokenizer>
    <number of special tokens>
    <special text> <id>        (one line each)
    <left id> <right id>       (one line per merge, in merge order; the
                                merge on line k makes id 256 + k)

``.vocab`` (for people only): every id with its bytes rendered as text
(invalid UTF-8 as U+FFFD, control characters as ``\\uXXXX``), a merged id as
``[left][right] -> [token] id``.  Both are UTF-8 with ``\\n`` line ends.

>>> render_token(b"a\\nb")
'a\\\\u000ab'
"""

from __future__ import annotations

import base64
import json
import os
import unicodedata
from typing import Any, Dict, Tuple

from ..errors import InputError, MinbpeCheckError, ModelFormatError

__all__ = ["render_token", "replace_control_characters", "save_files", "write_vocab", "load_model", "write_tiktoken"]

Merges = Dict[Tuple[int, int], int]


def replace_control_characters(s: str) -> str:
    """Escape every character of a category C* (control, format, ...) as \\uXXXX."""
    return "".join(ch if unicodedata.category(ch)[0] != "C" else f"\\u{ord(ch):04x}" for ch in s)


def render_token(t: bytes) -> str:
    """A token printable: invalid UTF-8 as U+FFFD, control characters escaped."""
    return replace_control_characters(t.decode("utf-8", errors="replace"))


def write_vocab(vocab_file: str, vocab: Dict[int, bytes], merges: Merges) -> None:
    """minbpe's .vocab: every id of vocab in its order, merged ids with their pair."""
    inverted = {idx: pair for pair, idx in merges.items()}
    lines = []
    for idx, token in vocab.items():
        s = render_token(token)
        if idx in inverted:
            idx0, idx1 = inverted[idx]
            lines.append(f"[{render_token(vocab[idx0])}][{render_token(vocab[idx1])}] -> [{s}] {idx}\n")
        else:
            lines.append(f"[{s}] {idx}\n")
    with open(vocab_file, "w", encoding="utf-8", newline="\n") as f:
        f.write("".join(lines))


def save_files(
    file_prefix: str, pattern: str, special_tokens: Dict[str, int], merges: Merges, vocab: Dict[int, bytes]
) -> None:
    """file_prefix.model and file_prefix.vocab, as minbpe's save writes them."""
    lines = ["minbpe v1\n", f"{pattern}\n", f"{len(special_tokens)}\n"]
    lines += [f"{special} {idx}\n" for special, idx in special_tokens.items()]
    lines += [f"{a} {b}\n" for a, b in merges]
    with open(file_prefix + ".model", "w", encoding="utf-8", newline="\n") as f:
        f.write("".join(lines))
    write_vocab(file_prefix + ".vocab", vocab, merges)


def load_model(model_file: str) -> Tuple[str, Dict[str, int], Merges]:
    """(pattern, special tokens, merges) of a .model file, read as minbpe's
    load reads it; merges that could not make a vocabulary are refused."""
    if not model_file.endswith(".model"):
        raise MinbpeCheckError(f"{model_file!r}: a minbpe model file name ends with .model")
    with open(model_file, encoding="utf-8") as f:
        version = f.readline().strip()
        if version != "minbpe v1":
            raise MinbpeCheckError(f"{model_file}: the first line is {version!r}, not 'minbpe v1'")
        pattern = f.readline().strip()
        try:
            num_special = int(f.readline().strip())
        except ValueError:
            raise ModelFormatError(f"{model_file}: line 3 is not the number of special tokens") from None
        special_tokens: Dict[str, int] = {}
        for k in range(num_special):
            fields = f.readline().strip().rsplit(None, 1)
            if len(fields) != 2 or not fields[1].lstrip("-").isdigit():
                raise ModelFormatError(f"{model_file}: special token line {k + 1} is not '<text> <id>'")
            special_tokens[fields[0]] = int(fields[1])
        merges: Merges = {}
        idx = 256
        for no, line in enumerate(f, 4 + num_special):
            if not line.strip():
                continue
            try:
                a, b = map(int, line.split())
            except ValueError:
                raise ModelFormatError(f"{model_file}:{no}: a merge line is two ids, not {line.strip()!r}") from None
            if not (0 <= a < idx and 0 <= b < idx) or (a, b) in merges:
                raise ModelFormatError(
                    f"{model_file}:{no}: merge ({a}, {b}) -> {idx} needs two earlier ids and a pair not merged before"
                )
            merges[(a, b)] = idx
            idx += 1
    return pattern, special_tokens, merges


def write_tiktoken(path: str, ranks: Dict[int, bytes], pat_str: str, special_tokens: Dict[str, int]) -> Dict[str, Any]:
    """A tiktoken rank file at path (``base64 rank`` lines, by rank) and its
    Encoding arguments at path + ".json"; returns those arguments."""
    seen: Dict[bytes, int] = {}
    for rank, token in ranks.items():
        if token in seen:
            raise InputError(
                f"ids {seen[token]} and {rank} are both {token!r}: a tiktoken rank file holds each token once"
            )
        seen[token] = rank
    with open(path, "w", encoding="ascii", newline="\n") as f:
        f.write("".join(f"{base64.b64encode(ranks[r]).decode()} {r}\n" for r in sorted(ranks)))
    args = {
        "name": os.path.splitext(os.path.basename(path))[0],
        "pat_str": pat_str,
        "special_tokens": special_tokens,
    }
    with open(path + ".json", "w", encoding="utf-8", newline="\n") as f:
        json.dump(args, f, ensure_ascii=False, indent=1)
        f.write("\n")
    return args
