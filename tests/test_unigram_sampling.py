"""Unigram sampling, sample_encode_and_score and entropy, checked against
the exact distribution of the lattice (every path enumerated with
nbest_encode, whose scores match sentencepiece's), and the seeded generator.
Samples cannot be compared with sentencepiece's one by one (different
random generators), so the tests compare distributions (chi-square)."""

import math
from collections import Counter

import pytest

import spbpe
from tests.helpers.models import shared_path

spm = pytest.importorskip("sentencepiece")

TEXT = "hello world"
ALPHA = 0.3


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    p = shared_path("sentencepiece_tests", "botchan_en_unigram_1000.model")
    if p:
        return str(p)
    from tests.helpers.models import BUNDLED_TEXT

    prefix = tmp_path_factory.mktemp("uni") / "m"
    spm.SentencePieceTrainer.train(
        input=str(BUNDLED_TEXT), model_prefix=str(prefix), vocab_size=1000, num_threads=1, minloglevel=2
    )
    return str(prefix) + ".model"


def _all_paths(sp, text):
    """Every segmentation with its score (sum of piece scores), from n-best."""
    segs = sp.nbest_encode(text, nbest_size=512, out_type="proto").nbests
    assert len(segs) < 512, "text too long to enumerate"
    return {tuple(p.id for p in s.pieces): s.score for s in segs}


def _chi_square(counts: Counter, probs: dict, n: int) -> float:
    """Pearson's statistic, pooling paths expected fewer than 5 times."""
    stat, pooled_obs, pooled_exp = 0.0, 0, 0.0
    for path, p in probs.items():
        e = p * n
        if e < 5:
            pooled_obs += counts.get(path, 0)
            pooled_exp += e
        else:
            stat += (counts.get(path, 0) - e) ** 2 / e
    if pooled_exp > 0:
        stat += (pooled_obs - pooled_exp) ** 2 / pooled_exp
    assert set(counts) <= set(probs), "a sample that is not a segmentation"
    return stat


def test_nbest_scores_match_sentencepiece(model_path):
    ref = spm.SentencePieceProcessor(model_file=model_path)
    ours = spbpe.SentencePieceProcessor(model_file=model_path)
    want = ref.nbest_encode(TEXT, nbest_size=512, out_type="serialized_proto")
    assert ours.nbest_encode(TEXT, nbest_size=512, out_type="serialized_proto") == want
    with pytest.raises(RuntimeError):
        ours.nbest_encode(TEXT, nbest_size=513)


def test_lattice_sampling_follows_the_lattice_distribution(model_path):
    """nbest_size = -1: P(path) = exp(alpha * score) / Z over all paths."""
    sp = spbpe.SentencePieceProcessor(model_file=model_path)
    paths = _all_paths(sp, TEXT)
    weights = {k: math.exp(ALPHA * v) for k, v in paths.items()}
    z = sum(weights.values())
    probs = {k: w / z for k, w in weights.items()}
    spbpe.set_random_generator_seed(1234)
    n = 6000
    counts = Counter(tuple(sp.encode(TEXT, enable_sampling=True, alpha=ALPHA, nbest_size=-1)) for _ in range(n))
    df = sum(1 for p in probs.values() if p * n >= 5)
    assert _chi_square(counts, probs, n) < df + 6 * math.sqrt(2 * df) + 10


def test_nbest_sampling_follows_the_nbest_distribution(model_path):
    """nbest_size = k > 1: P(path) proportional to exp(alpha * score) over the k best."""
    sp = spbpe.SentencePieceProcessor(model_file=model_path)
    ref = spm.SentencePieceProcessor(model_file=model_path)
    k = 6
    best = ref.nbest_encode(TEXT, nbest_size=k, out_type="proto").nbests
    weights = {tuple(p.id for p in s.pieces): math.exp(0.5 * s.score) for s in best}
    z = sum(weights.values())
    probs = {key: w / z for key, w in weights.items()}
    spbpe.set_random_generator_seed(99)
    n = 4000
    counts = Counter(tuple(sp.encode(TEXT, enable_sampling=True, alpha=0.5, nbest_size=k)) for _ in range(n))
    # sentencepiece's own samples come from the same k paths
    theirs = {tuple(ref.encode(TEXT, enable_sampling=True, alpha=0.5, nbest_size=k)) for _ in range(300)}
    assert theirs <= set(probs)
    assert _chi_square(counts, probs, n) < k + 6 * math.sqrt(2 * k) + 10


def test_sample_encode_and_score(model_path):
    sp = spbpe.SentencePieceProcessor(model_file=model_path)
    paths = _all_paths(sp, TEXT)
    log_z = math.log(sum(math.exp(ALPHA * v) for v in paths.values()))
    spbpe.set_random_generator_seed(7)
    for ids, score in sp.sample_encode_and_score(TEXT, num_samples=50, alpha=ALPHA):
        assert score == pytest.approx(ALPHA * paths[tuple(ids)] - log_z, abs=1e-3)
    wor = sp.sample_encode_and_score(TEXT, num_samples=10, alpha=ALPHA, wor=True, include_best=True)
    assert wor[0] == (sp.encode(TEXT), 0.0)
    assert len({tuple(ids) for ids, _ in wor}) == len(wor) == 10  # without replacement
    assert all(s <= 0.0 for _, s in wor)
    with pytest.raises(RuntimeError):
        sp.sample_encode_and_score(TEXT, include_best=True)


def test_entropy_matches_enumeration(model_path):
    sp = spbpe.SentencePieceProcessor(model_file=model_path)
    paths = _all_paths(sp, TEXT)
    for alpha in (0.1, 0.5, 1.0):
        logits = [alpha * v for v in paths.values()]
        m = max(logits)
        z = sum(math.exp(x - m) for x in logits)
        probs = [math.exp(x - m) / z for x in logits]
        h = -sum(p * math.log(p) for p in probs if p > 0)
        assert sp.calculate_entropy(TEXT, alpha) == pytest.approx(h, rel=1e-3, abs=1e-3)
    assert sp.CalculateEntropy([TEXT, "a"], 0.5)[0] == sp.calculate_entropy(TEXT, 0.5)


def test_seed_makes_sampling_repeatable_and_leaves_python_random_alone(model_path):
    import random

    sp = spbpe.SentencePieceProcessor(model_file=model_path)
    random.seed(5)
    before = random.getstate()
    spbpe.set_random_generator_seed(42)
    a = [sp.encode(TEXT, enable_sampling=True, alpha=0.1, nbest_size=-1) for _ in range(20)]
    spbpe.SetRandomGeneratorSeed(42)
    b = [sp.encode(TEXT, enable_sampling=True, alpha=0.1, nbest_size=-1) for _ in range(20)]
    assert a == b
    assert random.getstate() == before
