"""Columnar encode (spbpe.columnar): encode_to_arrays gives the ids of the
official libraries as two flat arrays; tokenizers pickle to the same bytes
in any process; importing spbpe starts no thread."""

import os
import pickle
import subprocess
import sys

import pytest

import spbpe
from tests.helpers import gpt_encodings
from tests.helpers.hard_cases import HARD_CASES
from tests.helpers.models import BUNDLED_TEXT, ROOT, real_model_paths

spm = pytest.importorskip("sentencepiece")


def _texts():
    lines = BUNDLED_TEXT.read_text(encoding="utf-8").split("\n")[:400]
    return lines + [c for c in HARD_CASES if isinstance(c, str)] + ["", " ", "\u2581x"]


def _models(trained_models):
    out = dict(trained_models)
    out.update(real_model_paths())
    return out


def test_sentencepiece_arrays_match_the_official_ids(trained_models):
    texts = _texts()
    for name, path in sorted(_models(trained_models).items()):
        ours = spbpe.SentencePieceProcessor(model_file=str(path))
        ref = spm.SentencePieceProcessor(model_file=str(path))
        values, offsets = ours.encode_to_arrays(texts)
        assert values.typecode == "i" and offsets.typecode == "q", name
        assert len(offsets) == len(texts) + 1 and offsets[0] == 0 and offsets[-1] == len(values)
        want = ref.encode(texts)
        got = [values[offsets[i] : offsets[i + 1]].tolist() for i in range(len(texts))]
        assert got == want, name
        assert ours.encode_to_arrays([t.encode() for t in texts]) == (values, offsets)


def test_sentencepiece_arrays_refuse_extra_options(trained_models):
    sp = spbpe.SentencePieceProcessor(model_file=str(trained_models["nfkc_default"]))
    assert sp.encode_to_arrays([]).num_texts == 0
    with pytest.raises(TypeError):
        sp.encode_to_arrays(["a", 3])
    sp = spbpe.SentencePieceProcessor(model_file=str(trained_models["nfkc_default"]), add_bos=True)
    with pytest.raises(ValueError, match="plain ids"):
        sp.encode_to_arrays(["a"])


@pytest.mark.parametrize("name", gpt_encodings.available()[:2])
def test_gpt_arrays_match_tiktoken(name):
    ours, ref = gpt_encodings.pair(name)
    texts = _texts() + ["<|endoftext|> is special"]
    arrays = ours.encode_to_arrays(texts, allowed_special="all")
    assert arrays.to_lists() == ref.encode_batch(texts, allowed_special="all")
    with pytest.raises(ValueError):
        ours.encode_to_arrays(texts)  # a disallowed special, as encode_batch


def test_numpy_and_arrow_views(trained_models):
    np = pytest.importorskip("numpy")
    sp = spbpe.SentencePieceProcessor(model_file=str(trained_models["nfkc_default"]))
    texts = _texts()[:50]
    arrays = sp.encode_to_arrays(texts)
    values, offsets = arrays.numpy()
    assert values.dtype == np.int32 and offsets.dtype == np.int64
    assert values[offsets[3] : offsets[4]].tolist() == sp.encode(texts[3])
    pa = pytest.importorskip("pyarrow")
    col = arrays.to_arrow()
    assert col.type == pa.large_list(pa.int32())
    assert col.to_pylist() == sp.encode(texts)


_PICKLE = """
import hashlib, pickle, sys, spbpe, spbpe.gpt
sp = spbpe.SentencePieceProcessor(model_file=sys.argv[1])
print(hashlib.sha256(pickle.dumps(sp)).hexdigest())
if sys.argv[2]:
    pat, ranks, specials = {spec}
    enc = spbpe.gpt.Encoding("x", pat_str=pat, mergeable_ranks=ranks, special_tokens=specials)
    print(hashlib.sha256(pickle.dumps(enc)).hexdigest())
"""


def test_pickles_are_the_same_bytes_in_every_process(trained_models):
    path = str(trained_models["udef_control"])
    names = gpt_encodings.available()
    name = "cl100k_base" if "cl100k_base" in names else (names[0] if names else "")
    script = _PICKLE.format(spec=f"__import__('tests.helpers.gpt_encodings').helpers.gpt_encodings.spec({name!r})")
    outs = []
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed, PYTHONPATH=str(ROOT))
        run = subprocess.run(
            [sys.executable, "-c", script, path, name], capture_output=True, text=True, env=env, check=True
        )
        outs.append(run.stdout)
    assert outs[0] == outs[1] and outs[0]
    sp = spbpe.SentencePieceProcessor(model_file=path)
    assert pickle.loads(pickle.dumps(sp)).serialized_model_proto() == sp.serialized_model_proto()


def test_import_starts_no_thread():
    code = (
        "import os, threading, spbpe, spbpe.gpt, spbpe.columnar, spbpe.counts\n"
        "print(threading.active_count(), len(os.listdir('/proc/self/task')))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.split() == ["1", "1"]
