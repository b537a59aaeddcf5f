"""The line-oriented subcommands, run as subprocesses on a real model, against the sentencepiece package."""

import json

import pytest

from tests.helpers.cli_helpers import real_model, run_spbpe, sample_lines, write_lines
from tests.helpers.models import BUNDLED_TEXT

spm = pytest.importorskip("sentencepiece")


@pytest.fixture(scope="module")
def model():
    return str(real_model())


@pytest.fixture(scope="module")
def ref(model):
    return spm.SentencePieceProcessor(model_file=model)


@pytest.fixture(scope="module")
def lines():
    return sample_lines()


@pytest.fixture(scope="module")
def input_file(tmp_path_factory, lines):
    return write_lines(tmp_path_factory.mktemp("cli") / "in.txt", lines)


def _text(line: bytes):
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return line


def _joined(outputs):
    return b"".join(o + b"\n" for o in outputs)


def test_encode_pieces_and_ids(model, ref, lines, input_file):
    got = run_spbpe("encode", f"--model={model}", input_file).stdout
    want = _joined(" ".join(ref.encode(_text(x), out_type=str)).encode() for x in lines)
    assert got == want
    got = run_spbpe("encode", "--model", model, "--output_format=id", input=input_file.read_bytes()).stdout
    assert got == _joined(" ".join(map(str, ref.encode(_text(x)))).encode() for x in lines)


def test_encode_extra_options(model, ref, lines, input_file):
    flags = dict(add_bos=True, add_eos=True, reverse=True, emit_unk_piece=True)
    got = run_spbpe("encode", f"--model={model}", "--extra_options=bos:eos:reverse:unk", f"--input={input_file}").stdout
    assert got == _joined(" ".join(ref.encode(_text(x), out_type=str, **flags)).encode() for x in lines)
    got = run_spbpe("encode", f"--model={model}", "--output_format=id", "--extra_options=eos", input_file).stdout
    assert got == _joined(" ".join(map(str, ref.encode(_text(x), add_eos=True))).encode() for x in lines)


def test_decode_ids_and_pieces(model, ref, lines, tmp_path):
    ids = [ref.encode(_text(x)) for x in lines] + [[]]
    id_lines = [" ".join(map(str, s)).encode() for s in ids] + [b"12  7 ", b"\t3"]
    got = run_spbpe("decode", f"--model={model}", "--input_format=id", write_lines(tmp_path / "ids", id_lines)).stdout
    # fields are ids separated by whitespace; an empty line is the empty sequence
    assert got == _joined(ref.decode_ids([int(f) for f in line.split()]).encode() for line in id_lines)
    piece_lines = [" ".join(ref.encode(_text(x), out_type=str)).encode() for x in lines] + [b"", b"a  b"]
    got = run_spbpe("decode", f"--model={model}", input=b"\n".join(piece_lines) + b"\n").stdout
    assert got == _joined(ref.decode_pieces(x.decode().split(" ")).encode() for x in piece_lines)
    got = run_spbpe(
        "decode", f"--model={model}", "--extra_options=reverse", input=b"\xe2\x96\x81world \xe2\x96\x81hello\n"
    ).stdout
    assert got == ref.decode_pieces(["▁hello", "▁world"]).encode() + b"\n"


def test_export_vocab(model, ref):
    got = run_spbpe("export-vocab", f"--model={model}").stdout
    assert got == _joined(b"%s\t%g" % (ref.id_to_piece(i).encode(), ref.get_score(i)) for i in range(len(ref)))
    got = run_spbpe("export-vocab", f"--model={model}", "--output_format=syms").stdout
    assert got == _joined(b"%s\t%d" % (ref.id_to_piece(i).encode(), i) for i in range(len(ref)))


def test_export_vocab_matches_trainer_vocab_file(tmp_path):
    prefix = tmp_path / "m"
    spm.SentencePieceTrainer.train(
        input=str(BUNDLED_TEXT), model_prefix=str(prefix), model_type="bpe", vocab_size=400, minloglevel=2
    )
    got = run_spbpe("export-vocab", "--model", f"{prefix}.model").stdout
    assert got == (tmp_path / "m.vocab").read_bytes()


def _normalizer_out(norm, lines):
    outs = []
    for x in lines:
        y = norm.normalize(_text(x))
        outs.append(y if isinstance(y, bytes) else y.encode())
    return _joined(outs)


def test_normalize(model, ref, lines, input_file):
    got = run_spbpe("normalize", f"--model={model}", input_file).stdout
    norm = spm.SentencePieceNormalizer(
        model_file=model, add_dummy_prefix=False, escape_whitespaces=False, remove_extra_whitespaces=True
    )
    assert got == _normalizer_out(norm, lines)
    got = run_spbpe("normalize", f"--model={model}", "--remove_extra_whitespaces=false", input_file).stdout
    norm = spm.SentencePieceNormalizer(
        model_file=model, add_dummy_prefix=False, escape_whitespaces=False, remove_extra_whitespaces=False
    )
    assert got == _normalizer_out(norm, lines)
    got = run_spbpe("normalize", f"--model={model}", "--use_internal_normalization", input_file).stdout
    assert got == _normalizer_out(ref, lines)


def test_normalize_with_rule_name(lines, input_file):
    got = run_spbpe("normalize", "--normalization_rule_name=nmt_nfkc", input_file).stdout
    norm = spm.SentencePieceNormalizer(
        rule_name="nmt_nfkc", add_dummy_prefix=False, escape_whitespaces=False, remove_extra_whitespaces=True
    )
    assert got == _normalizer_out(norm, lines)
    assert "ＡＢＣ" in (BUNDLED_TEXT.read_text()[:0] + "ＡＢＣ") and b"ABC" in got


def test_train_gives_the_official_model(tmp_path, monkeypatch):
    opts = ["--input", str(BUNDLED_TEXT), "--vocab_size=500", "--byte_fallback=true", "--character_coverage", "0.9995"]
    (tmp_path / "ours").mkdir()
    (tmp_path / "ref").mkdir()
    p = run_spbpe("train", "--model_prefix=m", *opts, cwd=tmp_path / "ours")  # model_prefix is stored in the model
    assert b"trained in" in p.stderr
    monkeypatch.chdir(tmp_path / "ref")
    spm.SentencePieceTrainer.train(
        input=str(BUNDLED_TEXT),
        model_prefix="m",
        model_type="bpe",
        vocab_size=500,
        byte_fallback=True,
        character_coverage=0.9995,
        minloglevel=2,
    )
    assert (tmp_path / "ours/m.model").read_bytes() == (tmp_path / "ref/m.model").read_bytes()
    assert (tmp_path / "ours/m.vocab").read_bytes() == (tmp_path / "ref/m.vocab").read_bytes()


def test_inspect(model, ref):
    text = run_spbpe("inspect", f"--model={model}").stdout.decode()
    assert f"vocab size     {len(ref):,}" in text and "type           bpe" in text
    assert f"bos '<s>'={ref.bos_id()}" in text and "byte fallback  yes" in text
    info = json.loads(run_spbpe("inspect", "--json", f"--model={model}").stdout)
    assert info["vocab_size"] == len(ref)
    counts = {
        "byte": sum(ref.is_byte(i) for i in range(len(ref))),
        "control": sum(ref.is_control(i) for i in range(len(ref))),
    }
    assert info["piece_types"]["byte"] == counts["byte"] == 256
    assert info["piece_types"]["control"] == counts["control"]
    assert sum(info["piece_types"].values()) == len(ref)
    longest = info["longest_pieces"][0]
    assert ref.id_to_piece(longest[1]) == longest[0]


@pytest.mark.parametrize(
    "args, needle",
    [
        (["encode", "--model=/no/such.model"], "No such file"),
        (["encode", "--model={model}", "--extra_options=bos:nope"], "unknown extra option 'nope'"),
        (["encode", "--model={model}", "--output_format=nbest_id"], "needs a unigram model"),
        (["encode", "--model={model}", "--output_format=proto"], "unsupported output format"),
        (["decode", "--model={model}", "--input_format=id"], "out of range"),
        (["export-vocab", "--model={bad}"], "not a SentencePiece model"),
        (["train", "--input={bad}", "--model_prefix={tmp}/x", "--vocab_size=ten"], "vocab_size"),
        (["verify", "--model={model}"], "nothing to check"),
    ],
)
def test_errors_are_one_line(model, tmp_path, args, needle):
    bad = tmp_path / "bad.model"
    bad.write_bytes(b"\xff\xff\xff not a model")
    args = [a.format(model=model, bad=bad, tmp=tmp_path) for a in args]
    p = run_spbpe(*args, input=b"99999999\n", check=False)
    err = p.stderr.decode()
    assert p.returncode == 1, err
    assert err.startswith("spbpe: error: ") and err.count("\n") == 1 and needle in err, err


def test_demo_still_works(tmp_path):
    p = run_spbpe("demo", "--vocab-size=600", f"--output-dir={tmp_path}", "Hello world")
    out = p.stdout.decode()
    assert "round trip ok" in out and (tmp_path / "demo.model").exists()


def test_demo_leaves_no_temporary_directory(tmp_path):
    env = {"TMPDIR": str(tmp_path)}
    p = run_spbpe("demo", "--vocab-size=600", "Hello", env=env)
    assert "round trip ok" in p.stdout.decode() and list(tmp_path.iterdir()) == []
    p = run_spbpe("demo", "--vocab-size=-3", env=env, check=False)  # the trainer refuses: cleaned up all the same
    assert p.returncode == 1 and p.stderr.decode().startswith("spbpe: error: ")
    assert list(tmp_path.iterdir()) == []


def test_encode_nbest_and_sample_on_a_unigram_model(tmp_path):
    """spm_encode's nbest_piece / nbest_id: one line per segmentation, best first; as sentencepiece's nbest_encode."""
    spm = pytest.importorskip("sentencepiece")
    prefix = tmp_path / "uni"
    spm.SentencePieceTrainer.train(input=str(BUNDLED_TEXT), model_prefix=str(prefix), vocab_size=500, minloglevel=2)
    ref = spm.SentencePieceProcessor(model_file=f"{prefix}.model")
    lines = ["I was a reckless boy.", "", "Tokenizers split text into pieces 日本"]
    f = write_lines(tmp_path / "in.txt", [x.encode() for x in lines])
    for fmt, out_type in (("nbest_piece", str), ("nbest_id", int)):
        got = run_spbpe("encode", f"--model={prefix}.model", f"--output_format={fmt}", "--nbest_size=3", f).stdout
        want = [" ".join(map(str, seq)) for x in lines for seq in ref.nbest_encode(x, nbest_size=3, out_type=out_type)]
        assert got == _joined(w.encode() for w in want)
    got = run_spbpe("encode", f"--model={prefix}.model", "--output_format=nbest_id", f).stdout
    assert len(got.splitlines()) == sum(len(ref.nbest_encode(x, nbest_size=10)) for x in lines)  # spm_encode's 10
    got = run_spbpe("encode", f"--model={prefix}.model", "--output_format=sample_piece", "--alpha=0.1", f).stdout
    assert [x.replace(" ", "").replace("▁", " ").strip() for x in got.decode().splitlines()] == [
        x.strip() for x in lines
    ]
