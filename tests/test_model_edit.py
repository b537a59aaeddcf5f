"""spbpe.model_edit / spbpe._proto.model_check: edits checked against the official sentencepiece.

Every edit is saved by spbpe and loaded by sentencepiece 0.2.3, which must encode as
the edit intends; every refusal is matched by sentencepiece refusing the same change.
"""

import random
import re

import pytest

from spbpe._proto import model_pb2
from spbpe.errors import ModelFormatError, SpbpeError
from spbpe.model_edit import ModelEditor, check_model, parse_model
from tests.helpers.models import BUNDLED_TEXT, mistral_models, real_model_paths

spm = pytest.importorskip("sentencepiece")
T = model_pb2.ModelProto.SentencePiece
MISTRAL = mistral_models()
REAL = real_model_paths()
# Edit tests run on Llama 2 when /work/shared is there, and always on Mistral v1 and v7.
EDIT_MODELS = [
    n for n in ("llama2.model", "tokenizer.model.v1", "mistral_instruct_tokenizer_241114.model.v7") if n in REAL
]


def sp_of(data):
    return spm.SentencePieceProcessor(model_proto=data)


def sp_error(data):
    """sentencepiece's load error for data, or None if it loads."""
    try:
        spm.SentencePieceProcessor().LoadFromSerializedProto(data)
    except Exception as e:  # RuntimeError / OSError depending on the path
        return str(e).strip().splitlines()[-1]
    return None


def mistral(version):
    name = {
        "v1": "tokenizer.model.v1",
        "v2": "mistral_instruct_tokenizer_240216.model.v2",
        "v3": "mistral_instruct_tokenizer_240323.model.v3",
        "v7": "mistral_instruct_tokenizer_241114.model.v7",
    }[version]
    return MISTRAL[name].read_bytes()


def test_edit_models_available():
    assert {"tokenizer.model.v1", "mistral_instruct_tokenizer_241114.model.v7"} <= set(EDIT_MODELS)


@pytest.mark.parametrize("name", sorted(REAL))
def test_unmodified_load_save_is_identical(name, tmp_path):
    data = REAL[name].read_bytes()
    ed = ModelEditor.load(REAL[name])
    assert ed.to_bytes() == data
    ed.save(tmp_path / "out.model")
    assert (tmp_path / "out.model").read_bytes() == data


def test_unmodified_trained_models_identical(trained_models):
    for name, path in trained_models.items():
        assert ModelEditor.load(path).to_bytes() == path.read_bytes(), name


def test_non_canonical_input_kept_until_edited():
    # The same scalar twice (last wins): re-serializing would drop the first copy.
    data = mistral("v1") + bytes([0x12, 0x02, 0x20, 0x05])  # trainer_spec{vocab_size: 5}
    ed = ModelEditor.from_bytes(data)
    assert ed.proto.trainer_spec.vocab_size == 5
    assert ed.to_bytes() == data
    ed.set_score(300, -1.5)
    out = ed.to_bytes()
    assert out != data and sp_of(out).get_score(300) == -1.5


@pytest.mark.parametrize("name", EDIT_MODELS)
def test_add_user_defined_piece_at_end(name, tmp_path):
    ed = ModelEditor.load(REAL[name])
    n = len(ed)
    assert ed.add_user_defined("<tool>") == n
    ed.save(tmp_path / "e.model")
    sp = spm.SentencePieceProcessor(model_file=str(tmp_path / "e.model"))
    assert sp.piece_size() == n + 1 and sp.piece_to_id("<tool>") == n
    assert not sp.is_control(n) and not sp.is_unused(n)  # 0.2.3 has no is_user_defined
    ids = sp.encode("a <tool> b")
    assert n in ids
    assert sp.decode(ids) == "a <tool> b"
    assert "<tool>" in ed.proto.trainer_spec.user_defined_symbols
    assert ed.proto.trainer_spec.vocab_size == n + 1


@pytest.mark.parametrize("name", EDIT_MODELS)
def test_add_piece_at_given_id_shifts_the_rest(name):
    data = REAL[name].read_bytes()
    before = sp_of(data)
    ed = ModelEditor.from_bytes(data)
    assert ed.add_user_defined("<tool>", id=3) == 3
    sp = sp_of(ed.to_bytes())
    assert sp.piece_to_id("<tool>") == 3
    assert (sp.unk_id(), sp.bos_id(), sp.eos_id()) == (0, 1, 2)
    text = "Hello wörld 𝄞 ok"  # 𝄞 is not in these vocabularies: byte fallback
    want = [i + (i >= 3) for i in before.encode(text)]
    assert sp.encode(text) == want
    assert sp.encode("x<tool>y").count(3) == 1


@pytest.mark.parametrize("name", EDIT_MODELS)
def test_add_control_piece(name):
    ed = ModelEditor.from_bytes(REAL[name].read_bytes())
    i = ed.add_control("[TOOL_X]")
    sp = sp_of(ed.to_bytes())
    assert sp.is_control(i) and sp.id_to_piece(i) == "[TOOL_X]"
    assert i not in sp.encode("call [TOOL_X] now")  # control pieces never come from text
    assert "[TOOL_X]" in ed.proto.trainer_spec.control_symbols


@pytest.mark.parametrize("name", EDIT_MODELS)
def test_score_change_alters_a_merge(name):
    data = REAL[name].read_bytes()
    assert sp_of(data).encode("playground", out_type=str) == ["▁play", "ground"]
    ed = ModelEditor.from_bytes(data)
    ed.set_score("yg", 10.0)  # now the best merge of all: y+g comes first
    pieces = sp_of(ed.to_bytes()).encode("playground", out_type=str)
    assert "yg" in pieces and "".join(pieces) == "▁playground"
    assert sp_of(ed.to_bytes()).get_score(ed.piece_to_id("yg")) == 10.0


def test_set_type_user_defined_to_control():
    ed = ModelEditor.from_bytes(mistral("v3"))
    i = ed.piece_to_id("[REFERENCE_DOC_0]")
    assert i in sp_of(mistral("v3")).encode("see [REFERENCE_DOC_0]")
    ed.set_type(i, "CONTROL")
    sp = sp_of(ed.to_bytes())
    assert sp.is_control(i) and i not in sp.encode("see [REFERENCE_DOC_0]")
    ts = ed.proto.trainer_spec
    assert "[REFERENCE_DOC_0]" in ts.control_symbols
    assert "[REFERENCE_DOC_0]" not in ts.user_defined_symbols


def test_set_type_normal_to_unused():
    ed = ModelEditor.from_bytes(mistral("v1"))
    i = ed.piece_to_id("▁play")
    assert sp_of(mistral("v1")).encode("play") == [i]
    ed.set_type(i, T.UNUSED)
    sp = sp_of(ed.to_bytes())
    assert sp.is_unused(i) and i not in sp.encode("play")


@pytest.mark.parametrize("name", EDIT_MODELS)
def test_set_bos_eos_pad_pieces(name):
    ed = ModelEditor.from_bytes(REAL[name].read_bytes())
    n = len(ed)
    assert ed.set_special_piece("eos", "<|eot|>") == n
    assert ed.set_special_piece("pad", "<pad>") == n + 1
    assert ed.set_special_piece("bos", "</s>") == 2  # an existing CONTROL piece
    sp = sp_of(ed.to_bytes())
    assert (sp.bos_id(), sp.eos_id(), sp.pad_id(), sp.unk_id()) == (2, n, n + 1, 0)
    ts = ed.proto.trainer_spec
    assert (ts.bos_id, ts.eos_id, ts.pad_id) == (2, n, n + 1)
    assert (ts.bos_piece, ts.eos_piece, ts.pad_piece) == ("</s>", "<|eot|>", "<pad>")
    assert sp.encode("hi", add_bos=True, add_eos=True)[0] == 2
    assert sp.encode("hi", add_bos=True, add_eos=True)[-1] == n


def test_set_bos_to_existing_control_piece_in_v2():
    ed = ModelEditor.from_bytes(mistral("v2"))
    assert ed.set_special_piece("bos", "[INST]") == 3
    assert sp_of(ed.to_bytes()).bos_id() == 3


def test_rename_unk_piece(trained_models):
    ed = ModelEditor.load(trained_models["nobf_identity"])
    assert ed.set_special_piece("unk", "<UNK>") == 0
    sp = sp_of(ed.to_bytes())
    assert sp.unk_id() == 0 and sp.id_to_piece(0) == "<UNK>"
    assert 0 in sp.encode("\u4e00")  # no byte fallback: unknown text gives unk


def test_insert_before_specials_moves_trainer_spec_ids():
    ed = ModelEditor.from_bytes(mistral("v1"))
    ed.add_control("<first>", id=0)
    ts = ed.proto.trainer_spec
    assert (ts.unk_id, ts.bos_id, ts.eos_id, ts.pad_id) == (1, 2, 3, -1)
    sp = sp_of(ed.to_bytes())
    assert (sp.unk_id(), sp.bos_id(), sp.eos_id()) == (1, 2, 3)


# ---- refusals: the editor and sentencepiece agree --------------------------------------


def _raw(data, change):
    m = model_pb2.ModelProto.FromString(data)
    change(m)
    return m.SerializeToString()


BAD_EDITS = [
    # (name, editor action, the same change made on the raw proto, message core)
    (
        "dup normal as control",
        lambda ed: ed.add_control("▁the"),
        lambda m: m.pieces.add(piece="▁the", type=T.CONTROL),
        "▁the is already defined.",
    ),
    (
        "dup control as user",
        lambda ed: ed.add_user_defined("<s>"),
        lambda m: m.pieces.add(piece="<s>", type=T.USER_DEFINED),
        "<s> is already defined.",
    ),
    (
        "empty piece",
        lambda ed: ed.add_user_defined(""),
        lambda m: m.pieces.add(piece="", type=T.USER_DEFINED),
        "piece must not be empty.",
    ),
    (
        "second unknown",
        lambda ed: ed.set_type("<s>", "UNKNOWN"),
        lambda m: setattr(m.pieces[1], "type", T.UNKNOWN),
        "unk is already defined.",
    ),
    (
        "byte type on a word",
        lambda ed: ed.set_type("▁the", T.BYTE),
        lambda m: setattr(m.pieces[m.pieces[300].piece and 300], "type", T.BYTE),
        "is invalid.",
    ),
    (
        "lower-case byte",
        lambda ed: ed.rename_piece("<0x0A>", "<0x0a>"),
        lambda m: setattr(m.pieces[3 + 10], "piece", "<0x0a>"),
        "byte piece <0x0a> is invalid.",
    ),
    (
        "rename onto existing",
        lambda ed: ed.rename_piece("<s>", "</s>"),
        lambda m: setattr(m.pieces[1], "piece", "</s>"),
        "</s> is already defined.",
    ),
    ("unknown as bos", lambda ed: ed.set_special_piece("bos", "<unk>"), None, "must be CONTROL"),
    ("normal as eos", lambda ed: ed.set_special_piece("eos", "▁the"), None, "must be CONTROL"),
]


@pytest.mark.parametrize("case", BAD_EDITS, ids=[c[0] for c in BAD_EDITS])
def test_refused_edit_raises_and_changes_nothing(case):
    _, edit, raw_change, core = case
    data = mistral("v1")
    ed = ModelEditor.from_bytes(data)
    with pytest.raises(ModelFormatError, match=core.replace(".", r"\.").replace("[", r"\[")):
        edit(ed)
    assert ed.to_bytes() == data
    if raw_change is not None:
        bad = _raw(data, raw_change)
        err = sp_error(bad)
        assert err is not None and core in err
        with pytest.raises(ModelFormatError, match=re.escape(core)):
            check_model(model_pb2.ModelProto.FromString(bad))


def test_byte_piece_needs_byte_fallback(trained_models):
    data = trained_models["nobf_identity"].read_bytes()
    ed = ModelEditor.from_bytes(data)
    with pytest.raises(ModelFormatError, match="`byte_fallback` is false"):
        ed.add_piece("<0x41>", "BYTE")
    assert ed.to_bytes() == data
    bad = _raw(data, lambda m: m.pieces.add(piece="<0x41>", type=T.BYTE))
    assert "`byte_fallback` is false" in sp_error(bad)


def test_misuse_errors_are_plain_python_errors():
    ed = ModelEditor.from_bytes(mistral("v1"))
    with pytest.raises(IndexError):
        ed.add_control("<x>", id=len(ed) + 1)
    with pytest.raises(KeyError):
        ed.set_score("no such piece ✗", 1.0)
    with pytest.raises(ValueError):
        ed.add_piece("<x>", "SPECIAL")
    with pytest.raises(ValueError):
        ed.set_special_piece("sep", "<sep>")


# ---- check_model mirrors 0.2.3 on raw protos ---------------------------------------------


def _set_blob(blob):
    return lambda m: setattr(m.normalizer_spec, "precompiled_charsmap", blob)


RAW_CASES = [
    ("ok", lambda m: None, None),
    ("word model", lambda m: setattr(m.trainer_spec, "model_type", model_pb2.TrainerSpec.WORD), None),
    ("bos retyped unused", lambda m: setattr(m.pieces[1], "type", T.UNUSED), None),
    ("no unk with byte fallback", lambda m: setattr(m.pieces[0], "type", T.NORMAL), None),
    (
        "one byte piece short",
        lambda m: setattr(m.pieces[3], "type", T.NORMAL),
        "there are not 256 byte pieces although `byte_fallback` is true.",
    ),
    (
        "byte fallback off",
        lambda m: setattr(m.trainer_spec, "byte_fallback", False),
        "byte piece <0x00> is found although `byte_fallback` is false.",
    ),
    ("empty piece", lambda m: setattr(m.pieces[500], "piece", ""), "piece must not be empty."),
    ("short blob", _set_blob(b"\x00" * 4), "Blob for normalization rule is broken."),
    ("trie too big", _set_blob(b"\x04\x00\x00\x00xxxx"), "Trie data size exceeds the input blob size."),
    ("trie size odd", _set_blob(b"\x03\x00\x00\x00xxxx"), "Trie data size is not divisible by 1024."),
    ("trie size zero", _set_blob(b"\x00\x00\x00\x00x"), "Trie data size is not divisible by 1024."),
    (
        "denormalizer blob",
        lambda m: setattr(m.denormalizer_spec, "precompiled_charsmap", b"ab"),
        "Blob for normalization rule is broken.",
    ),
]


@pytest.mark.parametrize("case", RAW_CASES, ids=[c[0] for c in RAW_CASES])
def test_check_model_agrees_with_sentencepiece(case):
    _, change, core = case
    bad = _raw(mistral("v1"), change)
    err = sp_error(bad)
    if core is None:
        assert err is None
        check_model(model_pb2.ModelProto.FromString(bad))
    else:
        assert err is not None and core in err
        with pytest.raises(ModelFormatError, match=re.escape(core)):
            parse_model(bad)


def test_no_unk_without_byte_fallback(trained_models):
    bad = _raw(trained_models["nobf_identity"].read_bytes(), lambda m: setattr(m.pieces[0], "type", T.NORMAL))
    assert "unk is not defined." in sp_error(bad)
    with pytest.raises(ModelFormatError, match="unk is not defined"):
        parse_model(bad)


# ---- parse_model on data that is not a model ----------------------------------------------


def _piece_boundaries(data):
    """Offsets where a top-level field ends (the file cut there still parses)."""
    pos, out = 0, []
    while pos < len(data):
        tag = data[pos]
        pos += 1
        assert tag in (0x0A, 0x12, 0x1A)
        length, shift = 0, 0
        while True:
            b = data[pos]
            pos += 1
            length |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                break
        pos += length
        out.append(pos)
    return out


def bad_inputs():
    data = mistral("v1")
    bounds = _piece_boundaries(data)
    rng = random.Random(1234)
    cases = [
        ("empty", b"", "empty input"),
        ("truncated mid piece", data[:1001], "truncated: piece"),
        ("truncated in trainer_spec", data[: bounds[-3] + 20], "truncated: trainer_spec"),
        ("truncated at a piece boundary", data[: bounds[999]], "no trainer_spec"),
        ("only the first piece", data[: bounds[0]], "no trainer_spec"),
        ("json", b'{"version": "1.0", "model": {"type": "BPE"}}', "JSON"),
        ("plain text", BUNDLED_TEXT.read_bytes()[:4000], "not a valid SentencePiece model"),
        (
            "another protobuf",
            model_pb2.TrainerSpec(model_prefix="m", vocab_size=9).SerializeToString(),
            "trainer_spec at byte 0 is not a valid TrainerSpec",
        ),
        ("no pieces", model_pb2.ModelProto(trainer_spec=model_pb2.TrainerSpec()).SerializeToString(), "no pieces"),
    ]
    for seed in range(8):
        cases.append((f"random {seed}", bytes(rng.getrandbits(8) for _ in range(600)), ""))
    cases.append(("corrupt byte in piece 5", data[: bounds[4] + 1] + b"\xff" + data[bounds[4] + 2 :], "piece"))
    return cases


BAD_INPUTS = bad_inputs()


@pytest.mark.parametrize("case", BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_parse_model_rejects_bad_input(case):
    _, data, words = case
    with pytest.raises(ModelFormatError) as info:
        parse_model(data)
    msg = str(info.value)
    assert words in msg and len(msg) > 20
    assert isinstance(info.value, ValueError) and isinstance(info.value, SpbpeError)
    assert sp_error(data) is not None  # sentencepiece refuses every one of them too
    with pytest.raises(ModelFormatError):
        ModelEditor.from_bytes(data)
