"""pytest fixtures only; the helpers they use live in tests/helpers/."""

import pytest

from tests.helpers.models import BUNDLED_TEXT, TRAINED_CONFIGS


@pytest.fixture(scope="session")
def trained_models(tmp_path_factory):
    """name -> path of small models trained with the official sentencepiece."""
    spm = pytest.importorskip("sentencepiece")
    d = tmp_path_factory.mktemp("trained")
    out = {}
    for name, cfg in TRAINED_CONFIGS.items():
        prefix = d / name
        spm.SentencePieceTrainer.train(
            input=str(BUNDLED_TEXT), model_prefix=str(prefix), model_type="bpe", num_threads=2, minloglevel=2, **cfg
        )
        out[name] = prefix.with_suffix(".model")
    return out
