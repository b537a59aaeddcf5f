"""Unigram training (csrc/train/unigram_*.c) against sentencepiece 0.2.3.

Each case trains the same text with the installed sentencepiece wheel and
with spbpe, at test time, and compares the two models: the same pieces
with the same types and the same scores bit for bit, in the same order, the
same normalizer spec, and spbpe's model loads in sentencepiece and encodes
there as spbpe encodes it.  (Since the seeds follow the wheel's byte-level
suffix array, counts its candidates by string, orders their ties as it
does and takes its double ToLogProb, every case here is bit-identical, any
num_threads, Japanese, Korean, Hindi and split_digits included.)
"""

from __future__ import annotations

import io
import re

import pytest

from spbpe._proto import model_pb2
from spbpe.trainer import SentencePieceTrainer
from tests.helpers.models import BUNDLED_TEXT, shared_path

spm = pytest.importorskip("sentencepiece")


def _train_both(text_path, **kw):
    kw.setdefault("model_type", "unigram")
    ours, theirs = io.BytesIO(), io.BytesIO()
    spm.SentencePieceTrainer.train(input=str(text_path), model_writer=theirs, minloglevel=2, **kw)
    SentencePieceTrainer.train(input=str(text_path), model_writer=ours, **kw)
    return (model_pb2.ModelProto.FromString(ours.getvalue()), model_pb2.ModelProto.FromString(theirs.getvalue()))


def _assert_same_model(ours, theirs):
    """The same pieces, types and scores (bit for bit) in the same order."""
    assert len(ours.pieces) == len(theirs.pieces)
    a = [(p.piece, p.type, p.score) for p in ours.pieces]
    b = [(p.piece, p.type, p.score) for p in theirs.pieces]
    differ = [(i, x, y) for i, (x, y) in enumerate(zip(a, b)) if x != y]
    assert not differ, f"{len(differ)} of {len(a)} entries differ, first: {differ[:5]}"
    # meta pieces sit at the same ids
    for i, p in enumerate(theirs.pieces):
        if p.type != 1:
            assert ours.pieces[i].piece == p.piece and ours.pieces[i].type == p.type
    assert ours.normalizer_spec == theirs.normalizer_spec
    assert ours.trainer_spec.model_type == theirs.trainer_spec.model_type == 1


def _lines(path, n=300):
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n") for line, _ in zip(f, range(n))]


# test_complex_regex_pretokenizer's pattern (sentencepiece's own suite).
_PRETOKENIZE = re.compile(
    r"'[a-zA-Z]+|[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[\u3040-\u30ff\u4e00-\u9faf]+|\d{1,3}|[^\w\s]|\u2581+|\s+"
).findall

CASES = {
    "botchan-1thread": (BUNDLED_TEXT, dict(vocab_size=1000, num_threads=1)),
    "botchan-2threads": (BUNDLED_TEXT, dict(vocab_size=1000, num_threads=2)),
    "botchan-default-threads": (BUNDLED_TEXT, dict(vocab_size=1000)),
    "byte-fallback": (BUNDLED_TEXT, dict(vocab_size=800, num_threads=1, byte_fallback=True)),
    "user-defined": (
        BUNDLED_TEXT,
        dict(vocab_size=800, num_threads=1, user_defined_symbols=["Botchan", "<sep>"], control_symbols=["<cls>"]),
    ),
    # pretokenizer= on unigram: sentencepiece 0.2.3 applies it at load time,
    # chunks joined by U+001F, which no seed or piece crosses.
    "pretokenizer-regex": (BUNDLED_TEXT, dict(vocab_size=1000, num_threads=1, pretokenizer=_PRETOKENIZE)),
}


def test_repeated_sentences_match_sentencepiece():
    ours, theirs = _train_both(
        BUNDLED_TEXT,
        vocab_size=1000,
        hard_vocab_limit=False,
        pretokenizer=lambda text: ["hello", "wor", "ld"],
        allow_inconsistent_pretokenization=True,
    )
    _assert_same_model(ours, theirs)


@pytest.mark.parametrize("name", sorted(CASES))
def test_unigram_model_matches_sentencepiece(name):
    path, kw = CASES[name]
    ours, theirs = _train_both(path, **kw)
    _assert_same_model(ours, theirs)


def test_trained_model_loads_and_encodes_in_sentencepiece(tmp_path):
    prefix = str(tmp_path / "u")
    SentencePieceTrainer.train(input=str(BUNDLED_TEXT), model_prefix=prefix, vocab_size=600, num_threads=1)
    import spbpe

    theirs = spm.SentencePieceProcessor(model_file=prefix + ".model")
    ours = spbpe.SentencePieceProcessor(model_file=prefix + ".model")
    lines = _lines(BUNDLED_TEXT)
    assert theirs.encode(lines) == ours.encode(lines)
    assert theirs.encode(lines, out_type=str) == ours.encode(lines, out_type=str)


def test_model_type_defaults_to_unigram():
    ours, theirs = _train_both(BUNDLED_TEXT, vocab_size=500, num_threads=1)
    b = io.BytesIO()
    SentencePieceTrainer.train(input=str(BUNDLED_TEXT), model_writer=b, vocab_size=500, num_threads=1)
    default = model_pb2.ModelProto.FromString(b.getvalue())
    assert default.trainer_spec.model_type == 1
    assert [p.piece for p in default.pieces] == [p.piece for p in ours.pieces]


_JA = shared_path("corpora", "multilingual", "ja.txt")
_DIGITS = shared_path("corpora", "english", "taylorswift_wikipedia.txt")


@pytest.mark.skipif(_JA is None, reason="needs ../shared/corpora")
def test_japanese_matches_sentencepiece():
    ours, theirs = _train_both(_JA, vocab_size=2000, num_threads=1, character_coverage=0.98)
    _assert_same_model(ours, theirs)


@pytest.mark.skipif(_DIGITS is None, reason="needs ../shared/corpora")
def test_split_digits_matches_sentencepiece():
    ours, theirs = _train_both(_DIGITS, vocab_size=800, num_threads=1, split_digits=True)
    _assert_same_model(ours, theirs)


# ---------------------------------------------------------------- seed ties
# The wheel orders seeds of equal score longer-in-UTF-8-bytes first (see
# the next section for the whole order).  The
# order only moves the M-step's float sum, hence every score by an ulp:
# Korean (3-byte syllables beside 1-byte marks) and split_digits showed it.

_KO = shared_path("corpora", "multilingual", "ko.txt")


@pytest.mark.skipif(_KO is None, reason="needs ../shared/corpora")
@pytest.mark.parametrize("threads", [1, None])
def test_korean_matches_sentencepiece(threads):
    kw = dict(vocab_size=2000) if threads is None else dict(vocab_size=2000, num_threads=threads)
    ours, theirs = _train_both(_KO, **kw)
    _assert_same_model(ours, theirs)


@pytest.mark.skipif(_DIGITS is None, reason="needs ../shared/corpora")
def test_split_digits_first_round_matches_sentencepiece():
    # stops after one EM round: the second sub-iteration's sum was the first to differ
    ours, theirs = _train_both(_DIGITS, vocab_size=3100, num_threads=1, split_digits=True, hard_vocab_limit=False)
    _assert_same_model(ours, theirs)


# --- seeds: counted by string, ties ordered as the 0.2.3 wheel (uniseed) ------
#
# The wheel keeps its seed candidates by string: a suffix-tree node
# "T<boundary>" (T ends the text and other sentences, or ends sentences
# followed by different characters) counts for T and adds to the node T.
# Ties in score go by UTF-8 length descending, then bytes.  Each case below
# differed before one of the two.

_HI = shared_path("corpora", "multilingual", "hi.txt")


@pytest.mark.skipif(_HI is None, reason="needs ../shared/corpora")
@pytest.mark.parametrize("threads", [1, 16])
def test_hindi_matches_sentencepiece(threads):
    # "\u2581\u0964" ends 53 of the 74 sentences holding it, the last one too:
    # the wheel counts it 127 times, and the first E-step differed
    ours, theirs = _train_both(_HI, vocab_size=2000, num_threads=threads)
    _assert_same_model(ours, theirs)


def test_repeated_lines_match_sentencepiece(tmp_path):
    # ten lines repeated five times at the end: the suffixes of the last
    # one (which ends the text) are seeds counted with their repeats
    with open(BUNDLED_TEXT, encoding="utf-8") as f:
        lines = f.readlines()
    path = tmp_path / "repeated.txt"
    path.write_text("".join(lines[:300]) + "".join(lines[100:110]) * 5, "utf-8")
    ours, theirs = _train_both(path, vocab_size=400, hard_vocab_limit=False, num_threads=1)
    _assert_same_model(ours, theirs)


def test_no_dummy_prefix_matches_sentencepiece():
    # every sentence-final string ending two sentences is a seed; its ties
    # ordered by node index moved 320 of 1000 pieces
    ours, theirs = _train_both(BUNDLED_TEXT, vocab_size=1000, num_threads=1, add_dummy_prefix=False)
    _assert_same_model(ours, theirs)


def test_pretokenization_delimiter_matches_sentencepiece():
    # the wheel trains a delimiter as a pretokenizer splitting there (U+001F
    # in its place, for the seeds and EM alike)
    ours, theirs = _train_both(BUNDLED_TEXT, vocab_size=1000, num_threads=1, pretokenization_delimiter=",")
    _assert_same_model(ours, theirs)


def test_vocab_smaller_than_alphabet_refused_as_sentencepiece():
    # the wheel refuses it before seeding; spbpe trained on (for minutes)
    with pytest.raises(RuntimeError, match="Vocabulary size is smaller than required_chars"):
        spm.SentencePieceTrainer.train(input=str(BUNDLED_TEXT), model_writer=io.BytesIO(), vocab_size=50, minloglevel=2)
    with pytest.raises(RuntimeError, match="Vocabulary size is smaller than required_chars. 50 vs 72"):
        SentencePieceTrainer.train(input=str(BUNDLED_TEXT), model_writer=io.BytesIO(), vocab_size=50)


def test_tsv_input_matches_sentencepiece(tmp_path):
    # the wheel's seed array holds a tsv sentence as often as its frequency
    # says (the GitHub source put it in twice): the seeds' counts follow
    counts: dict = {}
    with open(BUNDLED_TEXT, encoding="utf-8") as f:
        for line in f:
            for w in line.split():
                counts[w] = counts.get(w, 0) + 1
    path = tmp_path / "words.tsv"
    path.write_text("".join(f"{w}\t{c}\n" for w, c in sorted(counts.items(), key=lambda x: -x[1])), "utf-8")
    ours, theirs = _train_both(path, vocab_size=1000, num_threads=1, input_format="tsv")
    _assert_same_model(ours, theirs)
