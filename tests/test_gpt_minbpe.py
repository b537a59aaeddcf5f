"""minbpe's tokenizers (spbpe.gpt.minbpe): training merge for merge against
the plain-Python reference of minbpe's semantics (tests/helpers/minbpe_ref),
encode against the reference and against itself (segments vs scan), files in
minbpe's format both ways, and the tiktoken export loaded by tiktoken."""

import random
import warnings

import pytest
import regex

from spbpe.errors import InputError, MinbpeCheckError, ModelFormatError
from spbpe.gpt import GPT4_SPLIT_PATTERN, BasicTokenizer, RegexTokenizer
from spbpe.gpt.minbpe import GPT2_SPLIT_PATTERN
from tests.helpers import minbpe_ref as ref
from tests.helpers.hard_cases import HARD_CASES, random_strings
from tests.helpers.models import BUNDLED_TEXT, shared_path


def taylorswift():
    """minbpe's test text from ../shared, else the bundled botchan.txt."""
    p = shared_path("corpora", "english", "taylorswift_wikipedia.txt") or BUNDLED_TEXT
    return p.read_text(encoding="utf-8")


def multilingual(limit=60_000):
    p = shared_path("corpora", "multilingual", "mixed_shuffled.txt")
    if p is None:
        pytest.skip("../shared/corpora/multilingual is absent")
    return p.read_text(encoding="utf-8")[:limit]


def chunks_of(text, pattern):
    return [text.encode()] if pattern is None else [c.encode() for c in regex.findall(pattern, text)]


def trained(cls, text, vocab_size, **kw):
    tok = cls(**kw)
    tok.train(text, vocab_size)
    return tok


def merges_of(tok):
    return [pair for pair in tok.merges]


# ------------------------------------------------------------------ training


def test_wikipedia_example():
    for cls in (BasicTokenizer, RegexTokenizer):
        tok = trained(cls, "aaabdaaabac", 256 + 3)
        assert tok.encode("aaabdaaabac") == [258, 100, 258, 97, 99]
        assert tok.decode(tok.encode("aaabdaaabac")) == "aaabdaaabac"


def _tiny_texts(n, seed):
    rng = random.Random(seed)
    alphabets = ["ab", "abc", "a b", "aab\n", "xy yx", "aa  b\n\n", "é😀 a", "\u3042\u3044 "]
    for _ in range(n):
        alpha = rng.choice(alphabets)
        yield "".join(rng.choice(alpha) for _ in range(rng.randint(0, 80)))


@pytest.mark.parametrize(
    "pattern",
    [None, GPT4_SPLIT_PATTERN, GPT2_SPLIT_PATTERN, r"(\p{L}+)| ?\p{N}|a*"],
    ids=["basic", "gpt4", "gpt2", "groups-and-empty-matches"],
)
def test_training_equals_literal_minbpe_on_tiny_texts(pattern):
    """Small alphabets make ties on almost every merge: the winner must be
    the pair minbpe's max() returns (first inserted), and the C trainer over
    distinct chunks must equal minbpe's loop over every chunk."""
    cls = BasicTokenizer if pattern is None else RegexTokenizer
    kw = {} if pattern is None else {"pattern": pattern}
    checked = 0
    for text in _tiny_texts(150, seed=7 if pattern is None else 8):
        want = ref.train_literal(chunks_of(text, pattern), 40)
        assert ref.train_distinct(chunks_of(text, pattern), 40) == want
        tok = cls(**kw)
        if len(want) < 40:
            with pytest.raises(InputError):
                tok.train(text, 256 + 40)
            tok.train(text, 256 + len(want))
        else:
            tok.train(text, 256 + 40)
        assert merges_of(tok) == [(a, b) for a, b, _ in want], repr(text)
        encoded = [i for c in chunks_of(text, pattern) for i in ref.encode_chunk(c, tok.merges)]
        assert tok.encode_ordinary(text) == encoded, repr(text)
        checked += 1
    assert checked == 150


@pytest.mark.parametrize("cls", [BasicTokenizer, RegexTokenizer])
def test_training_matches_reference_on_taylorswift_quick(cls):
    text = taylorswift()[:40_000]
    pattern = None if cls is BasicTokenizer else GPT4_SPLIT_PATTERN
    want = ref.train_distinct(chunks_of(text, pattern), 48)
    assert merges_of(trained(cls, text, 256 + 48)) == [(a, b) for a, b, _ in want]


@pytest.mark.slow
def test_training_matches_reference_on_taylorswift():
    """minbpe's train.py run (RegexTokenizer, vocab 512) on its own test text."""
    text = taylorswift()
    want = ref.train_distinct(chunks_of(text, GPT4_SPLIT_PATTERN), 256)
    tok = trained(RegexTokenizer, text, 512)
    assert merges_of(tok) == [(a, b) for a, b, _ in want]
    # the first merges also against minbpe's loop as written
    assert ref.train_literal(chunks_of(text, GPT4_SPLIT_PATTERN), 8) == want[:8]


@pytest.mark.slow
@pytest.mark.parametrize("pattern", [GPT4_SPLIT_PATTERN, GPT2_SPLIT_PATTERN], ids=["gpt4", "gpt2"])
def test_training_matches_reference_on_multilingual(pattern):
    text = multilingual()
    want = ref.train_distinct(chunks_of(text, pattern), 160)
    assert merges_of(trained(RegexTokenizer, text, 256 + 160, pattern=pattern)) == [(a, b) for a, b, _ in want]


def test_verbose_prints_minbpe_lines(capsys):
    text = taylorswift()[:5000]
    want = ref.train_distinct(chunks_of(text, GPT4_SPLIT_PATTERN), 70)
    tok = RegexTokenizer()
    tok.train(text, 256 + 70, verbose=True)
    lines = capsys.readouterr().out.splitlines()
    vocab = {i: bytes([i]) for i in range(256)}
    expect = []
    for i, (a, b, n) in enumerate(want):
        vocab[256 + i] = vocab[a] + vocab[b]
        expect.append(f"merge {i + 1}/70: {(a, b)} -> {256 + i} ({vocab[256 + i]}) had {n} occurrences")
    assert lines == expect
    assert tok.train_peak_bytes > 0


def test_train_checks():
    with pytest.raises(AssertionError):
        BasicTokenizer().train("abc", 255)
    with pytest.raises(ValueError):
        BasicTokenizer().train("abc", 260)  # two pairs, then nothing left
    tok = BasicTokenizer()
    tok.train("", 256)
    assert tok.merges == {} and tok.encode("") == []


# ------------------------------------------------------------------ encoding


@pytest.fixture(scope="module")
def regex_tok():
    tok = trained(RegexTokenizer, taylorswift()[:60_000], 256 + 300)
    tok.register_special_tokens({"<|endoftext|>": 100257, "<|fim_prefix|>": 100258})
    return tok


@pytest.fixture(scope="module")
def basic_tok():
    return trained(BasicTokenizer, taylorswift()[:30_000], 256 + 200)


def test_encode_equals_reference(regex_tok, basic_tok):
    texts = HARD_CASES[:80] + random_strings(150, seed=5) + taylorswift()[60_000:64_000].splitlines()
    for text in texts:
        if not isinstance(text, str):
            continue
        want = [i for c in chunks_of(text, GPT4_SPLIT_PATTERN) for i in ref.encode_chunk(c, regex_tok.merges)]
        assert regex_tok.encode_ordinary(text) == want, repr(text)
        assert basic_tok.encode_ordinary(text) == ref.encode_chunk(text.encode(), basic_tok.merges), repr(text)


def _ascii_texts():
    """ASCII text where the patterns' alternatives meet: whitespace runs
    (with \r \n, at the end too), contractions in both cases, digits,
    punctuation runs, and English prose."""
    rng = random.Random(17)
    alphabet = list("aZ09 \t\r\n'sStTdDmMlLvVrReE.,!?-/_\x0b\x0c\x1c\x85") + ["  ", "\r\n", "'ll", "'VE", " \n "]
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30))) for _ in range(3000)]
    texts = [t for t in texts if t.isascii()]
    prose = taylorswift()[:50_000]
    return texts + [prose.encode("ascii", "replace").decode()]


@pytest.mark.parametrize("pattern", [GPT2_SPLIT_PATTERN, GPT4_SPLIT_PATTERN, None], ids=["gpt2", "gpt4", "cl100k"])
def test_c_split_equals_regex_on_ascii(pattern):
    """RegexTokenizer splits ASCII text in C when its pattern is minbpe's
    GPT-2 or GPT-4 one or a tiktoken built-in: the chunks, and so the ids,
    must be the ones regex finds (the reference path)."""
    from spbpe.gpt.registry import CL100K_PAT_STR

    pattern = pattern or CL100K_PAT_STR
    tok = trained(RegexTokenizer, taylorswift()[:20_000], 256 + 120, pattern=pattern)
    assert tok._c_split_kind("ascii text")
    for text in _ascii_texts():
        assert tok.encode_ordinary(text) == tok.encode_ordinary(text, reference_path=True), repr(text)
    assert not tok._c_split_kind("non-ASCII: é")


def test_segments_equal_scan_on_long_chunks(basic_tok):
    """BasicTokenizer's whole text is one chunk: the segment merge (long chunks)
    must give what minbpe's scan (the reference path) gives."""
    from spbpe._core.native_minbpe import NativePairMerges

    nat = NativePairMerges(basic_tok.merges.items())
    rng = random.Random(3)
    text = taylorswift()
    samples = [text[:8_000].encode(), b"a" * 5000, b"ab" * 3000, b"  " * 999 + b"x"]
    samples += [text[s : s + rng.randint(33, 3000)].encode() for s in rng.sample(range(len(text) - 3000), 40)]
    for s in samples:
        assert nat.encode_chunks([s]) == nat.encode_chunks([s], reference_path=True)
    assert nat.encode_chunks([samples[0]]) == ref.encode_chunk(samples[0], basic_tok.merges)


def test_round_trip_random_unicode(regex_tok, basic_tok):
    rng = random.Random(11)
    for _ in range(300):
        n = rng.randint(0, 60)
        text = "".join(
            chr(rng.choice([rng.randint(0, 0x7F), rng.randint(0x80, 0xD7FF), rng.randint(0xE000, 0x10FFFF)]))
            for _ in range(n)
        )
        for tok in (regex_tok, basic_tok):
            assert tok.decode(tok.encode_ordinary(text)) == text


def test_special_tokens(regex_tok):
    text = "hello<|endoftext|>world<|fim_prefix|>!"
    with pytest.raises(MinbpeCheckError) as e:
        regex_tok.encode(text)
    assert isinstance(e.value, AssertionError)
    eot, fim = 100257, 100258
    ids = regex_tok.encode(text, allowed_special="all")
    assert ids.count(eot) == 1 and ids.count(fim) == 1
    assert regex_tok.decode(ids) == text
    assert regex_tok.encode(text, allowed_special="none") == regex_tok.encode_ordinary(text)
    only = regex_tok.encode(text, allowed_special={"<|fim_prefix|>"})
    assert eot not in only and fim in only
    with pytest.raises(ValueError):
        regex_tok.encode(text, allowed_special="bogus")
    with pytest.raises(ValueError, match="invalid token id"):
        regex_tok.decode([10**7])


# --------------------------------------------------------------------- files


@pytest.mark.parametrize("specials", [{}, {"<|endoftext|>": 100257, "<|fim_prefix|>": 100258}])
@pytest.mark.parametrize("cls", [BasicTokenizer, RegexTokenizer])
def test_files_match_minbpe_both_ways(tmp_path, cls, specials):
    text = taylorswift()[:20_000] + "\x00\x07 \u200b tab\tend"
    tok = trained(cls, text, 256 + 120)
    tok.register_special_tokens(dict(specials))
    ids = tok.encode(text, "all")
    tok.save(str(tmp_path / "ours"))
    # what minbpe writes for the same tokenizer: the same bytes
    ref.save(str(tmp_path / "theirs"), tok.pattern, tok.special_tokens, tok.merges, tok.vocab)
    for ext in (".model", ".vocab"):
        assert (tmp_path / ("ours" + ext)).read_bytes() == (tmp_path / ("theirs" + ext)).read_bytes()
    # minbpe loads ours; we load minbpe's
    pattern, sp, merges, vocab = ref.load(str(tmp_path / "ours.model"))
    assert (pattern, sp, merges) == (tok.pattern, tok.special_tokens, tok.merges)
    back = cls()
    back.load(str(tmp_path / "theirs.model"))
    assert (back.pattern, back.special_tokens, back.merges, back.vocab) == (pattern, sp, merges, vocab)
    assert back.encode(text, "all") == ids and back.decode(ids) == text


def test_load_checks(tmp_path):
    p = tmp_path / "m.model"
    p.write_text("minbpe v2\n\n0\n")
    with pytest.raises(AssertionError):
        RegexTokenizer().load(str(p))
    with pytest.raises(AssertionError):
        RegexTokenizer().load(str(tmp_path / "m.txt"))
    p.write_text("minbpe v1\n\n0\n97 300\n")
    with pytest.raises(ModelFormatError):
        RegexTokenizer().load(str(p))
    p.write_text("minbpe v1\n\n0\n97 98\n256 99\n")
    tok = RegexTokenizer()
    tok.load(str(p))
    assert tok.pattern == "" and tok.encode("abcab") == [257, 256]


# -------------------------------------------------------------------- export


@pytest.mark.parametrize("cls", [BasicTokenizer, RegexTokenizer])
def test_export_loads_in_tiktoken(tmp_path, monkeypatch, cls):
    tiktoken = pytest.importorskip("tiktoken")
    from tiktoken.load import load_tiktoken_bpe

    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", "")  # tiktoken caches even local files by path
    tok = trained(cls, taylorswift()[:50_000], 256 + 400)
    tok.register_special_tokens({"<|endoftext|>": 1000})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every merge is one tiktoken finds too
        args = tok.export_tiktoken(str(tmp_path / "mine.tiktoken"))
    enc = tiktoken.Encoding(mergeable_ranks=load_tiktoken_bpe(str(tmp_path / "mine.tiktoken")), **args)
    lines = taylorswift()[50_000:80_000].splitlines() + [s for s in HARD_CASES if isinstance(s, str)]
    lines += random_strings(200, seed=9)
    same = sum(tok.encode_ordinary(s) == enc.encode_ordinary(s) for s in lines)
    assert same == len(lines)
    text = "a<|endoftext|>b"
    assert tok.encode(text, "all") == enc.encode(text, allowed_special="all")


def test_export_warns_when_tiktoken_would_merge_otherwise(tmp_path, monkeypatch):
    """(b, c) then (a, b) then (ab, c): tiktoken merges "a" + "bc" into "abc"
    by rank, which minbpe never does; the export says so."""
    tiktoken = pytest.importorskip("tiktoken")
    from tiktoken.load import load_tiktoken_bpe

    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", "")
    p = tmp_path / "odd.model"
    p.write_text("minbpe v1\n\n0\n98 99\n97 98\n257 99\n")
    tok = BasicTokenizer()
    tok.load(str(p))
    assert tok.encode("abc") == [97, 256]
    with pytest.warns(UserWarning, match="1 merges"):
        args = tok.export_tiktoken(str(tmp_path / "odd.tiktoken"))
    enc = tiktoken.Encoding(mergeable_ranks=load_tiktoken_bpe(str(tmp_path / "odd.tiktoken")), **args)
    assert enc.encode("abc") == [258]


def test_pickle(regex_tok):
    import pickle

    text = "hello<|endoftext|> world 123"
    ids = regex_tok.encode(text, "all")
    back = pickle.loads(pickle.dumps(regex_tok))
    assert back.encode(text, "all") == ids and back.decode(ids) == text
    assert back.merges == regex_tok.merges and back.pattern == regex_tok.pattern
