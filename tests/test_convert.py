"""``spbpe convert``: a tokenizer.json that HF ``tokenizers`` loads and that encodes like the .model."""

import pytest

import spbpe
from tests.helpers.cli_helpers import real_model, run_spbpe, sample_lines
from tests.helpers.models import real_model_paths

tokenizers = pytest.importorskip("tokenizers")

SPECIALS_IN_TEXT = ["<s>", "</s>", "<unk>", "[INST]"]


def _texts():
    out = []
    for x in sample_lines(8):
        try:
            out.append(x.decode("utf-8"))
        except UnicodeDecodeError:
            pass
    return out + ["", " ", "  x  ", "a\u2581b", "\u2581\u2581", "😀👨\u200d👩\u200d👧", "\x00\t\r"]


@pytest.mark.parametrize("name", ["llama2.model", "tokenizer.model.v1"])
def test_tokenizers_json_encodes_identically(name, tmp_path):
    models = real_model_paths()
    if name not in models:
        pytest.skip(f"{name} is not in this workspace")
    model = str(models[name])
    out = tmp_path / "tokenizer.json"
    run_spbpe("convert", f"--model={model}", "--to=tokenizers", out)
    hf = tokenizers.Tokenizer.from_file(str(out))
    sp = spbpe.SentencePieceProcessor(model_file=model)
    texts = _texts()
    differ = [t for t in texts if sp.encode(t) != hf.encode(t, add_special_tokens=False).ids]
    # The only lines HF encodes differently contain a control token's text, which HF matches as a special token.
    assert differ and all(any(s in t for s in SPECIALS_IN_TEXT[:3]) for t in differ)
    ids = sp.encode("Hello wörld 😀")
    assert hf.decode(ids) == sp.decode(ids)
    # With control tokens kept only in the vocabulary, every line is identical.
    run_spbpe("convert", f"--model={model}", "--to=tokenizers", "--special-tokens=vocab", f"--output={out}")
    hf = tokenizers.Tokenizer.from_file(str(out))
    assert [t for t in texts if sp.encode(t) != hf.encode(t, add_special_tokens=False).ids] == []


def test_check_reports_the_rate(tmp_path):
    model = real_model()
    f = tmp_path / "lines.txt"
    f.write_text("Hello world\n<s> is a control token\nplain text again\n", encoding="utf-8")
    args = ["convert", f"--model={model}", "--to=tokenizers", f"--output={tmp_path / 't.json'}", "--check"]
    p = run_spbpe(*args, f, check=False)
    err = p.stderr.decode()
    assert "2 of 3 lines identical (66.667%)" in err and "lines.txt:2" in err
    assert p.returncode == 1 and "1 line(s) differ" in err  # like verify: non-zero on any difference
    same = tmp_path / "same.txt"
    same.write_text("Hello world\nplain text again\n", encoding="utf-8")
    p = run_spbpe(*args, same)
    assert "2 of 2 lines identical" in p.stderr.decode() and p.returncode == 0


def test_minbpe_and_vocab_dumps():
    model = real_model()
    sp = spbpe.SentencePieceProcessor(model_file=str(model))
    vocab = run_spbpe("convert", f"--model={model}", "--to=vocab").stdout.decode().split("\n")[:-1]
    assert len(vocab) == len(sp)
    i, piece, score, kind = vocab[1].split("\t")
    assert (int(i), piece, kind) == (1, sp.id_to_piece(1), "control")
    assert vocab[3].endswith("\tbyte")
    mb = run_spbpe("convert", f"--model={model}", "--to=minbpe").stdout.decode().split("\n")[:-1]
    assert len(mb) == len(sp)
    the = sp.piece_to_id("▁the")
    line = mb[the]
    left, right = line[1 : line.index("]")], line[line.index("][") + 2 : line.index("] ->")]
    assert line.endswith(f"-> [▁the] {the}") and left + right == "▁the"
    assert sp.piece_to_id(left) != sp.unk_id() and sp.piece_to_id(right) != sp.unk_id()


def test_unsupported_model_is_one_line_error(tmp_path):
    ed = spbpe.ModelEditor.load(real_model())
    ed.proto.trainer_spec.treat_whitespace_as_suffix = True
    bad = tmp_path / "suffix.model"
    ed.save(bad)
    p = run_spbpe("convert", f"--model={bad}", "--to=tokenizers", check=False)
    assert p.returncode == 1 and p.stderr.decode().startswith("spbpe: error: treat_whitespace_as_suffix")
