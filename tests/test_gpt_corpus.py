"""Corpus-wide parity of spbpe.gpt.Encoding with tiktoken.Encoding built
from the same rank file, pattern and specials, on the first 200 KB of every
file in ../shared/corpora: the whole text and its decoded bytes, every line
(and on the reference path), every line with a special token appended
(allowed) and those lines joined (tests/helpers/gpt_encodings.py,
check_corpus_text).  Skips without ../shared; the counts print with
``pytest -s``.  scripts/gpt_parity.py runs the same checks on whole files
(SPBPE_GPT_CORPUS=full does it here too)."""

import os

import pytest

from tests.helpers import gpt_encodings as G

tiktoken = pytest.importorskip("tiktoken")

FILES = G.corpus_files()
NAMES = G.available()
if not FILES or not NAMES:
    pytest.skip("needs ../shared/corpora and a rank file", allow_module_level=True)
LIMIT = None if os.environ.get("SPBPE_GPT_CORPUS") == "full" else 200_000  # bytes of each file


@pytest.mark.slow  # ~10 s per encoding: 35 files x 200 KB, through tiktoken too
@pytest.mark.parametrize("name", NAMES)
def test_every_corpus_file(name):
    ours, ref = G.pair(name)
    specials = sorted(ours.special_tokens_set)
    totals = dict(files=0, lines=0, special_lines=0, ids=0)
    for path in FILES:
        where = str(path.relative_to(path.parents[1]))
        try:
            counts = G.check_corpus_text(ours, ref, G.corpus_text(path, LIMIT), specials)
        except AssertionError as e:
            raise AssertionError(f"{name} {where}: {e}") from None
        for k, v in counts.items():
            totals[k] += v
    assert totals["files"] == len(FILES)
    print(f"\n{name}: identical on {totals}")
