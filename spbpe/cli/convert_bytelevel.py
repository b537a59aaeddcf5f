"""``spbpe convert --tiktoken=NAME|PATH``: a byte-level HF ``tokenizer.json``.

    >>> byte_alphabet()[ord(" ")], byte_alphabet()[ord("a")]
    ('Ġ', 'a')

The encoding (spbpe.gpt's, loaded by spbpe.cli.encodings) becomes HF's
GPT-2 layout: pre-tokenizer ``Split(pattern, Isolated)`` then
``ByteLevel(use_regex=false)``, a BPE model whose vocabulary is the rank
file's tokens spelled in GPT-2's byte-to-unicode alphabet (id = rank), the
special tokens as special added tokens, and the ``ByteLevel`` decoder.

Merges: a rank file lists tokens, not the pairs they came from.  As minbpe's
gpt4.py does (spbpe.gpt.minbpe_gpt4.split_by_ranks), each token of rank r is
split by byte-level BPE with the ranks below r into the two parts it was
merged from; the merges are listed in rank order, so HF's merge priority is
tiktoken's rank order.  Single bytes have no merge.  ``ignore_merges`` is on:
like tiktoken, a chunk that is a whole token becomes that token without merging.

The pattern is tiktoken's (Rust ``fancy-regex``); HF runs it with Oniguruma,
where ``$`` also matches before a newline, so an unescaped ``$`` is written
``\\z`` (end of text, what ``$`` means in tiktoken).
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Tuple

from ..gpt.minbpe_gpt4 import split_by_ranks
from .encodings import load_encoding

__all__ = ["byte_alphabet", "bytelevel_merges", "onig_pattern", "to_bytelevel_json", "check_bytelevel_json"]


def byte_alphabet() -> List[str]:
    """GPT-2's byte-to-unicode map: printable Latin-1 bytes stand for themselves, the
    other 68 bytes for U+0100 upwards, in byte order."""
    keep = set(range(ord("!"), ord("~") + 1)) | set(range(0xA1, 0xAC + 1)) | set(range(0xAE, 0xFF + 1))
    out: List[str] = []
    extra = 0
    for b in range(256):
        if b in keep:
            out.append(chr(b))
        else:
            out.append(chr(256 + extra))
            extra += 1
    return out


def _spell(token: bytes, alphabet: List[str]) -> str:
    return "".join(alphabet[b] for b in token)


def bytelevel_merges(ranks: Dict[bytes, int]) -> List[Tuple[bytes, bytes]]:
    """The (left, right) pairs each multi-byte token is merged from, in rank order.

    A token that byte-level BPE with the lower ranks cannot reach (Llama 3 has some:
    tiktoken emits them only for a chunk that is the whole token, which HF's
    ``ignore_merges`` reproduces) gets every split into two tokens instead: tiktoken
    merges any adjacent pair whose concatenation has a rank."""
    merges: List[Tuple[bytes, bytes]] = []
    for token, rank in sorted(ranks.items(), key=lambda kv: kv[1]):
        if len(token) < 2:
            continue
        pair = split_by_ranks(ranks, token, rank)
        if len(pair) == 2:
            merges.append((pair[0], pair[1]))
            continue
        merges += [(token[:k], token[k:]) for k in range(1, len(token)) if token[:k] in ranks and token[k:] in ranks]
    return merges


def _escape_end(pat: str, i: int) -> int:
    """The index after the escape at pat[i] (``\\p{..}`` and ``\\x{..}`` included)."""
    if pat[i + 1 : i + 3] in ("p{", "P{", "x{"):
        return pat.index("}", i) + 1
    return i + 2


def _class_end(pat: str, i: int) -> int:
    """The index after the character class opening at pat[i] (nested classes, escapes)."""
    depth, j = 0, i
    while j < len(pat):
        c = pat[j]
        if c == "\\":
            j = _escape_end(pat, j)
            continue
        if c == "[":
            depth += 1
            if pat[j + 1 : j + 2] == "^":
                j += 1
            if pat[j + 1 : j + 2] == "]":  # a literal ] first in the class
                j += 1
        elif c == "]":
            depth -= 1
            if depth == 0:
                return j + 1
        j += 1
    raise ValueError(f"unbalanced [ in pattern {pat!r}")


def onig_pattern(pat: str) -> str:
    r"""tiktoken's pattern (fancy-regex) for Oniguruma (HF's engine), with the same matches.

    An unescaped ``$`` becomes ``\z`` (Oniguruma's ``$`` also matches before a newline), and a
    possessive counted repeat ``X{n,m}+`` becomes ``(?>X{n,m})`` (Oniguruma reads it as
    ``(X{n,m})+``).

        >>> onig_pattern(r"\p{N}{1,3}+|\s++$|[$]")
        '(?>\\p{N}{1,3})|\\s++\\z|[$]'
    """
    out: List[str] = []  # atoms as written, so a repeat can wrap the last one
    i = 0
    while i < len(pat):
        c = pat[i]
        if c == "\\":
            j = _escape_end(pat, i)
            out.append(pat[i:j])
        elif c == "[":
            j = _class_end(pat, i)
            out.append(pat[i:j])
        elif c == "(":
            out.append("(")  # the group becomes one atom when it closes
            j = i + 1
        elif c == ")":
            k = len(out) - 1
            while out[k] != "(":
                k -= 1
            out[k:] = ["".join(out[k:]) + ")"]
            j = i + 1
        elif c == "{" and out and "}" in pat[i:]:
            close = pat.index("}", i)
            j = close + 1
            if pat[j : j + 1] == "+":
                out[-1] = f"(?>{out[-1]}{pat[i:j]})"
                j += 1
            else:
                out[-1] += pat[i:j]
        elif c == "$":
            out.append("\\z")
            j = i + 1
        else:
            out.append(c)
            j = i + 1
        i = j
    return "".join(out)


def to_bytelevel_json(spec: str) -> str:
    """The text of a HF tokenizer.json for the byte-level encoding ``spec`` (a name or rank file)."""
    enc = load_encoding(spec)
    ranks: Dict[bytes, int] = enc._mergeable_ranks
    specials: Dict[str, int] = enc._special_tokens
    alphabet = byte_alphabet()
    missing = [b for b in range(256) if bytes([b]) not in ranks]
    if missing:
        raise ValueError(f"{spec}: byte {missing[0]:#04x} has no rank; HF's byte-level BPE needs all 256 bytes")
    added = [
        {
            "id": i,
            "content": tok,
            "single_word": False,
            "lstrip": False,
            "rstrip": False,
            "normalized": False,
            "special": True,
        }
        for tok, i in sorted(specials.items(), key=lambda kv: kv[1])
    ]
    # Special tokens are in the model's vocabulary too: HF gives an added token that is not
    # there the next free id, not its own (cl100k's specials start after a gap at 100256).
    vocab = {_spell(t, alphabet): r for t, r in sorted(ranks.items(), key=lambda kv: kv[1])}
    for tok, i in sorted(specials.items(), key=lambda kv: kv[1]):
        vocab.setdefault(tok, i)
    data = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": {
            "type": "Sequence",
            "pretokenizers": [
                {
                    "type": "Split",
                    "pattern": {"Regex": onig_pattern(enc._pat_str)},
                    "behavior": "Isolated",
                    "invert": False,
                },
                {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False},
            ],
        },
        "post_processor": None,
        "decoder": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False},
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": None,
            "continuing_subword_prefix": None,
            "end_of_word_suffix": None,
            "fuse_unk": False,
            "byte_fallback": False,
            "ignore_merges": True,  # a chunk that is a token is that token, as in tiktoken
            "vocab": vocab,
            "merges": [[_spell(a, alphabet), _spell(b, alphabet)] for a, b in bytelevel_merges(ranks)],
        },
    }
    return json.dumps(data, ensure_ascii=False, indent=1)


def check_bytelevel_json(spec: str, tokenizer_json: str, files: List[str], max_examples: int = 5) -> Dict[str, Any]:
    """Encode every line of ``files`` with the encoding (special tokens allowed, as HF matches them)
    and with the tokenizer.json; count equal ids.  Lines that are not valid UTF-8 are skipped."""
    from .convert_check import check_against_tokenizers

    enc = load_encoding(spec)
    return check_against_tokenizers(
        tokenizer_json,
        files,
        lambda text: enc.encode(text, allowed_special="all"),
        lambda text, ids: [repr(enc.decode_single_token_bytes(i))[2:-1] for i in ids],
        max_examples,
    )
