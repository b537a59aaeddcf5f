"""spbpe vs sentencepiece on small models trained here by sentencepiece,
covering flags the real models do not use (no byte fallback, user-defined
and control symbols, no dummy prefix, whitespace as suffix, nmt_nfkc)."""

import pytest

from tests.helpers.hard_cases import HARD_CASES, random_bytes, random_strings
from tests.helpers.models import TRAINED_CONFIGS, corpus_lines
from tests.helpers.parity import compare, describe

pytest.importorskip("sentencepiece")


@pytest.mark.parametrize("name", sorted(TRAINED_CONFIGS))
def test_trained_model_parity(trained_models, name):
    lines = [line for _, line in corpus_lines(max_lines_per_file=400)]
    inputs = HARD_CASES + random_strings(2000, seed=7) + random_bytes(300) + lines
    diffs = compare(trained_models[name], inputs)
    assert not diffs, f"{len(diffs)} differences\n" + describe(diffs)
