"""Training from word counts (spbpe.count_words / merge_counts /
train_from_counts / WordCounts tsv): counts of shards, merged in any order,
train the model the raw text trains, and the official sentencepiece trained
on the written tsv (--input_format=tsv) gives that model too."""

import pickle
from array import array

import pytest

import spbpe
from spbpe._proto import model_pb2
from tests.helpers.models import BUNDLED_TEXT

spm = pytest.importorskip("sentencepiece")

# A few hundred lines of the bundled text, with digits, meta pieces, a
# user symbol, runs of spaces and long lines mixed in.
_EXTRA = [
    "In 1905 there were 1234 cats and 56 dogs; 7 of 89 ran.",
    "<s> a control piece <cls> and a user piece <sep> in text </s>",
    "  spaces   before, between  and after   ",
    "Ünïcödé ÀÉÎ ﬁne ＦＵＬＬ ｗｉｄｔｈ ①②③ and CASE Folding",
    "a " * 80,
    "x" * 300,
]


def _lines():
    text = BUNDLED_TEXT.read_text(encoding="utf-8").split("\n")[:700]
    return [s for s in text] + _EXTRA * 3


OPTION_SETS = {
    "split_digits": dict(split_digits=True),
    "suffix": dict(treat_whitespace_as_suffix=True),
    "nfkc_cf": dict(normalization_rule_name="nmt_nfkc_cf"),
    "max_sentence_length": dict(max_sentence_length=64),
    "symbols": dict(user_defined_symbols=["<sep>"], control_symbols=["<cls>"], byte_fallback=True),
}


def _strip(path):
    """The model without what names the input (and the output prefix)."""
    m = model_pb2.ModelProto.FromString(path.read_bytes())
    for f in ("input", "input_format", "model_prefix"):
        m.trainer_spec.ClearField(f)
    return m.SerializeToString()


@pytest.mark.parametrize("name", sorted(OPTION_SETS))
def test_shards_train_the_raw_model(tmp_path, name):
    model_type = "bpe"
    lines = _lines()
    raw = tmp_path / "raw.txt"
    raw.write_text("\n".join(lines) + "\n", encoding="utf-8")
    opts = dict(vocab_size=500, model_type=model_type, minloglevel=2, num_threads=1, **OPTION_SETS[name])
    spbpe.SentencePieceTrainer.train(input=str(raw), model_prefix=str(tmp_path / "raw"), **opts)

    n = len(lines)
    shards = [lines[: n // 3], lines[n // 3 : 2 * n // 3], lines[2 * n // 3 :]]
    counts = [spbpe.count_words(s, **opts) for s in shards]
    left = spbpe.merge_counts(spbpe.merge_counts(counts[0], counts[1]), counts[2])
    right = spbpe.merge_counts(counts[2], spbpe.merge_counts(counts[1], counts[0]))
    assert left == right == spbpe.count_words(lines, **opts)
    assert pickle.dumps(left) == pickle.dumps(right)

    spbpe.train_from_counts(left, model_prefix=str(tmp_path / "a"), **opts)
    spbpe.train_from_counts(right, model_prefix=str(tmp_path / "b"), **opts)
    want = _strip(tmp_path / "raw.model")
    assert _strip(tmp_path / "a.model") == want
    assert _strip(tmp_path / "b.model") == want
    assert (tmp_path / "a.vocab").read_bytes() == (tmp_path / "raw.vocab").read_bytes()

    # The official trainer on the written count file trains what it trains
    # on the raw text, and that is our model.
    tsv = tmp_path / "counts.tsv"
    left.write_tsv(str(tsv))
    spm.SentencePieceTrainer.train(input=str(tsv), input_format="tsv", model_prefix=str(tmp_path / "spm"), **opts)
    spm.SentencePieceTrainer.train(input=str(raw), model_prefix=str(tmp_path / "spm_raw"), **opts)
    assert _strip(tmp_path / "spm.model") == _strip(tmp_path / "spm_raw.model")
    assert _strip(tmp_path / "spm.model") == want
    assert spbpe.WordCounts.read_tsv(str(tsv), **opts) == left


def test_counts_are_sums_and_pickle_compactly():
    a = spbpe.count_words(["hello world", "hello <s>x", b"bytes too"])
    assert a.to_dict() == {"\u2581hello": 2, "\u2581world": 1, "\u2581\x1fx": 1, "\u2581bytes": 1, "\u2581too": 1}
    b = spbpe.count_words(["hello again\nsame sentence"])  # one item is one sentence, '\n' or not
    c = spbpe.merge_counts(a, b)
    assert c["\u2581hello"] == 3 and c.total == a.total + b.total
    assert spbpe.merge_counts(a, b, a) == spbpe.merge_counts(spbpe.merge_counts(a, a), b)
    assert pickle.loads(pickle.dumps(c)) == c
    assert len(pickle.dumps(c)) < 400


def test_counting_options_are_kept_and_checked(tmp_path):
    a = spbpe.count_words(["Hello World"], normalization_rule_name="nmt_nfkc_cf", split_digits=True)
    assert a.options == {"normalization_rule_name": "nmt_nfkc_cf"}
    assert "\u2581hello" in a.to_dict()
    b = spbpe.count_words(["Hello World"])
    with pytest.raises(spbpe.TrainerError, match="different options"):
        spbpe.merge_counts(a, b)
    with pytest.raises(spbpe.TrainerError, match="normalization_rule_name"):
        spbpe.train_from_counts(
            a, model_prefix=str(tmp_path / "m"), model_type="bpe", normalization_rule_name="nmt_nfkc"
        )
    with pytest.raises(spbpe.TrainerError, match="input_sentence_size"):
        spbpe.count_words(["x"], input_sentence_size=1000)
    with pytest.raises(spbpe.TrainerError, match="input"):
        spbpe.train_from_counts(a, model_prefix=str(tmp_path / "m"), input="x.txt")
    with pytest.raises(spbpe.TrainerError, match="unknown"):
        spbpe.count_words(["x"], no_such_option=1)


def test_bad_words_are_refused(tmp_path):
    for word in (b"a b", b"\xff", "x\u2585".encode()):
        bad = spbpe.WordCounts(word, array("I", [len(word)]), array("q", [1]), {})
        with pytest.raises(spbpe.TrainerError):
            spbpe.train_from_counts(bad, model_prefix=str(tmp_path / "m"), vocab_size=50, model_type="bpe")
    zero = spbpe.WordCounts(b"ab", array("I", [2]), array("q", [0]), {})
    with pytest.raises(spbpe.TrainerError, match="count"):
        spbpe.train_from_counts(zero, model_prefix=str(tmp_path / "m"), vocab_size=50, model_type="bpe")


def test_tsv_refuses_what_it_cannot_write(tmp_path):
    counts = spbpe.count_words(["a\tb c"], normalization_rule_name="identity")
    with pytest.raises(ValueError, match="tsv"):
        counts.write_tsv(str(tmp_path / "x.tsv"))


def test_unigram_is_refused_because_counts_do_not_determine_it(tmp_path):
    """sentencepiece's unigram trainer reads whole sentences (seed pieces from
    a suffix array over them, in input order): the official trainer itself
    gives another model on the word-count tsv than on the text, so
    train_from_counts refuses unigram (and sentencepiece's default
    model_type, which is unigram) instead of training something else."""
    lines = _lines()
    raw = tmp_path / "raw.txt"
    raw.write_text("\n".join(lines) + "\n", encoding="utf-8")
    opts = dict(vocab_size=500, model_type="unigram", minloglevel=2, num_threads=1)
    counts = spbpe.count_words(lines, **opts)
    counts.write_tsv(str(tmp_path / "c.tsv"))
    spm.SentencePieceTrainer.train(input=str(raw), model_prefix=str(tmp_path / "raw"), **opts)
    spm.SentencePieceTrainer.train(
        input=str(tmp_path / "c.tsv"), input_format="tsv", model_prefix=str(tmp_path / "tsv"), **opts
    )
    assert _strip(tmp_path / "raw.model") != _strip(tmp_path / "tsv.model")
    for model_type in ({"model_type": "unigram"}, {}):
        with pytest.raises(spbpe.TrainerError, match="model_type=bpe only"):
            spbpe.train_from_counts(counts, model_prefix=str(tmp_path / "m"), vocab_size=500, **model_type)
