"""spbpe._proto.model_pb2 against the official sentencepiece_model_pb2 and real .model files.

Checks: byte-identical parse -> serialize on every model available (real, bundled
small ones, freshly trained ones), unknown and extension fields kept, the schema
equal to upstream field for field, and the .proto text in step with the module.
"""

import pickle
import re

import pytest
from google.protobuf.internal import api_implementation

from spbpe._proto import model_pb2
from spbpe.errors import ModelFormatError
from tests.helpers.models import ROOT, mistral_models, real_model_paths, shared_path

spm = pytest.importorskip("sentencepiece")
from sentencepiece import sentencepiece_model_pb2 as official_pb2  # noqa: E402  test oracle only


def all_real_models():
    """Every real model on this machine, including the .v7m1 copy mistral-common ships."""
    out = dict(real_model_paths())
    for path in mistral_models().values():
        for sib in path.parent.glob("*.model*"):
            out.setdefault(sib.name, sib)
    notes = shared_path("notes", "models")
    if notes:
        for p in sorted(notes.glob("*.model")):
            out["notes/" + p.name] = p
    return out


REAL = all_real_models()


def test_at_least_the_mistral_models_are_found():
    assert len([n for n in REAL if "model.v" in n]) >= 5


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_model_round_trips_byte_identical(name):
    data = REAL[name].read_bytes()
    ours = model_pb2.ModelProto.FromString(data)
    assert ours.SerializeToString() == data
    theirs = official_pb2.ModelProto.FromString(data)
    assert len(ours.pieces) == len(theirs.pieces) > 0
    for a, b in zip(ours.pieces, theirs.pieces):
        assert (a.piece, a.score, a.type) == (b.piece, b.score, b.type)
    assert ours.trainer_spec.SerializeToString() == theirs.trainer_spec.SerializeToString()
    sp = spm.SentencePieceProcessor(model_proto=data)
    assert sp.piece_size() == len(ours.pieces)


def test_trained_models_round_trip(trained_models):
    assert len(trained_models) == 7
    for name, path in trained_models.items():
        data = path.read_bytes()
        assert model_pb2.ModelProto.FromString(data).SerializeToString() == data, name


def _varint(n):
    out = bytearray()
    n &= (1 << 64) - 1
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(num, wire, payload):
    tag = _varint(num << 3 | wire)
    if wire == 2:
        return tag + _varint(len(payload)) + payload
    return tag + payload


def _base_model():
    return next(iter(mistral_models().values())).read_bytes()


def test_unknown_top_level_and_extension_fields_round_trip():
    data = (
        _base_model()
        + _field(100, 0, _varint(12345))
        + _field(200, 2, b"extension payload")
        + _field(536870911, 5, b"\x01\x02\x03\x04")
    )
    m = model_pb2.ModelProto.FromString(data)
    assert m.SerializeToString() == data
    # sentencepiece itself loads the file and keeps those fields too.
    sp = spm.SentencePieceProcessor(model_proto=data)
    assert sp.serialized_model_proto() == data


def test_unknown_fields_inside_sub_messages_round_trip():
    m = model_pb2.ModelProto.FromString(_base_model())
    ts = m.trainer_spec.SerializeToString() + _field(201, 0, _varint(7)) + _field(99, 2, b"x")
    piece = m.pieces[5].SerializeToString() + _field(250, 2, b"tag")
    m2 = model_pb2.ModelProto()
    m2.pieces.add().ParseFromString(piece)
    m2.trainer_spec.ParseFromString(ts)
    m2.normalizer_spec.CopyFrom(m.normalizer_spec)
    data = m2.SerializeToString()
    assert model_pb2.ModelProto.FromString(data).SerializeToString() == data
    assert piece in data and ts in data


def test_self_test_data_keeps_field_order():
    """Why field 4 is a message here: reserved (as in 0.2.3) would move it after field 5."""
    m = model_pb2.ModelProto.FromString(_base_model())
    m.self_test_data.samples.add(input="Hello", expected="▁Hello")
    m.denormalizer_spec.name = "identity"
    data = m.SerializeToString()
    assert model_pb2.ModelProto.FromString(data).SerializeToString() == data
    assert official_pb2.ModelProto.FromString(data).SerializeToString() != data
    assert spm.SentencePieceProcessor(model_proto=data).piece_size() == len(m.pieces)


def test_negative_int32_and_invalid_utf8_round_trip():
    m = model_pb2.ModelProto.FromString(_base_model())
    assert m.trainer_spec.pad_id == -1
    assert _field(43, 0, _varint(-1)) in m.trainer_spec.SerializeToString()  # 10-byte varint
    raw = _field(1, 2, b"\xff\xfe") + _field(2, 5, b"\x00\x00\x80\x3f")
    if api_implementation.Type() == "python":  # this runtime checks UTF-8 in proto2 strings
        from spbpe._proto.model_check import parse_model

        with pytest.raises(ModelFormatError, match="not UTF-8"):
            parse_model(_base_model() + _field(1, 2, raw))
        return
    p = model_pb2.ModelProto.SentencePiece.FromString(raw)
    assert p.piece == b"\xff\xfe" and p.score == 1.0
    assert p.SerializeToString() == raw


def test_defaults_match_upstream():
    ts, ns, p = model_pb2.TrainerSpec(), model_pb2.NormalizerSpec(), model_pb2.ModelProto.SentencePiece()
    assert ts.model_type == model_pb2.TrainerSpec.UNIGRAM
    assert (ts.vocab_size, ts.unk_id, ts.bos_id, ts.eos_id, ts.pad_id) == (8000, 0, 1, 2, -1)
    assert (ts.unk_piece, ts.bos_piece, ts.eos_piece, ts.pad_piece) == ("<unk>", "<s>", "</s>", "<pad>")
    assert ts.unk_surface == " \u2047 "
    assert ts.auto_character_coverage is False
    assert ns.add_dummy_prefix and ns.remove_extra_whitespaces and ns.escape_whitespaces
    assert p.type == model_pb2.ModelProto.SentencePiece.NORMAL
    assert dict(model_pb2.ModelProto.SentencePiece.Type.items()) == {
        "NORMAL": 1,
        "UNKNOWN": 2,
        "CONTROL": 3,
        "USER_DEFINED": 4,
        "UNUSED": 5,
        "BYTE": 6,
    }


def _repeated(f):
    return f.is_repeated if hasattr(f, "is_repeated") else f.label == f.LABEL_REPEATED


def _fields(desc):
    return {
        f.number: (
            f.name,
            f.type,
            _repeated(f),
            f.has_default_value and f.default_value,
            f.enum_type and sorted(v.number for v in f.enum_type.values),
        )
        for f in desc.fields
    }


@pytest.mark.parametrize(
    "path", [("TrainerSpec",), ("NormalizerSpec",), ("ModelProto",), ("ModelProto", "SentencePiece")]
)
def test_schema_matches_official(path):
    ours, theirs = model_pb2, official_pb2
    for part in path:
        ours, theirs = getattr(ours, part), getattr(theirs, part)
    a, b = _fields(ours.DESCRIPTOR), _fields(theirs.DESCRIPTOR)
    if path == ("ModelProto",):
        assert a.pop(4)[0] == "self_test_data"  # reserved 4 upstream, see test above
    assert a == b
    ranges = lambda d: [tuple(r) for r in d.extension_ranges]  # noqa: E731
    assert ranges(ours.DESCRIPTOR) == ranges(theirs.DESCRIPTOR) == [(200, 536870912)]


def test_coexists_with_official_module_and_pickles():
    assert model_pb2.DESCRIPTOR.package == "spbpe"
    assert model_pb2.ModelProto.__module__ == "spbpe._proto.model_pb2"
    m = model_pb2.ModelProto.FromString(_base_model())
    assert pickle.loads(pickle.dumps(m)) == m


_DECL = re.compile(r"^\s*(optional|repeated)\s+(\w+)\s+(\w+)\s*=\s*(\d+)", re.M)


def test_proto_file_in_step_with_generated_module():
    """A schema edit without scripts/regen_proto.py shows up here."""
    text = (ROOT / "spbpe" / "_proto" / "sentencepiece_model.proto").read_text(encoding="utf-8")
    declared = sorted((name, int(num)) for _, _, name, num in _DECL.findall(text))
    generated = sorted(
        (f.name, f.number)
        for msg in (
            model_pb2.TrainerSpec,
            model_pb2.NormalizerSpec,
            model_pb2.SelfTestData,
            model_pb2.SelfTestData.Sample,
            model_pb2.ModelProto,
            model_pb2.ModelProto.SentencePiece,
        )
        for f in msg.DESCRIPTOR.fields
    )
    assert declared == generated
    assert "Protobuf Python Version: 5.26.1" in (ROOT / "spbpe" / "_proto" / "model_pb2.py").read_text()
