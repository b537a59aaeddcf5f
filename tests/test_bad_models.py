"""Bad model files give a clear spbpe error (a ValueError), never a crash,
and sentencepiece refuses the same files."""

import random

import pytest

import spbpe
from spbpe._proto import model_pb2
from tests.helpers.models import BUNDLED_TEXT, mistral_models

spm = pytest.importorskip("sentencepiece")

V1 = mistral_models()["tokenizer.model.v1"]


def _refused_by_both(data, match=None):
    with pytest.raises(RuntimeError):
        spm.SentencePieceProcessor(model_proto=data)
    with pytest.raises(spbpe.ModelFormatError, match=match) as e:
        spbpe.SentencePieceProcessor(model_proto=data)
    assert isinstance(e.value, ValueError)
    assert str(e.value)
    return e.value


def _edited(mutate):
    proto = model_pb2.ModelProto()
    proto.ParseFromString(V1.read_bytes())
    mutate(proto)
    return proto.SerializeToString()


def test_truncated_files():
    data = V1.read_bytes()
    for cut in (1, 2, 7, 100, 1001, len(data) // 2, len(data) - 1):
        _refused_by_both(data[:cut])


def test_random_and_foreign_bytes():
    rng = random.Random(5)
    for n in (1, 3, 16, 1000):
        data = bytes(rng.randrange(256) for _ in range(n))
        try:
            spbpe.SentencePieceProcessor(model_proto=data)
        except spbpe.ModelFormatError as e:
            assert str(e)
        else:
            pytest.fail(f"random bytes loaded: {data[:20]!r}")
    _refused_by_both(b'{"model": "not a protobuf"}')
    _refused_by_both(BUNDLED_TEXT.read_bytes()[:5000])


def test_empty_model():
    with pytest.raises(spbpe.ModelFormatError):
        spbpe.SentencePieceProcessor(model_proto=b"\x12\x02\x18\x02")  # BPE trainer_spec, no pieces


def test_piece_rules_match_sentencepiece():
    def dup(p):
        p.pieces[500].piece = p.pieces[501].piece

    def empty(p):
        p.pieces[600].piece = ""

    def byte_without_fallback(p):
        p.trainer_spec.byte_fallback = False

    def bad_byte_name(p):
        p.pieces[3].piece = "<0xzz>"

    def second_unk(p):
        p.pieces[700].type = model_pb2.ModelProto.SentencePiece.UNKNOWN

    def missing_byte(p):
        p.pieces[3].type = model_pb2.ModelProto.SentencePiece.NORMAL
        p.pieces[3].piece = "brand-new"

    def broken_charsmap(p):
        p.normalizer_spec.precompiled_charsmap = b"\x00\x10\x00\x00abc"

    cases = [
        (dup, "already defined"),
        (empty, "must not be empty"),
        (byte_without_fallback, "byte_fallback"),
        (bad_byte_name, "invalid"),
        (second_unk, "unk is already defined"),
        (missing_byte, "256 byte pieces"),
        (broken_charsmap, "Trie data size"),
    ]
    for mutate, message in cases:
        _refused_by_both(_edited(mutate), match=message)


def test_unk_required_without_byte_fallback(trained_models):
    proto = model_pb2.ModelProto()
    proto.ParseFromString(trained_models["nobf_identity"].read_bytes())
    proto.pieces[0].type = model_pb2.ModelProto.SentencePiece.NORMAL
    _refused_by_both(proto.SerializeToString(), match="unk is not defined")


def test_unigram_model_loads(tmp_path):
    """Unigram models load since issue 15 (parity: tests/test_unigram_parity.py)."""
    prefix = tmp_path / "uni"
    spm.SentencePieceTrainer.train(
        input=str(BUNDLED_TEXT), model_prefix=str(prefix), vocab_size=500, model_type="unigram", minloglevel=2
    )
    sp = spbpe.SentencePieceProcessor(model_file=str(prefix) + ".model")
    ref = spm.SentencePieceProcessor(model_file=str(prefix) + ".model")
    assert sp.encode("Hello world") == ref.encode("Hello world")


def test_not_bytes():
    with pytest.raises(TypeError):
        spbpe.SentencePieceProcessor(model_proto=12345)


def test_nul_in_piece_and_invalid_charsmap_like_sentencepiece():
    """sentencepiece 0.2.3 refuses a piece containing NUL and a charsmap whose
    double array fails darts-clone's validate (children outside the array,
    values outside the pool); so does spbpe, with the same messages."""

    def nul(p):
        p.pieces[100].piece = "a\x00b"

    _refused_by_both(_edited(nul), match="null character")

    blob = bytearray((BUNDLED_TEXT.parent / "nmt_nfkc.bin").read_bytes())

    def with_charsmap(data):
        def edit(p):
            p.normalizer_spec.precompiled_charsmap = bytes(data)

        return edit

    _edited(with_charsmap(blob))  # the unmodified charsmap is fine
    bad_child = bytearray(blob)
    bad_child[4 + 4 * 5 : 8 + 4 * 5] = (0x3FFFFF << 10 | 7).to_bytes(4, "little")  # a child far outside
    bad_value = bytearray(blob)
    trie = int.from_bytes(blob[:4], "little")
    bad_value[4 + trie - 4 : 4 + trie] = (0x80000000 | 0x7FFFFFFF).to_bytes(4, "little")  # a value past the pool
    for data in (bad_child, bad_value):
        _refused_by_both(_edited(with_charsmap(data)), match="precompiled_charsmap is invalid")
