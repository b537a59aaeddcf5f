"""spbpe vs the official sentencepiece on real models (Llama 2, Mistral).

Every line of ../shared/corpora is checked when the workspace has it; the
hard cases and seeded random strings are checked everywhere.
"""

import pytest

from tests.helpers.hard_cases import HARD_CASES, random_bytes, random_strings
from tests.helpers.models import corpus_lines, real_model_paths
from tests.helpers.parity import compare, describe

pytest.importorskip("sentencepiece")

MODELS = real_model_paths()


def test_some_real_model_is_available():
    # mistral-common is part of the test extra, so this never skips.
    assert any(name.startswith(("tokenizer.model", "mistral")) for name in MODELS), MODELS


@pytest.mark.parametrize("name", sorted(MODELS))
def test_hard_and_random_cases(name):
    inputs = HARD_CASES + random_strings(3000) + random_bytes(500)
    diffs = compare(MODELS[name], inputs)
    assert not diffs, describe(diffs)


#: Llama 2 is checked on every corpus line; the other real models on every
#: STRIDE-th line (a spread over every file), which keeps the suite's time in
#: check; `spbpe verify --model M --input ../shared/corpora` is the full sweep.
STRIDE = 4


@pytest.mark.slow  # Llama 2: every corpus line, 30-60 s; the others 10-20 s each
@pytest.mark.parametrize("name", sorted(MODELS))
def test_corpus_lines(name):
    stride = 1 if name == "llama2.model" else STRIDE
    lines = [line for i, (_, line) in enumerate(corpus_lines()) if i % stride == 0]
    # pieces come from the same segmentation as ids; compared on a sample
    diffs = compare(MODELS[name], lines, check_normalize=False, pieces_stride=8)
    assert not diffs, f"{len(diffs)} of {len(lines)} lines differ\n" + describe(diffs)
