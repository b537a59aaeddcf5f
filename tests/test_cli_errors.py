"""Every subcommand's error paths: one line on stderr, ``spbpe: error: ...``, exit status 1.

Missing file, wrong file type (a text file, a tiktoken rank file, an empty
file, a directory given as a model: named, with what it is), bad flag (the
subcommand's help named, the closest flag suggested), bad input line
(``decode --input_format=id``), missing optional dependency (the
``spbpe[verify]`` extra named).  The models are trained in the test, so
nothing here needs ../shared.
"""

import base64
import sys

import pytest

from tests.helpers.cli_helpers import run_spbpe

MODEL_COMMANDS = {
    "encode": [],
    "decode": [],
    "export-vocab": [],
    "normalize": [],
    "inspect": [],
    "verify": ["--text=hello"],
    "show": ["hello"],
    "convert": ["--to=vocab"],
}
ALL_COMMANDS = [*MODEL_COMMANDS, "train", "demo"]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A real model (trained by spbpe), and files that are not models."""
    import spbpe

    d = tmp_path_factory.mktemp("cli_errors")
    text = d / "corpus.txt"
    text.write_text("Hello world, this is a small corpus.\nTokenizers split text into pieces.\n" * 50)
    spbpe.SentencePieceTrainer.train(input=str(text), model_prefix=str(d / "m"), vocab_size=80, model_type="bpe")
    ranks = d / "ranks.tiktoken"
    ranks.write_text("".join(f"{base64.b64encode(bytes([i])).decode()} {i}\n" for i in range(256)))
    empty = d / "empty.model"
    empty.write_bytes(b"")
    return {"dir": d, "model": d / "m.model", "text": text, "ranks": ranks, "empty": empty}


def one_error_line(p, *needles):
    """Exit status 1 and one stderr line, ``spbpe: error: ...``, holding every needle."""
    err = p.stderr.decode("utf-8", "replace")
    assert p.returncode == 1, (p.returncode, err)
    assert err.startswith("spbpe: error: ") and err.endswith("\n") and err.count("\n") == 1, err
    for n in needles:
        assert n in err, (n, err)
    return err


# ------------------------------------------------------------- missing file


@pytest.mark.parametrize("command", list(MODEL_COMMANDS))
def test_missing_model_file(command, files):
    p = run_spbpe(
        command, "--model=missing.model", *MODEL_COMMANDS[command], input=b"1 2\n", check=False, cwd=files["dir"]
    )
    one_error_line(p, "missing.model", "No such file")


def test_missing_reference_model_and_inputs(files):
    m = f"--model={files['model']}"
    one_error_line(run_spbpe("verify", m, "--reference-model=missing.model", "--text=hi", check=False), "missing.model")
    one_error_line(run_spbpe("verify", m, "--input", "missing.txt", check=False), "missing.txt", "No such file")
    one_error_line(run_spbpe("encode", m, "missing.txt", check=False), "missing.txt", "No such file")
    one_error_line(run_spbpe("decode", m, "--input=missing.txt", check=False), "missing.txt", "No such file")
    one_error_line(run_spbpe("show", m, "--input=missing.txt", check=False), "missing.txt", "No such file")
    one_error_line(run_spbpe("convert", m, "--to=tokenizers", "--check", "missing.txt", check=False), "missing.txt")
    one_error_line(
        run_spbpe("train", "--input=missing.txt", "--model_prefix=x", "--vocab_size=50", check=False), "missing.txt"
    )
    one_error_line(run_spbpe("show", "--tiktoken=/no/such/r50k_base.tiktoken", "hi", check=False), "No such file")
    one_error_line(run_spbpe("demo", "--output-dir=/no/such/dir", check=False), "/no/such/dir")


# --------------------------------------------------------- wrong file type


@pytest.mark.parametrize("command", list(MODEL_COMMANDS))
@pytest.mark.parametrize(
    "kind, what",
    [("text", "is a text file"), ("ranks", "is a tiktoken rank file"), ("empty", "is an empty file"), ("dir", "")],
)
def test_wrong_file_type_as_model(command, kind, what, files):
    path = files[kind]
    p = run_spbpe(command, f"--model={path}", *MODEL_COMMANDS[command], input=b"1\n", check=False)
    err = one_error_line(p, str(path), what or "directory")
    assert "SentencePiece .model" in err  # what was expected
    if kind == "ranks":
        assert "--tiktoken" in err  # and where such a file belongs


def test_wrong_file_type_elsewhere(files):
    p = run_spbpe("verify", f"--model={files['model']}", f"--reference-model={files['text']}", "--text=a", check=False)
    one_error_line(p, str(files["text"]), "is a text file")
    one_error_line(
        run_spbpe("train", f"--input={files['dir']}", "--model_prefix=x", "--vocab_size=50", check=False), "directory"
    )
    one_error_line(run_spbpe("show", f"--tiktoken={files['text']}", "hi", check=False), str(files["text"]))


# ----------------------------------------------------------------- bad flag


@pytest.mark.parametrize("command", ALL_COMMANDS)
def test_bad_flag_names_the_subcommand(command, files):
    p = run_spbpe(command, "--bogus-flag=1", *(["--to=vocab"] if command == "convert" else []), check=False)
    err = one_error_line(p, "--bogus")
    assert f"spbpe {command} --help" in err and "usage: spbpe [-h]" not in err


@pytest.mark.parametrize(
    "args, suggestion",
    [
        (["encode", "--mdel=x.model"], "--model"),
        (["train", "--vocab_sze=10"], "--vocab_size"),
        (["inspect", "m.model"], "--model=m.model"),
        (["decode", "--input_format=ids"], "choose from"),
        (["verify", "--max-lines=ten"], "invalid int value"),
        (["encode", "--model=m.model", "--nbest_size=ten"], "invalid int value"),
        (["encode", "--model=m.model", "--alpha=high"], "invalid float value"),
    ],
)
def test_bad_flag_value_or_typo(args, suggestion):
    one_error_line(run_spbpe(*args, check=False), suggestion)


def test_no_command():
    one_error_line(run_spbpe(check=False), "give a command", "encode")
    one_error_line(run_spbpe("tokenize", check=False), "invalid choice")


# ---------------------------------------------------------- bad input line


@pytest.mark.parametrize(
    "line, needle",
    [
        (b"1 abc 3", "'abc' is not a token id"),
        (b"5 99999999", "id 99999999 is out of range"),
        (b"-1", "'-1' is not a token id"),
        (b"0x10", "'0x10' is not a token id"),
    ],
)
def test_decode_bad_id_names_line_and_token(line, needle, files):
    p = run_spbpe(
        "decode", f"--model={files['model']}", "--input_format=id", input=b"3 4\n\n" + line + b"\n", check=False
    )
    one_error_line(p, "<stdin>:3:", needle)
    assert p.stdout.count(b"\n") == 2  # the good lines before it were decoded


def test_decode_bad_id_in_a_file(files, tmp_path):
    f = tmp_path / "ids.txt"
    f.write_bytes(b"1 2\n7 x9\n")
    one_error_line(
        run_spbpe("decode", f"--model={files['model']}", "--input_format=id", f, check=False), f"{f}:2:", "'x9'"
    )


def test_bad_jsonl_record_for_verify(files, tmp_path):
    f = tmp_path / "c.jsonl"
    f.write_text('{"text": "ok"}\n{not json\n')
    one_error_line(run_spbpe("verify", f"--model={files['model']}", "--input", f, check=False), f"{f.name}:2")


# ------------------------------------------------ missing optional package


@pytest.mark.parametrize(
    "args, block, package",
    [
        (["verify", "--model={model}", "--text=hi"], ["sentencepiece"], "sentencepiece"),
        (["verify", "--train", "--input={text}", "--vocab_size=60"], ["sentencepiece"], "sentencepiece"),
        (["convert", "--model={model}", "--to=tokenizers", "--check", "{text}"], ["tokenizers"], "tokenizers"),
    ],
)
def test_missing_optional_package_names_the_extra(args, block, package, files):
    args = [a.format(**files) for a in args]
    one_error_line(run_spbpe(*args, block=block, check=False), repr(package), "pip install 'spbpe[verify]'")


def test_tiktoken_without_any_engine(files):
    p = run_spbpe("show", "--tiktoken=cl100k_base", "hi", block=["spbpe.gpt", "tiktoken"], check=False)
    one_error_line(p, "spbpe.gpt", "spbpe[verify]")


def test_the_test_extra_holds_the_verify_extra():
    tomllib = pytest.importorskip("tomllib" if sys.version_info >= (3, 11) else "tomli")
    from tests.helpers.models import ROOT

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert set(extras["verify"]) <= set(extras["test"])


# ------------------------------------------------ what a file is (spbpe/_proto/sniff.py)


def test_sniffing_never_takes_a_model_for_something_else(files, tmp_path):
    from spbpe._proto.sniff import describe_model_bytes, not_a_model_message
    from tests.helpers.models import real_model_paths

    models = [files["model"], *real_model_paths().values()]
    for m in models:
        assert describe_model_bytes(m.read_bytes() if hasattr(m, "read_bytes") else open(m, "rb").read()) is None, m
    vocab = (files["dir"] / "m.vocab").read_bytes()
    assert describe_model_bytes(vocab) == "a SentencePiece .vocab file"
    assert describe_model_bytes(files["ranks"].read_bytes()) == "a tiktoken rank file"
    assert describe_model_bytes(b'{"version": "1.0", "added_tokens": [], "model": {"vocab": {}}}') == (
        "a HuggingFace tokenizer.json"
    )
    assert describe_model_bytes(b"\x1f\x8b\x08\x00") == "a gzip archive"
    assert describe_model_bytes("naïve text\r\n".encode()) == "a text file"
    msg = not_a_model_message("x.model", files["ranks"].read_bytes())
    assert msg.startswith("x.model is a tiktoken rank file, not a SentencePiece .model") and "--tiktoken" in msg


def test_the_vocab_file_beside_a_model(files):
    p = run_spbpe("encode", f"--model={files['dir'] / 'm.vocab'}", input=b"x\n", check=False)
    one_error_line(p, "m.vocab is a SentencePiece .vocab file", "the .model is the binary file written beside it")
