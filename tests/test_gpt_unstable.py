"""``Encoding.encode_with_unstable`` against tiktoken's, built from the same rank file, pattern and specials.

Texts: the hand-written hard cases and prefixes of corpus lines (cut at
several places, so the unstable tail falls inside words, numbers, spaces,
punctuation and multi-byte characters).  Completions are compared as sets:
tiktoken builds them from a hash set.
"""

import pytest

import spbpe.gpt
from tests.helpers.gpt_encodings import available, rank_file
from tests.helpers.hard_cases import HARD_CASES
from tests.helpers.models import corpus_lines

tiktoken = pytest.importorskip("tiktoken")


def _pair(name):
    if name not in available():
        pytest.skip(f"no {name} rank file here")
    ours = spbpe.gpt.get_encoding(name, ranks_file=str(rank_file(name)))
    ref = tiktoken.Encoding(
        name, pat_str=ours._pat_str, mergeable_ranks=ours._mergeable_ranks, special_tokens=ours._special_tokens
    )
    return ours, ref


def _run(enc, text, **kw):
    try:
        stable, completions = enc.encode_with_unstable(text, **kw)
    except ValueError as e:  # DisallowedSpecialError is a ValueError, as tiktoken's
        return ("ValueError", str(e))
    return stable, sorted(map(tuple, completions))


def _valid(text):
    return not any("\udc80" <= c <= "\udcff" for c in text)


EXTRA = [
    "hello fanta",
    "a\n\n",
    "x  ",
    "\n \n",
    "\n\n\t ",
    "foo <|endoftext|>",
    "<|endoftext|> bar",
    "12345",
    " !",
    "  !",
    "naïve é",
    "日本語",
    "I'",
    "don't",
    "wait\u3000",
    "tab\t\u00a0",
]


def _hard():
    return [x for x in HARD_CASES if isinstance(x, str) and len(x) < 400 and _valid(x)] + EXTRA


def _prefixes(per_file=1):
    out = []
    for _, line in corpus_lines(per_file):
        if not line or not _valid(line) or len(line) > 2000:
            continue
        for cut in {1, len(line) // 3, len(line) // 2, (2 * len(line)) // 3, len(line)}:
            out.append(line[: max(cut, 1)])
    return out


@pytest.mark.slow
@pytest.mark.parametrize("name", ["cl100k_base", "r50k_base", "o200k_base"])
def test_hard_cases_match_tiktoken(name):
    ours, ref = _pair(name)
    for kw in ({}, {"allowed_special": "all"}, {"disallowed_special": ()}):
        # the special-token options only change texts that hold a special token's text
        texts = _hard() if not kw else [t for t in _hard() if any(s in t for s in ours.special_tokens_set)]
        if name == "o200k_base":  # a whitespace tail costs seconds here: a few of them, after cl100k's all
            texts = [t for t in texts if not t[-1:].isspace()] + [t for t in texts if t[-1:].isspace()][:4]
        differ = [t for t in texts if _run(ours, t, **kw) != _run(ref, t, **kw)]
        assert differ == [], kw


@pytest.mark.slow
def test_corpus_line_prefixes_match_tiktoken():
    ours, ref = _pair("cl100k_base")
    texts = _prefixes()
    assert len(texts) > 10
    differ = [t for t in texts if _run(ours, t, allowed_special="all") != _run(ref, t, allowed_special="all")]
    assert differ == []


def test_the_contract_holds():
    ours, _ = _pair("cl100k_base")
    text = "Tokenizers split text into pieces, and the last one is unsta"
    stable, completions = ours.encode_with_unstable(text)
    data = text.encode()
    assert data.startswith(ours.decode_bytes(stable)) and len(stable) < len(ours.encode(text))
    assert completions and all(ours.decode_bytes(stable + seq).startswith(data) for seq in completions)
    assert ours.encode_with_unstable("") == ([], [])
    eot = ours.eot_token
    assert ours.encode_with_unstable("a<|endoftext|>", allowed_special="all") == (ours.encode("a") + [eot], [])
    with pytest.raises(ValueError):
        ours.encode_with_unstable("a<|endoftext|>")
