"""convert_to_flatbuffer against the sentencepiece 0.2.3 wheel: the same
bytes for unigram and BPE models (real ones when ../shared is there, and
models trained here with sentencepiece over the options that reach the
FlatBuffers fields), the same options and the same errors.
"""

import pytest

spm = pytest.importorskip("sentencepiece")
if not hasattr(spm, "convert_to_flatbuffer"):
    pytest.skip("this sentencepiece has no convert_to_flatbuffer", allow_module_level=True)
from sentencepiece import sentencepiece_model_pb2 as pb  # noqa: E402

import spbpe  # noqa: E402
from tests.helpers.models import BUNDLED_TEXT, mistral_models, shared_path  # noqa: E402

TRAINED = {
    "bpe_symbols": dict(
        model_type="bpe",
        user_defined_symbols=["<sep>", "the", "▁and"],
        control_symbols=["<c>"],
        pad_id=3,
        unk_id=1,
        bos_id=0,
        eos_id=2,
    ),
    "bpe_flags": dict(model_type="bpe", add_dummy_prefix=False, remove_extra_whitespaces=False, byte_fallback=True),
    "unigram_suffix_identity": dict(
        model_type="unigram", treat_whitespace_as_suffix=True, normalization_rule_name="identity"
    ),
    "unigram_no_bos_eos": dict(model_type="unigram", bos_id=-1, eos_id=-1, unk_surface="??", split_digits=True),
}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    d = tmp_path_factory.mktemp("fb")
    text = d / "text.txt"
    text.write_text("".join(BUNDLED_TEXT.read_text(encoding="utf-8").splitlines(True)[:1200]), encoding="utf-8")
    out = {}
    for name, kw in TRAINED.items():
        spm.SentencePieceTrainer.train(input=str(text), model_prefix=str(d / name), vocab_size=400, minloglevel=2, **kw)
        out[name] = (d / (name + ".model")).read_bytes()
    return out


def _same(data, **kw):
    assert spbpe.convert_to_flatbuffer(serialized_model_proto=data, **kw) == spm.convert_to_flatbuffer(
        serialized_model_proto=data, **kw
    )


@pytest.mark.parametrize("name", sorted(TRAINED))
@pytest.mark.parametrize("skip", [False, True])
def test_trained_models(trained, name, skip):
    _same(trained[name], skip_char_bigrams=skip)


@pytest.mark.parametrize(
    "path",
    [
        ("sentencepiece_tests", "botchan_en_unigram_1000.model"),
        ("sentencepiece_tests", "botchan_en_bpe_1000.model"),
        ("sentencepiece_tests", "kyoto_ja_unigram_8000.model"),
        ("models", "llama2.model"),
    ],
    ids=lambda p: p[-1],
)
def test_real_models(path):
    model = shared_path(*path)
    if model is None:
        pytest.skip(f"../shared/{'/'.join(path)} is absent")
    skip = "unigram" in path[-1]  # BPE ignores skip_char_bigrams; the trained models cover both ways
    assert spbpe.convert_to_flatbuffer(model_file=model, skip_char_bigrams=skip) == spm.convert_to_flatbuffer(
        model_file=str(model), skip_char_bigrams=skip
    )


def test_mistral_model():
    models = mistral_models()
    if not models:
        pytest.skip("mistral-common is not installed")
    _same(open(sorted(models.values())[0], "rb").read())


def test_variants_and_errors(trained, tmp_path):
    data = trained["unigram_no_bos_eos"]
    m = pb.ModelProto()
    m.ParseFromString(data)
    for model_type in (pb.TrainerSpec.WORD, pb.TrainerSpec.CHAR):
        m.trainer_spec.model_type = model_type
        _same(m.SerializeToString(), allow_unsupported_model_type=True)
        with pytest.raises(ValueError, match="Unsupported model type"):
            spbpe.convert_to_flatbuffer(model_proto=m)
    for clear in ("trainer_spec", "normalizer_spec"):
        m = pb.ModelProto()
        m.ParseFromString(data)
        m.ClearField(clear)
        _same(m.SerializeToString())
    m = pb.ModelProto()
    m.ParseFromString(data)
    m.trainer_spec.byte_fallback = True
    m.pieces[10].piece = "\0"
    for skip in (False, True):
        _same(m.SerializeToString(), treat_null_byte_as_unused=True, skip_char_bigrams=skip)
    m.pieces[10].piece = "a\0b"
    with pytest.raises(ValueError, match="contains null byte"):
        spbpe.convert_to_flatbuffer(model_proto=m, treat_null_byte_as_unused=True)
    m.pieces[10].piece = m.pieces[11].piece
    with pytest.raises(ValueError, match="Duplicate key"):
        spbpe.convert_to_flatbuffer(model_proto=m)
    for bad in (b"corrupted_proto", b""):
        with pytest.raises(ValueError):
            spbpe.convert_to_flatbuffer(serialized_model_proto=bad)
    with pytest.raises(RuntimeError, match="NOT_FOUND"):
        spbpe.convert_to_flatbuffer(model_file=tmp_path / "missing.model")
    out = tmp_path / "out.spm.fb"
    assert spbpe.ConvertToFlatbuffer(model_proto=data, output_file=out) is None
    assert out.read_bytes() == spm.convert_to_flatbuffer(model_proto=data)
