"""Replay the reference vectors that sentencepiece 0.2.3 produced
(../shared/notes/spm_vectors.json) when the workspace has them."""

import json

import pytest

import spbpe
from tests.helpers.models import SHARED, mistral_models, shared_path

VECTORS = shared_path("notes", "spm_vectors.json")
pytestmark = pytest.mark.skipif(VECTORS is None, reason="../shared/notes/spm_vectors.json not present")


def _model_path(name):
    for candidate in (SHARED / "models" / name, SHARED / "notes" / "models" / name):
        if candidate.exists():
            return candidate
    return mistral_models().get(name)


@pytest.fixture(scope="module")
def vectors():
    return json.loads(VECTORS.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def processors(vectors):
    out = {}
    for name in vectors["models"]:
        path = _model_path(name)
        if path is not None:
            out[name] = spbpe.SentencePieceProcessor(model_file=str(path))
    return out


def _input(case):
    data = bytes.fromhex(case["input_hex"])
    return data if case["input_is_bytes"] else data.decode("utf-8")


def _bytes(case):
    return bytes.fromhex(case["input_hex"])


def test_encode_cases(vectors, processors):
    checked = 0
    for case in vectors["encode"]:
        sp = processors.get(case["model"])
        if sp is None:
            continue
        x = _input(case)
        assert sp.encode(x) == case["ids"], case["name"]
        pieces = sp.encode(x, out_type=bytes if case["input_is_bytes"] else str)
        if not case["input_is_bytes"]:
            assert pieces == case["pieces"], case["name"]
        assert sp.decode(case["ids"]) == case["decoded"], case["name"]
        norm = sp.normalize(x)
        assert (norm.decode("utf-8") if isinstance(norm, bytes) else norm) == case["normalized"], case["name"]
        spans = sp.encode(_bytes(case), out_type="offset_mapping")["offsets"]
        assert [list(s) for s in spans] == case["byte_spans"], case["name"]
        checked += 1
    assert checked >= 100


def test_encode_option_cases(vectors, processors):
    for case in vectors["encode_options"]:
        sp = processors.get(case["model"])
        if sp is None:
            continue
        assert sp.encode(case["input"], **case["options"]) == case["ids"], case
        assert sp.encode(case["input"], out_type=str, **case["options"]) == case["pieces"], case


def test_decode_cases(vectors, processors):
    for case in vectors["decode_ids"]:
        sp = processors.get(case["model"])
        if sp is None:
            continue
        if case["error"]:
            with pytest.raises(IndexError):
                sp.decode(case["ids"])
        else:
            assert sp.decode(case["ids"]) == case["text"], case
    for case in vectors["decode_pieces"]:
        sp = processors.get(case["model"])
        if sp is not None:
            assert sp.decode(case["pieces"]) == case["text"], case
