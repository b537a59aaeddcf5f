"""The unigram fast path (double-array trie, per-word cache, the character
trie for long words and models with no word cut, the normalizer's
plain-unit copy) gives the same ids as the plain twin (reference_path: the
normalizer's general step, one Viterbi over the whole text, pieces found by
hashing every prefix), on lines and on long documents where the per-word
cache must fall back for near-ties, and on models whose pieces allow no
word cut.  Parity with sentencepiece itself is in test_unigram_parity.py."""

import struct

import pytest

import spbpe
from tests.helpers.models import BUNDLED_TEXT, corpus_lines, shared_path

spm = pytest.importorskip("sentencepiece")

CONFIGS = {
    "prefix": dict(vocab_size=1000),  # cut before each U+2581
    "suffix": dict(vocab_size=900, treat_whitespace_as_suffix=True),  # cut after each U+2581
    # "a▁b" holds U+2581 inside: no cut, the whole-sentence Viterbi
    # (a user symbol holding a 4-byte character: the character trie's hashed ids)
    "nocut": dict(vocab_size=900, user_defined_symbols=["a\u2581b", "<sep>", "x\U0001f642y"], byte_fallback=True),
}


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("unigram_fast")
    out = {}
    for name, cfg in CONFIGS.items():
        prefix = tmp / name
        spm.SentencePieceTrainer.train(
            input=str(BUNDLED_TEXT), model_prefix=str(prefix), model_type="unigram", num_threads=1, minloglevel=2, **cfg
        )  # fmt: skip
        out[name] = str(prefix) + ".model"
    p = shared_path("sentencepiece_tests", "kyoto_ja_unigram_8000.model")
    if p:
        out["kyoto"] = str(p)
    return out


def _texts():
    lines = BUNDLED_TEXT.read_text(encoding="utf-8").splitlines()
    if shared_path("corpora"):
        lines += [line for _, line in corpus_lines(max_lines_per_file=300)]
    dashes = " ".join(["word " + "-" * 55, "Hotta....... a scrimmage", "x a\u2581b <sep> y"] * 400)
    docs = ["\n".join(lines[i : i + 300]) for i in range(0, len(lines), 300)]
    # kana before (and not before) combining marks, 4-byte characters, U+FFFD,
    odd = [
        "か\u3099き\u309aくけ",
        "x\U0001f642y x\U0001f642 \U0001f642y",
        "がか\u3099\u3099は",
        "か",
        "\ufffd\U0001f600か",
        # runs of unknown characters (merged into one unk) inside long words
        "Жa" * 3 + "Ж" * 40 + "the" + "ЖЖ" + " ЖЖЖ " + "ЖaЖ" * 30,
    ]
    return lines[:500] + docs + odd + ["\n".join(lines), dashes]


@pytest.mark.parametrize("name", list(CONFIGS) + ["kyoto"])
def test_fast_path_equals_reference_path(models, name):
    if name not in models:
        pytest.skip("kyoto model not in ../shared/sentencepiece_tests")
    model = spbpe.SentencePieceProcessor(model_file=models[name])._model
    same = 0
    texts = _texts()
    for text in texts:
        data = text.encode()
        assert model.encode_ids(data) == model.encode_ids(data, reference_path=True), text[:80]
        same += 1
    assert same == len(texts)


def test_fast_path_documents_match_sentencepiece(models):
    # Documents of a few hundred lines, as the benchmark encodes them.
    path = models["prefix"]
    ref = spm.SentencePieceProcessor(model_file=path)
    ours = spbpe.SentencePieceProcessor(model_file=path)
    lines = BUNDLED_TEXT.read_text(encoding="utf-8").splitlines()
    docs = ["\n".join(lines[i : i + 50]) for i in range(0, len(lines), 50)]
    assert ours.encode(docs) == ref.encode(docs)
    assert [ours.encode(d) for d in docs] == [ref.encode(d) for d in docs]


def test_fast_path_with_replacements_that_split_characters(models):
    # A charsmap replacement that is not whole characters ("ｶ" -> a lone
    # lead byte F0, which swallows the U+2581 after it as the Viterbi steps)
    # makes the normalized text other than UTF-8: the word cut must then
    # step by characters as the reference does.
    from spbpe._proto import model_pb2

    proto = model_pb2.ModelProto.FromString(open(models["prefix"], "rb").read())
    blob = bytearray(proto.normalizer_spec.precompiled_charsmap)
    (trie_size,) = struct.unpack("<I", blob[:4])
    at = blob.index("カ".encode() + b"\0", 4 + trie_size)
    blob[at : at + 4] = b"\xf0\0\0\0"
    proto.normalizer_spec.precompiled_charsmap = bytes(blob)
    model = spbpe.SentencePieceProcessor(model_proto=proto.SerializeToString())._model
    texts = ["xｶ y", "ｶ ｶ the ｶｶ a", "the cat ｶ sat " * 20, "ｶ" * 70 + " is " + "word " * 30]
    for text in texts:
        data = text.encode()
        assert model.encode_ids(data) == model.encode_ids(data, reference_path=True), text
