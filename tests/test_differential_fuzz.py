"""The differential fuzzer (fuzz/differential.py) runs, and finds a difference when one is planted.

Planted differences go through the whole harness: the spbpe side alone gets
an extra training option or an extra model mutation, and the fuzzer must
report the difference, minimise it and write a reproducer that replays.
"""

import importlib.util
import json
import pathlib
import random
import time

import pytest

pytest.importorskip("sentencepiece")

ROOT = pathlib.Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("spbpe_differential_fuzz", ROOT / "fuzz" / "differential.py")
dfz = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(dfz)

SMALL = ["the cat sat on the mat", "a dog and a cat", "1234 5678 the end", "ᐃᓄᒃᑎᑐᑦ ᐃ."]


def _run(seed, mode, tmp_path, plant=None, cases=1, queries=8, budget=4.0):
    stats = dfz.Stats()
    rng = random.Random(seed)
    files = dfz.corpus_files()
    deadline = time.time() + 15
    for _ in range(cases):
        dfz.fuzz_one(
            rng, mode, files, stats, str(tmp_path), seed, deadline, queries, budget, lambda msg: None, plant=plant
        )
    return stats


def test_fixed_seeds_train_and_encode(tmp_path):
    stats = _run(7, "train", tmp_path, cases=2)
    stats2 = _run(8, "mutate", tmp_path, cases=1)
    assert stats.cases == 2 and stats2.cases == 1
    assert stats.models + stats2.models >= 2
    assert stats.encodes + stats2.encodes > 0
    # Whatever today's code differs on is written as a reproducer.
    for st in (stats, stats2):
        assert len(st.written) <= sum(st.diffs.values())


def test_agreeing_case_has_no_difference():
    case = {
        "corpus": SMALL,
        "train_options": {"model_type": "bpe", "vocab_size": 40},
        "files": {},
        "queries": [
            {"op": "encode", "input": "the cat", "kw": {"out_type": "int"}},
            {"op": "encode", "input": ["a dog", "1234"], "kw": {"out_type": "str", "add_bos": True}},
            {"op": "decode_ids", "input": [3, 4, 5]},
        ],
    }
    res = dfz.run_case(case)
    assert res["spbpe"]["train"][0] == "ok"
    assert dfz.compare(case, res) == []


def test_planted_training_difference_is_found_minimised_and_replayed(tmp_path):
    plant = {"train_options": {"split_digits": True}}
    for seed in range(20):  # the first seed whose drawn options both libraries accept
        stats = _run(seed, "train", tmp_path, plant=plant, budget=6.0)
        refused = stats.diffs.get("train_refused_by_spbpe", 0) + stats.diffs.get("train_refused_by_sentencepiece", 0)
        if not refused and (stats.diffs or stats.models):
            break
    assert stats.diffs.get("train_model", 0) >= 1, stats.diffs
    (path,) = [p for p in stats.written if "train_model" in p]
    rep = json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
    assert rep["case"]["_plant"] == plant
    assert len(rep["case"]["corpus"]) <= 2  # shrunk: any line shows a changed trainer_spec
    assert dfz.replay(path) == 1


def test_planted_refusal_is_found(tmp_path):
    case = {
        "corpus": SMALL,
        "train_options": {"model_type": "bpe", "vocab_size": 40},
        "files": {},
        "_plant": {"train_options": {"vocab_size": 0}},
    }
    kinds = [k for k, _ in dfz.compare(case, dfz.run_case(case))]
    assert kinds == ["train_refused_by_spbpe"]


def test_planted_model_mutation_changes_encodes(tmp_path):
    # The spbpe side alone gets the two best-scored merges' pieces swapped.
    base = {"corpus": SMALL * 3, "train_options": {"model_type": "bpe", "vocab_size": 40}, "files": {}}
    res = dfz.run_case(base)
    model = res["sentencepiece"]["train"][1]
    case = {
        "model": model,
        "queries": [{"op": "encode", "input": line, "kw": {"out_type": "int"}} for line in SMALL],
        "_plant": {"mutations": [["swap", 3, 4]]},
    }
    diffs = dfz.compare(case, dfz.run_case(case))
    kinds = {k for k, _ in diffs}
    assert "model_table" in kinds and "encode_int" in kinds, kinds
    small = dfz.minimise(case, "encode_int", time.time() + 5)
    assert len(small["queries"]) == 1 and len(small["queries"][0]["input"]) <= len(SMALL[0])


def test_sentencepiece_crash_is_reported_not_suffered():
    status, value = dfz.in_child(lambda: __import__("os").abort())
    assert status == "crash" and "signal" in value
    res = {"spbpe": {"train": ["ok"]}, "sentencepiece": {"crash": value}}
    assert dfz.compare({}, res)[0][0] == "sentencepiece_crash"


def test_allow_list_matches_only_sampling():
    sampled = {"train_options": {"input_sentence_size": 200}, "corpus": ["x"] * 500}
    assert dfz.allowed("train_model", sampled)
    assert not dfz.allowed("train_model", {"train_options": {}, "corpus": ["x"]})
    assert not dfz.allowed("encode_int", sampled)
