"""The verification harness: library API and ``spbpe verify`` as a subprocess."""

import io
import json

import pytest

import spbpe
from spbpe.cli.progress import Progress
from spbpe.cli.verify import adversarial_strings, verify, verify_training
from tests.helpers.cli_helpers import real_model, run_spbpe, sample_lines, write_lines
from tests.helpers.models import BUNDLED_TEXT

spm = pytest.importorskip("sentencepiece")


@pytest.fixture(scope="module")
def model():
    return str(real_model())


@pytest.fixture(scope="module")
def unused_the(model, tmp_path_factory):
    """A copy of the model where the common piece ▁the is UNUSED."""
    path = tmp_path_factory.mktemp("edited") / "unused_the.model"
    ed = spbpe.ModelEditor.load(model)
    ed.set_type("▁the", "UNUSED")
    ed.save(path)
    return str(path)


def test_library_api_finds_no_difference(model):
    texts = []
    for x in sample_lines(3):
        try:
            texts.append(x.decode("utf-8"))
        except UnicodeDecodeError:
            texts.append(x)
    report = verify(model, texts=texts, adversarial=True)
    assert report.ok and report.differing_lines == 0
    assert report.lines == len(texts) + len(adversarial_strings(model))
    assert set(report.checked) == {"ids", "pieces", "decode", "normalize", "offsets"}
    assert all(n == report.lines for n in report.checked.values())


def test_adversarial_strings_are_hard():
    xs = adversarial_strings(count=500)
    assert len(xs) == 500 and any(isinstance(x, bytes) for x in xs) and " " * 1000 in xs
    assert adversarial_strings(count=500) == xs  # seeded


def test_cli_reports_zero_differences(model, tmp_path):
    f = write_lines(tmp_path / "sample.txt", sample_lines(4))
    p = run_spbpe("verify", f"--model={model}", "--input", f, "--adversarial", "--json")
    rep = json.loads(p.stdout)
    assert rep["ok"] and rep["differing_lines"] == 0 and rep["lines"] > 300
    p = run_spbpe("verify", f"--model={model}", "--input", f, "--checks=ids,decode")
    out = p.stdout.decode()
    assert "OK: no differences" in out and "ids" in out and "offsets" not in out


def test_reference_model_shows_what_changes(model, unused_the, tmp_path):
    lines = ["the cat sat on the mat", "nothing here", "Other words", "in the end", "theory"]
    f = write_lines(tmp_path / "t.txt", [x.encode() for x in lines])
    p = run_spbpe("verify", f"--model={model}", f"--reference-model={unused_the}", "--input", f, check=False)
    assert p.returncode == 1
    out = p.stdout.decode()
    a = spm.SentencePieceProcessor(model_file=model)
    b = spm.SentencePieceProcessor(model_file=unused_the)
    changed = [i for i, x in enumerate(lines, 1) if a.encode(x) != b.encode(x)]
    assert changed and 2 not in changed and 3 not in changed  # lines without "the" never change
    assert f"DIFFERENT: {len(changed)} line(s) differ" in out
    first = changed[0]
    assert f"t.txt:{first} [ids, pieces, offsets] first difference at token" in out
    assert "spbpe:  " + " ".join(a.encode(lines[first - 1], out_type=str)) in out
    assert "spm:    " + " ".join(b.encode(lines[first - 1], out_type=str)) in out
    rep = json.loads(
        run_spbpe(
            "verify", f"--model={model}", f"--reference_model={unused_the}", "--input", f, "--json", check=False
        ).stdout
    )
    assert [e["line_no"] for e in rep["examples"]] == changed
    assert rep["differences"]["decode"] == 0 and rep["differences"]["ids"] == len(changed)


def test_train_mode_reports_identical(tmp_path):
    p = run_spbpe("verify", "--train", f"--input={BUNDLED_TEXT}", "--vocab_size=400", "--json")
    rep = json.loads(p.stdout)
    assert rep["ok"] and rep["identical"] and rep["vocab_bytes_identical"] and rep["model_bytes_identical"]
    assert rep["pieces"] == [400, 400] and set(rep["seconds"]) == {"spbpe", "sentencepiece"}
    text = run_spbpe("verify", "--train", "--input", BUNDLED_TEXT, "--vocab_size", "400").stdout.decode()
    assert "OK: identical pieces, scores and types" in text and "training time: spbpe" in text


def test_train_mode_library_api_detects_difference(monkeypatch):
    import spbpe.trainer as tr

    real = tr.SentencePieceTrainer.train

    def off_by_one(**kw):  # a trainer that is wrong on purpose
        kw["vocab_size"] = str(int(kw["vocab_size"]) - 1)
        return real(**kw)

    monkeypatch.setattr(tr.SentencePieceTrainer, "train", staticmethod(off_by_one))
    rep = verify_training({"input": str(BUNDLED_TEXT), "vocab_size": "400"})
    assert not rep.ok and rep.pieces == (399, 400) and rep.first_difference["index"] <= 399


def test_progress_bar_draws_on_a_stream():
    s = io.StringIO()
    p = Progress("verify", total=200, enabled=True, stream=s)
    p.advance(120)
    p.advance(80)
    p.close()
    assert s.getvalue().startswith("\rverify [") and "100%" in s.getvalue() and s.getvalue().endswith("\n")
    quiet = io.StringIO()
    Progress("verify", total=10, stream=quiet).close()  # StringIO is not a terminal: nothing drawn
    assert quiet.getvalue() == ""
