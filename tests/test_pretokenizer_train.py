"""The pretokenizer= callable of SentencePieceTrainer.train, against
sentencepiece 0.2.3 on BPE.

sentencepiece 0.2.3 calls it once per loaded sentence with the normalized
text (U+2581 for spaces, U+001F where a meta piece was cut out) and joins
the chunks it returns with U+001F, which no piece may cross.  Each case
trains with both libraries and requires the same .model and .vocab bytes
and the same texts handed to the callable; the error cases require the
exception classes sentencepiece raises.
"""

import os
import re

import pytest

spm = pytest.importorskip("sentencepiece")

from spbpe.trainer import SentencePieceTrainer  # noqa: E402
from tests.helpers.models import BUNDLED_TEXT  # noqa: E402
from tests.helpers.parity import train_each  # noqa: E402

# sentencepiece's own test_complex_regex_pretokenizer pattern.
PAT = re.compile(r"'[a-zA-Z]+|[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[\u3040-\u30ff\u4e00-\u9faf]+|\d{1,3}|[^\w\s]|▁+|\s+")

CASES = {
    "regex": (PAT.findall, dict(vocab_size=1000)),
    "after_e": (lambda t: re.split("(?<=e)", t), dict(vocab_size=800, split_digits=True)),
    "user_symbols_no_ws_split": (
        PAT.findall,
        dict(vocab_size=900, user_defined_symbols=["the", "<x>"], split_by_whitespace=False),
    ),
    "inconsistent_allowed": (
        lambda t: [t.replace("e", "")],
        dict(vocab_size=700, allow_inconsistent_pretokenization=True),
    ),
}


def train_both(tmp_path, pretokenizer, **kw):
    """Train with both libraries; (files, texts the callable saw) of each."""
    seen = {}

    def recording(text):  # train_each runs each library in its own folder, named after it
        seen.setdefault(os.path.basename(os.getcwd()), []).append(text)
        return pretokenizer(text)

    opts = dict(input=str(BUNDLED_TEXT), model_type="bpe", input_sentence_size=1500, shuffle_input_sentence=False)
    dirs = train_each(tmp_path, pretokenizer=recording, **opts, **kw)
    out = []
    for who in ("spm", "spbpe"):
        d = dirs[who]
        assert not isinstance(d, Exception), d
        out.append(((d / "m.model").read_bytes(), (d / "m.vocab").read_bytes(), sorted(seen[who])))
    return out


@pytest.mark.parametrize("name", sorted(CASES))
def test_bpe_parity(tmp_path, name):
    fn, kw = CASES[name]
    (ref_model, ref_vocab, ref_seen), (model, vocab, seen) = train_both(tmp_path, fn, **kw)
    assert seen == ref_seen
    assert vocab == ref_vocab
    assert model == ref_model


def test_pieces_never_cross_chunks(tmp_path):
    prefix = str(tmp_path / "m")
    SentencePieceTrainer.train(
        input=str(BUNDLED_TEXT), model_prefix=prefix, model_type="bpe", vocab_size=1000, pretokenizer=PAT.findall
    )
    sp = spm.SentencePieceProcessor(model_file=prefix + ".model")
    for i in range(sp.get_piece_size()):
        if sp.is_control(i) or sp.is_unknown(i):
            continue
        assert len(PAT.findall(sp.id_to_piece(i))) == 1, sp.id_to_piece(i)


def _train(tmp_path, lib, **kw):
    lib.SentencePieceTrainer.train(
        input=str(BUNDLED_TEXT), model_prefix=str(tmp_path / "m"), model_type="bpe", vocab_size=500, minloglevel=2, **kw
    )


@pytest.mark.parametrize(
    "kw, exc, match",
    [
        (dict(pretokenizer=lambda t: ["hello"]), (RuntimeError, ValueError), "mismatch at sample 0"),
        (dict(pretokenizer=lambda t: 1 / 0), RuntimeError, "Pretokenizer failed: division by zero"),
        (
            dict(pretokenizer=lambda t: 1 / 0, allow_inconsistent_pretokenization=True),
            RuntimeError,
            "Pretokenizer failed",
        ),
        (dict(pretokenizer=str.split, pretokenization_delimiter="||"), (RuntimeError, ValueError), "simultaneously"),
        (
            dict(pretokenizer=lambda t: [t.replace("▁", " ")], allow_inconsistent_pretokenization=True),
            (RuntimeError, ValueError),
            "must not include spaces",
        ),
    ],
)
def test_errors_like_sentencepiece(tmp_path, kw, exc, match):
    with pytest.raises(exc):
        _train(tmp_path, spm, **kw)
    with pytest.raises(exc, match=match):
        _train(tmp_path, __import__("spbpe"), **kw)
