"""Hand-written hard inputs and a seeded generator of random ones.

Each entry is str or bytes (bytes for input that is not valid UTF-8).
"""

import random

HARD_CASES = [
    "",
    " ",
    "  ",
    "   ",
    " " * 20,
    " " * 1000,
    "\t",
    "\n",
    "\r\n",
    "\t\n",
    "a\tb\nc\rd",
    "Hello world",
    "  hi  there ",
    "hello    ",
    "    hello",
    "a  b",
    "a \t b",
    "\x00",
    "hi\x00there",
    "\x00\x00\x00",
    "\x01\x02\x7f\x85",
    "<s>",
    "</s>",
    "<unk>",
    "<pad>",
    "<s>[INST] hi [/INST]",
    "[INST] What is 2+2? [/INST]",
    "[TOOL_CALLS]",
    "[REFERENCE_DOC_1]",
    "see [REFERENCE_DOC_12] now",
    "hi[REF]there",
    "[/REF][REF]",
    "<0x41>",
    "<0xE2>",
    "<sep>",
    "<cls> x",
    "the cat",
    "ab c",
    "ab cab c",
    "▁",
    "▁▁",
    "hello▁",
    "▁hello",
    "▁ ▁hello  ▁ world▁ ",
    "😀",
    "👨\u200d👩\u200d👧",
    "🏳️\u200d🌈",
    "🇯🇵🇺🇸",
    "👍🏽",
    "\u200d",
    "\u200b\u200c\ufeff",
    "cafe\u0301",
    "e\u0301\u0301\u0301",
    "\u0915\u094d\u0937",
    "a\u0308\u0323",
    "鿿",
    "\U00020000\U0002a6d6",
    "日本語のテキスト",
    "한국어 텍스트",
    "ﬁ ﬀ ℌ ＡＢＣ ①",
    "\u3000全角\u3000",
    "\ufffd",
    "\ufffd\ufffd",
    "\u2028\u2029\x85",
    "\U0010ffff",
    "\ue000",
    "1234567890" * 10,
    "a" * 100,
    "ab" * 700,
    "a" * 1000,
    "x" * 100_000,
    "abc " * 2000,
    "مرحبا بالعالم",
    "שלום עולם",
    "Ελληνικά",
    "Привет мир",
    "ไทยไม่มีช่องว่าง",
    "tab\tinside\tline",
    "trailing\t",
    "\tleading",
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
    b"\xef\xbf\xbd",
]

_ALPHABET = (
    list("abcdefghijklmnopqrstuvwxyz ABC 0123456789 .,!?-_'\"()[]<>/\\")
    + [" ", "  ", "\t", "\n", "\r", "\x00", "▁", "\ufffd", "\u200d", "\u3000", "\xa0"]
    + list("日本語中文한국어ไทยعربيעבריתЁжΩ")
    + ["😀", "🏽", "👨", "\u0301", "\u0308", "ﬁ", "①", "Ａ"]
    + ["<s>", "</s>", "<unk>", "[INST]", "[/INST]", "[REF]", "[REFERENCE_DOC_3]", "<0x41>", "<sep>", "<cls>"]
    + ["the", "ing", " the ", "tion", "▁the"]
)


def random_strings(count: int, seed: int = 1234, max_len: int = 40):
    """`count` random strings mixing letters, whitespace, specials and emoji."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        n = rng.randint(0, max_len)
        out.append("".join(rng.choice(_ALPHABET) for _ in range(n)))
    return out


def random_bytes(count: int, seed: int = 99, max_len: int = 24):
    """`count` random byte strings, mostly invalid UTF-8."""
    rng = random.Random(seed)
    pool = [b"a", b" ", b"\xe2\x96\x81", b"\xff", b"\x80", b"\xe2", b"\xf0\x9f", b"\xc3\xa9", b"\x00", b"\xed\xa0\x80"]
    return [b"".join(rng.choice(pool) for _ in range(rng.randint(0, max_len))) for _ in range(count)]
