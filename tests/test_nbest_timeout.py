"""SetNBestTimeout / set_nbest_timeout: unigram n-best search that runs past
the timeout (milliseconds) stops and gives the Viterbi best alone, as
sentencepiece 0.2.3 does ("NBest search timed out after N ms. Falling back
to Viterbi best path."); 0 means no limit.

The model is trained here (spbpe's unigram trainer on the bundled text), so
nothing needs ../shared.  The long input is sentencepiece's own test input
('the' * 20000): its full 10-best search takes tens of milliseconds in both
libraries, far past the 1 ms timeout; a short input finishes before the
clock is first read (every 256 agenda pops), so it never times out.
"""

from __future__ import annotations

import pytest

import spbpe
from spbpe import settings
from spbpe.trainer import SentencePieceTrainer
from tests.helpers.models import BUNDLED_TEXT

LONG = "the" * 20000
SHORT = "the quick brown fox"


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    prefix = str(tmp_path_factory.mktemp("nbest_timeout") / "u")
    SentencePieceTrainer.train(input=str(BUNDLED_TEXT), model_prefix=prefix, vocab_size=1000, minloglevel=2)
    return prefix + ".model"


@pytest.fixture(autouse=True)
def no_timeout_after():
    yield
    spbpe.SetNBestTimeout(0)
    spm = _reference()
    if spm is not None:
        spm.SetNBestTimeout(0)


def _reference():
    try:
        import sentencepiece
    except ImportError:
        return None
    return sentencepiece


def test_timeout_gives_the_viterbi_best_alone(model_path, capfd):
    sp = spbpe.SentencePieceProcessor(model_file=model_path)
    assert len(sp.nbest_encode(LONG, nbest_size=10)) == 10
    spbpe.SetNBestTimeout(1)
    assert settings.current("nbest_timeout") == 1
    ids = sp.nbest_encode(LONG, nbest_size=10)
    assert ids == [sp.encode(LONG)]
    assert "NBest search timed out after 1 ms. Falling back to Viterbi best path." in capfd.readouterr().err
    # sampling from the n-best list falls back the same way: the Viterbi best
    assert sp.encode(LONG, enable_sampling=True, nbest_size=10, alpha=0.1) == sp.encode(LONG)
    # a search that ends before the first clock check is whole
    assert len(sp.nbest_encode(SHORT, nbest_size=10)) == 10
    spbpe.set_nbest_timeout(0)
    assert len(sp.nbest_encode(LONG, nbest_size=10)) == 10
    spbpe.set_nbest_timeout(-5)  # sentencepiece: <= 0 is no limit
    assert len(sp.nbest_encode(LONG, nbest_size=10)) == 10


def test_timeout_matches_sentencepiece(model_path):
    spm = pytest.importorskip("sentencepiece")
    ours = spbpe.SentencePieceProcessor(model_file=model_path)
    theirs = spm.SentencePieceProcessor(model_file=model_path)
    spm.SetMinLogLevel(2)
    try:
        full = ours.nbest_encode(LONG, nbest_size=10)
        assert len(full) == 10 and full == theirs.nbest_encode(LONG, nbest_size=10)
        spbpe.SetNBestTimeout(1)
        spm.SetNBestTimeout(1)
        a = ours.nbest_encode(LONG, nbest_size=10, return_type="proto")
        b = theirs.nbest_encode(LONG, nbest_size=10, return_type="proto")
        assert len(a.nbests) == len(b.nbests) == 1
        assert [p.id for p in a.nbests[0].pieces] == [p.id for p in b.nbests[0].pieces]
        assert a.nbests[0].score == b.nbests[0].score  # the Viterbi score, not n-best's own sum
    finally:
        spm.SetMinLogLevel(0)


def test_set_nbest_timeout_takes_an_int32_as_sentencepiece():
    spm = _reference()
    for bad in (1.5, "1", 1 << 40):
        with pytest.raises(TypeError):
            spbpe.SetNBestTimeout(bad)
        if spm is not None:
            with pytest.raises(TypeError):
                spm.SetNBestTimeout(bad)
