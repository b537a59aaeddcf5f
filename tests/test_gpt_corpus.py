"""Corpus-wide parity of spbpe.gpt.Encoding with tiktoken.Encoding built
from the same rank file, pattern and specials: every line and the whole
text of every file in ../shared/corpora, ordinary and with every special
token allowed, and the decoded bytes.  Skips without ../shared; the
counts print with ``pytest -s``.

By default files over 1 MB are left out (the run takes about 2 minutes);
SPBPE_GPT_CORPUS=full takes every file (about 13 minutes on 2 busy cores,
most of it in tiktoken)."""

import os

import pytest

from tests.helpers import gpt_encodings as G

tiktoken = pytest.importorskip("tiktoken")

FILES = G.corpus_files()
if os.environ.get("SPBPE_GPT_CORPUS") != "full":
    FILES = [p for p in FILES if p.stat().st_size <= 1_000_000]
NAMES = G.available()
if not FILES or not NAMES:
    pytest.skip("needs ../shared/corpora and a rank file", allow_module_level=True)

# Files this large get the specials variant on their first lines only.
_SPECIALS_LIMIT = 2_000_000


def _with_specials(lines, specials):
    return [line + specials[i % len(specials)] for i, line in enumerate(lines)]


@pytest.mark.slow  # 1-3 min (13 min with SPBPE_GPT_CORPUS=full): the corpora four ways, through tiktoken too
@pytest.mark.parametrize("name", NAMES)
def test_every_corpus_line_and_file(name):
    ours, ref = G.pair(name)
    specials = sorted(ours.special_tokens_set)
    counts = dict(files=0, lines=0, special_lines=0, special_files=0, decoded=0)
    for path in FILES:
        text = path.read_bytes().decode("utf-8", "replace")
        lines = text.split("\n")
        where = str(path.relative_to(path.parents[1]))
        got = ours.encode_ordinary(text)
        assert got == ref.encode_ordinary(text), where
        assert ours.decode_bytes(got) == ref.decode_bytes(got) == text.encode("utf-8", "surrogatepass"), where
        counts["files"] += 1
        counts["decoded"] += 1
        mine = ours.encode_ordinary_batch(lines, num_threads=2)
        theirs = ref.encode_ordinary_batch(lines, num_threads=2)
        bad = [i for i, (a, b) in enumerate(zip(mine, theirs)) if a != b]
        assert not bad, f"{where}: {len(bad)} lines differ, first {lines[bad[0]][:80]!r}"
        counts["lines"] += len(lines)
        if len(text) > _SPECIALS_LIMIT:
            lines = lines[:20_000]
        sp_lines = _with_specials(lines, specials)
        mine = ours.encode_batch(sp_lines, allowed_special="all", num_threads=2)
        theirs = ref.encode_batch(sp_lines, allowed_special="all", num_threads=2)
        assert mine == theirs, where
        counts["special_lines"] += len(sp_lines)
        joined = "\n".join(sp_lines)
        assert ours.encode(joined, allowed_special="all") == ref.encode(joined, allowed_special="all"), where
        counts["special_files"] += 1
    print(f"\n{name}: identical on {counts}")
