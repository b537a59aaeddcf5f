"""Output types of the unigram-only methods (n-best, sampling with scores)
against sentencepiece 0.2.3 where it offers them: proto and serialized
proto through the snake_case and CamelCase names; numpy ids as the lists."""

import pytest

import spbpe
from tests.helpers.models import BUNDLED_TEXT

spm = pytest.importorskip("sentencepiece")
np = pytest.importorskip("numpy")

TEXTS = ["Hello world", "I saw a girl with a telescope.", BUNDLED_TEXT.read_text(encoding="utf-8").splitlines()[5]]


@pytest.fixture(scope="module")
def path(tmp_path_factory):
    prefix = tmp_path_factory.mktemp("uni_out") / "m"
    spm.SentencePieceTrainer.train(
        input=str(BUNDLED_TEXT), model_prefix=str(prefix), model_type="unigram", vocab_size=800, minloglevel=2
    )  # fmt: skip
    return str(prefix) + ".model"


def test_nbest_proto_and_numpy_match_sentencepiece(path):
    ref = spm.SentencePieceProcessor(model_file=path)
    ours = spbpe.SentencePieceProcessor(model_file=path)
    for text in TEXTS:
        want = ref.nbest_encode(text, nbest_size=4, out_type="serialized_proto")
        assert ours.nbest_encode_as_serialized_proto(text, 4) == want
        assert ours.NBestEncodeAsSerializedProto(text, 4) == want
        assert ours.nbest_encode_as_proto(text, 4).SerializeToString() == want
        assert ours.NBestEncode(text, nbest_size=4, out_type="proto").SerializeToString() == want
        ids = ref.nbest_encode_as_ids(text, 4)
        assert ours.NBestEncodeAsIds(text, 4) == ids
        arrays = ours.nbest_encode_as_numpy(text, 4)
        assert [list(map(int, a)) for a in arrays] == ids
        assert all(isinstance(a, np.ndarray) for a in arrays)


def test_sample_encode_and_score_types(path):
    ours = spbpe.SentencePieceProcessor(model_file=path)
    ref = spm.SentencePieceProcessor(model_file=path)
    # The 0.2.3 wheel has no SampleEncodeAndScore: with include_best and wor
    # the first sample is its plain encode.
    got = ours.SampleEncodeAndScoreAsIds(TEXTS[1], num_samples=3, alpha=0.5, wor=True, include_best=True)
    assert got[0][0] == ref.encode(TEXTS[1])
    assert isinstance(ours.CalculateEntropy(TEXTS[0], 0.5), float)
