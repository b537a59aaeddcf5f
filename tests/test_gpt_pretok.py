"""The C pre-tokenizer (csrc/bytelevel/pretok.c) against tiktoken's own regex engine.

tiktoken 0.14 splits with fancy-regex over Unicode 16.0 tables; spbpe
reproduces its four built-in patterns by hand.  The oracle is tiktoken
itself, run at test time on the patterns of the installed tiktoken_ext
(Llama 3's from Meta's tokenizer.py): its split is read off its tokens
(tests/helpers/pretok_oracle.py says why that is exact), and its Unicode
classes off what a one-class pattern matches over every code point.  The
reference twin, the `regex` module with the same pattern and Unicode 16.0
classes spelled out, is checked too, since the fuzzers use it.

Without ../shared the corpus tests skip; the rest needs only registry
packages (tiktoken, regex, unicodedata2).  scripts/pretok_parity.py runs
the long versions (every corpus file whole and by line, every code point
in context).
"""

from __future__ import annotations

import itertools
import random

import pytest

from spbpe._core.native_pretok import PRETOK_KINDS, class_table, split
from spbpe.errors import InputError
from tests.helpers.gpt_encodings import corpus_text
from tests.helpers.models import shared_path
from tests.helpers.pretok_oracle import KINDS, patterns, reference_split, tiktoken_tokens

tiktoken = pytest.importorskip("tiktoken")

SCALARS = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)

# One or more characters of every class the patterns tell apart, and the
# characters they name: contraction letters (with their case-folded forms,
# U+017F LONG S and U+212A KELVIN SIGN, which folds to k, not a contraction
# letter), \r \n / ' and the space, other White_Space, Lt, Lm, Lo, marks
# (Mn, Mc), numbers (Nd, No), symbols, an emoji, U+FFFD.
ALPHABET = [
    *"asSlLevrtdmA",
    "\u017f", "\u212a", "\u01c5", "\u02b0", "\u4e00", "\u0301", "\u0903",
    *"1", "\u0663", "\u2155",
    " ", "\t", "\n", "\r", "\u3000", "\u00a0", "\u0085",
    *"'!/", "\ufffd", "\U0001f600",
]  # fmt: skip

# Class bits of csrc/bytelevel/unicode_classes.h.
UPPER, LOWER, OTHER_LETTER, MARK, NUMBER, SPACE, CRLF = 1, 2, 4, 8, 16, 32, 64


def assert_same_as_tiktoken(kind: str, texts: list[str]) -> None:
    ours = [split(kind, t.encode()) for t in texts]
    plain = [split(kind, t.encode(), reference_path=True) for t in texts]
    assert plain == ours, "the fast path and its plain twin differ"
    theirs = tiktoken_tokens(patterns()[kind], texts, ours)
    bad = [(t, o, r) for t, o, r in zip(texts, ours, theirs) if o != r]
    assert not bad, f"{len(bad)} of {len(texts)} texts split differently, first: {bad[0]}"


# ------------------------------------------------------------------ classes


def tiktoken_members(pattern: str) -> set[int]:
    """The code points tiktoken's engine matches with a one-character pattern.

    Only the 256 byte tokens exist, so every match comes out as its bytes and
    unmatched text is skipped: the tokens, as bytes, are the UTF-8 of the
    matched code points in order."""
    enc = tiktoken.Encoding(
        "probe", pat_str=pattern, mergeable_ranks={bytes([b]): b for b in range(256)}, special_tokens={}
    )
    return {ord(c) for c in bytes(enc.encode_ordinary(SCALARS)).decode()}


@pytest.fixture(scope="module")
def table() -> bytes:
    return class_table()


@pytest.mark.parametrize(
    "pattern, bits",
    [
        (r"\p{L}", UPPER | LOWER | OTHER_LETTER),
        (r"[\p{Lu}\p{Lt}]", UPPER),
        (r"\p{Ll}", LOWER),
        (r"[\p{Lm}\p{Lo}]", OTHER_LETTER),
        (r"\p{M}", MARK),
        (r"\p{N}", NUMBER),
        (r"\s", SPACE),
        (r"[\r\n]", CRLF),
        (r"[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]", UPPER | OTHER_LETTER | MARK),
        (r"[\p{Ll}\p{Lm}\p{Lo}\p{M}]", LOWER | OTHER_LETTER | MARK),
    ],
)
def test_class_table_is_tiktokens(table: bytes, pattern: str, bits: int) -> None:
    theirs = tiktoken_members(pattern)
    ours = {c for c in map(ord, SCALARS) if table[c] & bits}
    assert theirs == ours, sorted(theirs ^ ours)[:20]


@pytest.mark.parametrize("letter", list("sdmtlver"))
def test_case_insensitive_contraction_letters(letter: str) -> None:
    """Every code point tiktoken's (?i:x) matches makes a contraction, in the
    patterns that fold case, and only those (the code points in context test
    puts every code point after an apostrophe)."""
    members = tiktoken_members(f"(?i:{letter})")
    assert {ord(letter), ord(letter.upper())} <= members
    forms = {"l": ["'{}l", "'l{}"], "v": ["'{}e"], "r": ["'{}e"], "e": ["'v{}", "'r{}"]}.get(letter, ["'{}"])
    for c in members:
        for form in forms:
            contraction = form.format(chr(c))
            assert_same_as_tiktoken("cl100k_base", [f"x{contraction}x"])
            assert split("cl100k_base", f"x{contraction}x".encode())[1] == contraction.encode()


# ------------------------------------------------------------------- splits


@pytest.mark.parametrize("kind", KINDS)
def test_every_short_string(kind: str) -> None:
    """Every string of up to 3 characters over ALPHABET (37,059 strings)."""
    texts = ["".join(p) for n in (1, 2, 3) for p in itertools.product(ALPHABET, repeat=n)]
    assert_same_as_tiktoken(kind, texts)


@pytest.mark.parametrize("kind", KINDS)
def test_random_mixed_strings(kind: str) -> None:
    rng = random.Random(14 + len(kind))
    texts = ["".join(rng.choices(ALPHABET, k=rng.randint(1, 40))) for _ in range(4000)]
    # runs of one class, where the {1,3}, run and lookahead rules bite
    for _ in range(1000):
        texts.append("".join(rng.choice(ALPHABET) * rng.randint(1, 6) for _ in range(rng.randint(1, 6))))
    assert_same_as_tiktoken(kind, texts)
    assert [reference_split(patterns()[kind], t) for t in texts[:1000]] == [
        split(kind, t.encode()) for t in texts[:1000]
    ]


def code_point_sample(table: bytes) -> list[str]:
    """All of U+0000..U+07FF, then up to 48 code points of every class byte
    (first, last and random ones), each class checked against tiktoken by
    test_class_table_is_tiktokens: the matchers only look at class bytes and
    at the ASCII characters and U+017F the patterns name."""
    rng = random.Random(1414)
    by_class: dict[int, list[int]] = {}
    for c in map(ord, SCALARS):
        by_class.setdefault(table[c], []).append(c)
    picked = set(range(0x800)) - set(range(0xD800, 0xE000))
    for members in by_class.values():
        picked.update(members[:8] + members[-8:] + rng.sample(members, min(32, len(members))))
    return [chr(c) for c in sorted(picked)]


@pytest.mark.parametrize("kind", KINDS)
def test_code_points_in_context(kind: str, table: bytes) -> None:
    """Each sampled code point after and before letters, upper case, digits,
    spaces, an apostrophe, punctuation, a newline and itself."""
    cps = code_point_sample(table)
    texts = [
        "".join(f"{c}a{c}A{c}1{c} {c}'{c}!{c}\n{c}{c}  " for c in cps[i : i + 512]) for i in range(0, len(cps), 512)
    ]
    assert_same_as_tiktoken(kind, texts)


@pytest.mark.parametrize("kind", KINDS)
def test_long_runs(kind: str) -> None:
    """Long runs of one class and the whitespace rules at the end of the text."""
    n = 20000
    texts = [
        "a" * n,
        "A" * n + "a",
        "\u0301" * n,
        "A\u0301" * n + "b",
        "1" * n + "x",
        "'" * n,
        "'s" * n,
        " " * n,
        " " * n + "x",
        "x" + " " * n,
        "x" + "\n" * n,
        "x" + " \n" * n + "  ",
        "\r\n" * n,
        "!" * n + "\r\n/" * 10,
        "\u3000" * n + "\u4e00",
        "\U0001f600" * n,
    ]
    assert_same_as_tiktoken(kind, texts)


def replace_invalid(data: bytes) -> bytes:
    """data with each byte that does not start a well-formed UTF-8 character
    replaced by '!' (one byte, no letter, number or space, like U+FFFD)."""
    out = bytearray()
    i = 0
    while i < len(data):
        b = data[i]
        n = 1 if b < 0x80 else 2 if 0xC0 <= b < 0xE0 else 3 if 0xE0 <= b < 0xF0 else 4 if b >= 0xF0 else 0
        try:
            valid = n > 0 and i + n <= len(data) and len(data[i : i + n].decode("utf-8")) == 1
        except UnicodeDecodeError:
            valid = False
        out += data[i : i + n] if valid else b"!"
        i += n if valid else 1
    return bytes(out)


@pytest.mark.parametrize("kind", KINDS)
def test_invalid_utf8_bytes_are_one_other_character_each(kind: str) -> None:
    rng = random.Random(7)
    pieces = [c.encode() for c in ALPHABET] + [b"\x80", b"\xbf", b"\xc0", b"\xc3", b"\xe2\x82", b"\xed\xa0\x80",
                                               b"\xf0\x9f", b"\xf4\x90\x80\x80", b"\xff", b"\xc0\xaf"]  # fmt: skip
    datas = [b"".join(rng.choices(pieces, k=rng.randint(1, 30))) for _ in range(3000)]
    replaced = [replace_invalid(d) for d in datas]
    for d, r in zip(datas, replaced):
        assert len(d) == len(r)
        ends = [len(c) for c in split(kind, d)]
        assert ends == [len(c) for c in split(kind, r)], (d, r)
        assert ends == [len(c) for c in split(kind, d, reference_path=True)], d
    assert_same_as_tiktoken(kind, [r.decode() for r in replaced])


# ------------------------------------------------------------------ corpora


def corpus_files() -> list:
    base = shared_path("corpora")
    if base is None:
        return []
    return sorted(p for p in base.rglob("*") if p.is_file() and p.suffix in (".txt", ".tsv", ".jsonl"))


CORPUS_LIMIT = 100_000  # bytes per file here; scripts/pretok_parity.py takes whole files


@pytest.mark.slow  # ~5 s each: 35 files x 100 KB through tiktoken
@pytest.mark.parametrize("kind", KINDS)
def test_corpora(kind: str) -> None:
    files = corpus_files()
    if not files:
        pytest.skip("no ../shared/corpora")
    for path in files:
        text = corpus_text(path, CORPUS_LIMIT)
        lines = text.splitlines(keepends=True)
        whole = split(kind, text.encode())
        per_line = [split(kind, line.encode()) for line in lines]
        theirs = tiktoken_tokens(patterns()[kind], [text, *lines], [whole, *per_line])
        assert theirs[0] == whole, path.name
        assert sum(a == b for a, b in zip(theirs[1:], per_line)) == len(lines), path.name


def test_reference_twin_on_adversarial_corpus() -> None:
    path = shared_path("corpora", "adversarial", "adversarial.txt")
    if path is None:
        pytest.skip("no ../shared/corpora")
    text = path.read_text(encoding="utf-8")
    for kind in KINDS:
        assert reference_split(patterns()[kind], text) == split(kind, text.encode())


# ------------------------------------------------------------------- the API


def test_chunks_tile_the_text() -> None:
    data = "Hello, wörld's 123456 \u4e00\u4e01!!\n\n  end ".encode()
    for kind in PRETOK_KINDS:
        chunks = split(kind, data)
        assert b"".join(chunks) == data and all(chunks)
    assert split("cl100k_base", b"") == []


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="no built-in pre-tokenizer"):
        split("p50k_nope", b"x")
    with pytest.raises(InputError, match="unknown pre-tokenizer kind 9"):
        split(9, b"x")
