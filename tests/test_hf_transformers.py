"""Issue 16: Hugging Face transformers with spbpe standing in for sentencepiece.

The same script runs twice in a subprocess, once with the real
sentencepiece and once with ``import sentencepiece`` resolving to spbpe (a
``sys.modules`` entry, as a user would shim it), and both runs must print
the same ids, tokens and decoded text.  It exercises the two ways
transformers uses sentencepiece: ``convert_slow_tokenizer`` (which reads
the model through ``sentencepiece.sentencepiece_model_pb2``: here
``LlamaTokenizer.from_pretrained`` on a folder holding only
``tokenizer.model``) and the sentencepiece-backed slow tokenizers
(``SentencePieceBackend``, here ``BertGenerationTokenizer``; transformers 4
also has the slow ``LlamaTokenizer``).  T5 on a unigram model both ways:
``T5Tokenizer.from_pretrained`` on a folder holding only ``spiece.model``
(converted by ``convert_slow_tokenizer``'s T5 converter; the slow
sentencepiece ``T5Tokenizer`` too under transformers 4) and the slow backend
on the same model.  The unigram model is the sentencepiece suite's
``botchan_en_unigram_1000.model`` when ../shared is there, else one trained
here with the real sentencepiece.  Runs where transformers installs (it is
in the ``test`` extra).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.helpers.models import BUNDLED_TEXT, ROOT, shared_path

pytest.importorskip("transformers")
pytest.importorskip("sentencepiece")

SCRIPT = r"""
import json, sys
if sys.argv[1] == "spbpe":
    import spbpe
    sys.modules["sentencepiece"] = spbpe
import transformers
from transformers import LlamaTokenizer
folder, text_path, t5_folder = sys.argv[2], sys.argv[3], sys.argv[4]
lines = [l.rstrip("\n") for l in open(text_path, encoding="utf-8")][:400]
out = {}
fast = LlamaTokenizer.from_pretrained(folder)
out["converted"] = [fast(l)["input_ids"] for l in lines]
try:
    from transformers import BertGenerationTokenizer as Slow
except ImportError:
    Slow = None
if Slow is not None:
    slow = Slow(vocab_file=folder + "/tokenizer.model")
    ids = [slow(l)["input_ids"] for l in lines]
    out["slow"] = [ids, [slow.decode(i) for i in ids], [slow.tokenize(l) for l in lines[:100]]]
if int(transformers.__version__.split(".")[0]) < 5:
    from transformers import LlamaTokenizer as SlowLlama  # the sentencepiece one in transformers 4
    sl = SlowLlama(vocab_file=folder + "/tokenizer.model", legacy=False)
    out["slow_llama"] = [sl(l)["input_ids"] for l in lines]
from transformers import T5Tokenizer
from transformers.convert_slow_tokenizer import SLOW_TO_FAST_CONVERTERS
t5 = T5Tokenizer.from_pretrained(t5_folder)  # transformers 5: converted; 4: the slow sentencepiece one
ids = [t5(l)["input_ids"] for l in lines]
out["t5"] = [ids, [t5.decode(i) for i in ids], [t5.tokenize(l) for l in lines[:100]]]
if "T5Tokenizer" in SLOW_TO_FAST_CONVERTERS and int(transformers.__version__.split(".")[0]) < 5:
    from transformers import T5TokenizerFast
    out["t5_converted"] = [T5TokenizerFast.from_pretrained(t5_folder, from_slow=True)(l)["input_ids"] for l in lines]
if Slow is not None:
    slow_t5 = Slow(vocab_file=t5_folder + "/spiece.model")
    out["t5_slow_backend"] = [slow_t5(l)["input_ids"] for l in lines]
print(json.dumps(out))
"""


def _run(lib: str, folder: str, text: str, t5_folder: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT), TRANSFORMERS_VERBOSITY="error", HF_HUB_OFFLINE="1")
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, lib, folder, text, t5_folder],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _model_and_text(trained_models):
    llama = shared_path("models", "llama2.model")
    corpus = shared_path("corpora", "multilingual", "mixed_shuffled.txt")
    return (llama or trained_models["nfkc_default"]), (corpus or BUNDLED_TEXT)


def _unigram_model(tmp_path):
    suite = shared_path("sentencepiece_tests", "botchan_en_unigram_1000.model")
    if suite is not None:
        return suite
    import sentencepiece as spm

    prefix = tmp_path / "uni"
    spm.SentencePieceTrainer.train(
        input=str(BUNDLED_TEXT), model_prefix=str(prefix), model_type="unigram", vocab_size=1000, minloglevel=2
    )
    return prefix.with_suffix(".model")


def test_transformers_gives_the_same_ids_with_spbpe(tmp_path, trained_models):
    model, text = _model_and_text(trained_models)
    folder, t5_folder = tmp_path / "tok", tmp_path / "t5"
    folder.mkdir()
    t5_folder.mkdir()
    shutil.copy(model, folder / "tokenizer.model")
    shutil.copy(_unigram_model(tmp_path), t5_folder / "spiece.model")
    theirs = _run("sentencepiece", str(folder), str(text), str(t5_folder))
    ours = _run("spbpe", str(folder), str(text), str(t5_folder))
    assert set(ours) == set(theirs)
    for key in theirs:
        assert ours[key] == theirs[key], key
    assert any(theirs["converted"]) and any(theirs["t5"][0])
