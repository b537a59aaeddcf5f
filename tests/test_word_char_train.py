"""model_type=word and model_type=char training against sentencepiece 0.2.3.

Each case trains with the official sentencepiece and with spbpe on the same
input and options (under the same relative model_prefix) and requires the
same .model and .vocab bytes: pieces, scores (log frequencies in float32),
types, order, and the trainer_spec sentencepiece writes back (vocab_size
shrinks for char models, with hard_vocab_limit=false and use_all_vocab).
"""

import pytest

spm = pytest.importorskip("sentencepiece")
from sentencepiece import sentencepiece_model_pb2 as pb  # noqa: E402

from spbpe.trainer import SentencePieceTrainer, TrainerError  # noqa: E402
from tests.helpers.models import BUNDLED_TEXT, shared_path  # noqa: E402
from tests.helpers.parity import train_each  # noqa: E402

TINY = ["hello . world", "hello . test", "a.b c  zz", "zz", "日本語 の テキスト。"]

CASES = {
    "plain": dict(vocab_size=1500),
    "user_symbols": dict(vocab_size=1200, user_defined_symbols=["the", "of", "▁and", "."]),
    "control_and_ids": dict(vocab_size=900, control_symbols=["<c>"], unk_id=2, bos_id=0, eos_id=-1, pad_id=1),
    "coverage_byte_fallback": dict(vocab_size=1000, character_coverage=0.98, byte_fallback=True),
    "use_all_vocab": dict(vocab_size=100, use_all_vocab=True),
    "soft_limit": dict(vocab_size=40000, hard_vocab_limit=False),
    "ws_suffix_no_prefix": dict(vocab_size=800, treat_whitespace_as_suffix=True, add_dummy_prefix=False),
    "nfkc_cf_required": dict(vocab_size=600, normalization_rule_name="nmt_nfkc_cf", required_chars="XYZ☃"),
}


def train_both(tmp_path, inputs, **kw):
    """Both libraries' (.model, .vocab) bytes, or the error each raised."""
    out = train_each(tmp_path, input=[str(p) for p in inputs], **kw)
    return tuple(
        r if isinstance(r, Exception) else ((r / "m.model").read_bytes(), (r / "m.vocab").read_bytes())
        for r in (out["spm"], out["spbpe"])
    )


def assert_same(ref, ours):
    assert not isinstance(ref, Exception), ref
    assert not isinstance(ours, Exception), ours
    a, b = pb.ModelProto(), pb.ModelProto()
    a.ParseFromString(ref[0])
    b.ParseFromString(ours[0])
    assert [(p.piece, p.score, p.type) for p in b.pieces] == [(p.piece, p.score, p.type) for p in a.pieces]
    assert ours[0] == ref[0]
    assert ours[1] == ref[1]


@pytest.mark.parametrize("model_type", ["word", "char"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_botchan_parity(tmp_path, model_type, name):
    assert_same(*train_both(tmp_path, [BUNDLED_TEXT], model_type=model_type, **CASES[name]))


@pytest.mark.parametrize("model_type", ["word", "char"])
@pytest.mark.parametrize(
    "kw",
    [
        dict(user_defined_symbols=["."], normalization_rule_name="identity", bos_id=-1, eos_id=-1),
        dict(user_defined_symbols=[".", "zz"], treat_whitespace_as_suffix=True),
        dict(user_defined_symbols=["▁x", "。"], remove_extra_whitespaces=False, normalization_rule_name="identity"),
    ],
)
def test_tiny_user_symbol_parity(tmp_path, model_type, kw):
    """A word model adds "▁" + each user symbol (not already starting with
    "▁") as a user-defined piece after it; words touching a cut-out symbol
    count in the total but never become pieces."""
    text = tmp_path / "in.txt"
    text.write_text("".join(line + "\n" for line in TINY), encoding="utf-8")
    assert_same(*train_both(tmp_path, [text], model_type=model_type, vocab_size=40, hard_vocab_limit=False, **kw))


def test_suite_word_model_user_defined_symbol(tmp_path):
    """sentencepiece's own test_word_model_user_defined_symbol."""
    text = tmp_path / "input.txt"
    text.write_text("hello . world\nhello . test\n", encoding="utf-8")
    prefix = str(tmp_path / "word_model")
    SentencePieceTrainer.train(
        input=str(text),
        model_prefix=prefix,
        model_type="word",
        vocab_size=8,
        hard_vocab_limit=False,
        normalization_rule_name="identity",
        user_defined_symbols=["."],
        bos_id=-1,
        eos_id=-1,
    )
    sp = spm.SentencePieceProcessor(model_file=prefix + ".model")
    assert sp.encode("hello . world", out_type=str) == ["▁hello", "▁.", "▁world"]


def test_multilingual_word_parity(tmp_path):
    ja = shared_path("corpora", "multilingual", "ja_wagahaiwa_nekodearu.txt")
    if ja is None:
        pytest.skip("../shared/corpora is absent")
    assert_same(*train_both(tmp_path, [ja, BUNDLED_TEXT], model_type="word", vocab_size=3000))


def test_word_vocab_too_high_and_refusals(tmp_path):
    ref, ours = train_both(tmp_path, [BUNDLED_TEXT], model_type="word", vocab_size=900000)
    assert isinstance(ref, RuntimeError) and "Vocabulary size too high" in str(ref)
    assert isinstance(ours, TrainerError) and "Vocabulary size too high" in str(ours)
    for kw in (dict(pretokenization_delimiter="|"), dict(pretokenizer=str.split)):
        with pytest.raises(RuntimeError, match="only supported in UNIGRAM or BPE"):
            SentencePieceTrainer.train(
                input=str(BUNDLED_TEXT), model_prefix=str(tmp_path / "x"), model_type="char", vocab_size=100, **kw
            )
