"""The text ``spbpe verify`` checks: the lines of corpus files, and a built-in set of hard strings.

    >>> next(read_corpus(["corpus.txt"]))   # doctest: +SKIP
    ('corpus.txt', 1, 'The first line.')

A line that is not valid UTF-8 comes as ``bytes``, so both libraries see it as it is.
"""

from __future__ import annotations

import json
import os
import random
from typing import Iterable, Iterator, List, Optional, Tuple, Union

from ..errors import CliError

__all__ = ["read_corpus", "adversarial_strings"]

Text = Union[str, bytes]


def _as_text(line: bytes) -> Text:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return line


def read_corpus(paths: Iterable[str]) -> Iterator[Tuple[str, int, Text]]:
    """(file name, line number, text) for every line; ``.jsonl`` files give each record's "text"."""
    for path in paths:
        name = os.path.basename(path)
        with open(path, "rb") as f:
            for no, raw in enumerate(f, 1):
                line = raw[:-1] if raw.endswith(b"\n") else raw
                if path.endswith(".jsonl"):
                    try:
                        rec = json.loads(line)
                        text = rec["text"] if isinstance(rec, dict) else str(rec)
                    except (ValueError, KeyError) as e:
                        why = "no 'text' field" if isinstance(e, KeyError) else str(e)
                        raise CliError(f"{name}:{no}: not a JSON record with a 'text' field ({why})") from None
                    yield name, no, text
                else:
                    yield name, no, _as_text(line)


def _files(paths: Iterable[str]) -> List[str]:
    out: List[str] = []
    for p in paths:
        if os.path.isdir(p):
            for root, dirs, names in os.walk(p):
                dirs.sort()
                out += [os.path.join(root, n) for n in sorted(names) if n.endswith((".txt", ".tsv", ".jsonl"))]
        else:
            out.append(p)
    return out


def adversarial_strings(model: Optional[str] = None, count: int = 2000, seed: int = 0) -> List[Text]:
    """Hard inputs: whitespace runs, specials, byte-piece lookalikes, emoji, invalid UTF-8, random vocab soup.

    With a model, its own special and longest pieces are mixed in too.
    """
    fixed: List[Text] = [
        "",
        " ",
        "  ",
        " " * 17,
        " " * 1000,
        "\t",
        "\r\n",
        "a\tb\nc\rd",
        "  hi  there ",
        "trailing   ",
        "\x00",
        "a\x00b",
        "\x01\x7f\x85",
        "▁",
        "▁▁",
        " ▁ ",
        "▁hello▁ world",
        "<0x41>",
        "<0xE2><0x82>",
        "<s>",
        "</s>",
        "<unk>",
        "<pad>",
        "[INST] hi [/INST]",
        "<s>[INST]",
        "😀",
        "👨\u200d👩\u200d👧",
        "🏳️\u200d🌈",
        "🇯🇵🇺🇸",
        "👍🏽",
        "\u200b\u200c\u200d\ufeff",
        "e\u0301\u0301\u0301",
        "\u0915\u094d\u0937",
        "ﬁ ﬀ ℌ ＡＢＣ ①",
        "\u3000全角\u3000",
        "\ufffd",
        "\u2028\u2029",
        "\U0010ffff",
        "\ue000",
        "鿿",
        "\U00020000\U0002a6d6",
        "日本語のテキスト",
        "한국어",
        "مرحبا بالعالم",
        "שָׁלוֹם",
        "ไทยไม่มีช่องว่าง",
        "a" * 1000,
        "ab" * 500,
        "1234567890" * 20,
        "abc " * 500,
        "x" * 20000,
        b"\xff",
        b"\xe2\x82",
        b"\xed\xa0\x80",
        b"\xf4\x90\x80\x80",
        b"\x80\x80x",
        b"\xc0\x80",
        b"ok\xffok",
        b"\xe2\x96",
        b"\xf0\x9f\x98",
        b"a\xe2\x96\x81b",
    ]
    rng = random.Random(seed)
    alphabet = list("abcdefghijklmnopqrstuvwxyzABC0123456789 .,!?-_'\"()[]<>/\\") + [
        " ",
        "  ",
        "\t",
        "\n",
        "▁",
        "\ufffd",
        "\u200d",
        "\xa0",
        "😀",
        "🏽",
        "\u0301",
        "日",
        "本",
        "한",
        "ไ",
        "ع",
        "ש",
        "Ё",
    ]
    vocab: List[str] = []
    if model:
        from .model_info import load_proto

        proto = load_proto(model)
        vocab = [p.piece.replace("▁", " ") for p in proto.pieces if p.type == 1]
        specials = [p.piece for p in proto.pieces if p.type in (2, 3, 4)][:200]
        longest = sorted(vocab, key=len)[-50:]
        fixed += specials + [f"x{s}y" for s in specials[:50]] + [f"hi {s} there" for s in specials[:50]]
        fixed += [p * 3 for p in longest] + ["".join(longest)]
        alphabet += specials[:20]
    out = list(fixed)
    while len(out) < count:
        kind = rng.random()
        if vocab and kind < 0.5:
            out.append(
                "".join(rng.choice(vocab) + rng.choice(["", "", " ", "  ", "\t"]) for _ in range(rng.randint(1, 12)))
            )
        elif kind < 0.9:
            out.append("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))))
        else:
            pool = [b"a", b" ", b"\xe2\x96\x81", b"\xff", b"\x80", b"\xe2", b"\xf0\x9f", b"\xc3\xa9", b"\x00"]
            out.append(b"".join(rng.choice(pool) for _ in range(rng.randint(1, 24))))
    return out[: max(count, len(fixed))]
