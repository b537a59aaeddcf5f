"""The BPE trainer against the official sentencepiece 0.2.3.

Each case trains with sentencepiece and with spbpe on the same input and
options and requires identical pieces, scores and types, identical .model
and .vocab bytes (both written under the same relative model_prefix), and
that sentencepiece encodes text with our model exactly as with its own.
"""

import io
import pathlib
import struct

import pytest

spm = pytest.importorskip("sentencepiece")
from sentencepiece import sentencepiece_model_pb2 as pb  # noqa: E402

from spbpe._proto.trainer_spec import split_csv  # noqa: E402
from spbpe.trainer import SentencePieceTrainer, TrainerError  # noqa: E402
from tests.helpers.parity import train_each  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
BOTCHAN = ROOT / "spbpe" / "data" / "botchan.txt"
SHARED = ROOT.parent / "shared" / "corpora"
WAGAHAI = SHARED / "multilingual" / "ja_wagahaiwa_nekodearu.txt"
MIXED = SHARED / "multilingual" / "mixed_shuffled.txt"

IDENTITY_BF = dict(byte_fallback=True, normalization_rule_name="identity", remove_extra_whitespaces=False)
CASES = {
    "default_2000": dict(vocab_size=2000),
    "default_8000": dict(vocab_size=8000),
    "byte_fallback_identity": dict(
        vocab_size=3000, split_digits=True, allow_whitespace_only_pieces=True, character_coverage=0.99995, **IDENTITY_BF
    ),
    "symbols": dict(
        vocab_size=1500,
        user_defined_symbols=["<sep>", "the", "▁and"],
        control_symbols=["<ctrl>", "</s>"],
        unk_id=3,
        bos_id=-1,
        pad_id=1499,
        **IDENTITY_BF,
    ),
    "split_digits_nfkc_cf": dict(vocab_size=1200, split_digits=True, normalization_rule_name="nmt_nfkc_cf"),
    "ws_suffix": dict(vocab_size=1000, treat_whitespace_as_suffix=True),
    "ws_suffix_ws_only": dict(
        vocab_size=1000,
        treat_whitespace_as_suffix=True,
        allow_whitespace_only_pieces=True,
        normalization_rule_name="identity",
        remove_extra_whitespaces=False,
    ),
    "no_ws_split": dict(vocab_size=1000, split_by_whitespace=False),
    "no_script_no_number": dict(
        vocab_size=1000, split_by_unicode_script=False, split_by_number=False, max_sentencepiece_length=6
    ),
    "required_chars": dict(vocab_size=800, required_chars="XYZ☃é", character_coverage=0.98),
    "soft_limit_tail": dict(vocab_size=30000, hard_vocab_limit=False),
    "first_1000": dict(vocab_size=1000, input_sentence_size=1000, shuffle_input_sentence=False),
    "pretok_delimiter": dict(vocab_size=1000, pretokenization_delimiter="e"),
    "no_dummy_prefix_nfkc": dict(vocab_size=1000, add_dummy_prefix=False, normalization_rule_name="nfkc"),
}


def train_both(tmp_path, inputs, **kw):
    """Train with both libraries under the same relative prefix; return their dirs."""
    dirs = train_each(tmp_path, input=[str(p) for p in inputs], model_type="bpe", num_threads=2, **kw)
    for d in dirs.values():
        if isinstance(d, Exception):
            raise d
    return dirs["spm"], dirs["spbpe"]


def pieces(path):
    m = pb.ModelProto()
    m.ParseFromString(path.read_bytes())
    return [(p.piece, p.score, p.type) for p in m.pieces]


def assert_same(ref, ours, sample_lines):
    a, b = pieces(ref / "m.model"), pieces(ours / "m.model")
    differing = [i for i in range(max(len(a), len(b))) if i >= min(len(a), len(b)) or a[i] != b[i]]
    assert not differing, f"{len(differing)} differing pieces, first #{differing[0]}"
    assert (ref / "m.model").read_bytes() == (ours / "m.model").read_bytes()
    assert (ref / "m.vocab").read_bytes() == (ours / "m.vocab").read_bytes()
    sp_ref = spm.SentencePieceProcessor(model_file=str(ref / "m.model"))
    sp_ours = spm.SentencePieceProcessor(model_file=str(ours / "m.model"))
    assert sp_ours.encode(sample_lines) == sp_ref.encode(sample_lines)


def sample(path, n=300):
    with open(path, encoding="utf-8", errors="replace") as f:
        return [line.rstrip("\n") for _, line in zip(range(n), f)]


@pytest.mark.parametrize("name", sorted(CASES))
def test_botchan_parity(tmp_path, name):
    ref, ours = train_both(tmp_path, [BOTCHAN], **CASES[name])
    assert_same(ref, ours, sample(BOTCHAN))


def test_first_merge_score_is_negative_zero(tmp_path):
    _, ours = train_both(tmp_path, [BOTCHAN], vocab_size=1000)
    first = pieces(ours / "m.model")[3]
    assert struct.pack("<f", first[1]) == b"\x00\x00\x00\x80"


def test_tsv_input(tmp_path):
    counts = {}
    for w in BOTCHAN.read_text(encoding="utf-8").split():
        counts[w] = counts.get(w, 0) + 1
    tsv = tmp_path / "words.tsv"
    tsv.write_text("".join(f"{w}\t{c}\n" for w, c in sorted(counts.items())), encoding="utf-8")
    ref, ours = train_both(tmp_path, [tsv], vocab_size=1500, input_format="tsv")
    assert_same(ref, ours, sample(BOTCHAN))


def test_command_string_and_iterator_and_writer(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    spm.SentencePieceTrainer.train(
        f"--input={BOTCHAN} --model_prefix=ref --model_type=bpe --vocab_size=900 --minloglevel=2"
    )
    SentencePieceTrainer.train(
        f"--input={BOTCHAN} --model_prefix=ref2 --model_type=bpe --vocab_size=900 --minloglevel=2"
    )
    assert pieces(tmp_path / "ref.model") == pieces(tmp_path / "ref2.model")
    lines = BOTCHAN.read_text(encoding="utf-8").split("\n")
    a, b = io.BytesIO(), io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines), model_writer=a, model_type="bpe", vocab_size=900, minloglevel=2
    )
    SentencePieceTrainer.train(
        sentence_iterator=iter(lines), model_writer=b, model_type="bpe", vocab_size=900, minloglevel=2
    )
    assert a.getvalue() == b.getvalue()


@pytest.mark.parametrize(
    "kw, word",
    [
        (dict(model_type="unigram", seed_sentencepieces_file="seeds.tsv"), "seed_sentencepieces_file"),
        (dict(model_type="bpe", no_such_option=1), "no_such_option"),
        (dict(model_type="bpe", character_coverage=0.5), "character_coverage"),
        (dict(model_type="bpe", normalization_rule_tsv="/nonexistent/rules.tsv"), "normalization_rule_tsv"),
        (dict(model_type="bpe", use_all_vocab=True), "use_all_vocab"),
    ],
)
def test_bad_or_unsupported_options_name_the_option(tmp_path, kw, word):
    with pytest.raises(TrainerError, match=word):
        SentencePieceTrainer.train(input=str(BOTCHAN), model_prefix=str(tmp_path / "m"), **kw)


def test_vocab_too_high_matches_sentencepiece(tmp_path):
    with pytest.raises(RuntimeError, match="Vocabulary size too high"):
        spm.SentencePieceTrainer.train(
            input=str(BOTCHAN), model_prefix=str(tmp_path / "a"), model_type="bpe", vocab_size=30000, minloglevel=2
        )
    with pytest.raises(TrainerError, match=r"Vocabulary size too high \(30000\)\. Please set it to a value <= 18720"):
        SentencePieceTrainer.train(
            input=str(BOTCHAN), model_prefix=str(tmp_path / "b"), model_type="bpe", vocab_size=30000
        )


def test_sampling_is_deterministic_with_seed(tmp_path):
    outs = []
    for _ in range(2):
        buf = io.BytesIO()
        SentencePieceTrainer.train(
            input=str(BOTCHAN), model_writer=buf, model_type="bpe", vocab_size=800, input_sentence_size=1000, seed=7
        )
        outs.append(buf.getvalue())
    assert outs[0] == outs[1]


def test_split_csv_matches_sentencepiece_rules():
    assert split_csv('a,"b,c",d') == ["a", "b,c", "d"]
    assert split_csv('"x""y"') == ['x"y']
    assert split_csv("a,") == ["a"]
    assert split_csv("") == []


@pytest.mark.skipif(not WAGAHAI.exists(), reason="needs ../shared/corpora")
def test_japanese_parity(tmp_path):
    ref, ours = train_both(tmp_path, [WAGAHAI], vocab_size=4000, **IDENTITY_BF)
    assert_same(ref, ours, sample(WAGAHAI, 50))


@pytest.mark.skipif(not MIXED.exists(), reason="needs ../shared/corpora")
def test_multilingual_parity(tmp_path):
    ref, ours = train_both(tmp_path, [MIXED], vocab_size=8000, input_sentence_size=20000, shuffle_input_sentence=False)
    assert_same(ref, ours, sample(MIXED, 300))


def _native_pieces(opts, data, threads):
    from spbpe._core.native_trainer import NativeTrainer

    native = NativeTrainer(dict(opts, num_threads=threads))
    try:
        native.add_lines(data)
        return native.train()
    finally:
        native.close()


@pytest.mark.parametrize(
    "kw",
    [dict(vocab_size=3000), dict(vocab_size=2000, **IDENTITY_BF), dict(vocab_size=1500, split_by_whitespace=False)],
)
def test_thread_count_does_not_change_the_vocabulary(kw):
    """Feeders split the buffer at line breaks into per-thread word tables;
    the vocabulary must not depend on how many (1 MiB of input, >= 4 chunks)."""
    from spbpe._proto.trainer_spec import parse_args
    from spbpe.trainer import _charsmap, _check_spec

    ts, ns = parse_args({k: str(v) for k, v in dict(kw, input="x", model_prefix="m", model_type="bpe").items()})
    opts = _check_spec(ts, ns)
    opts["charsmap"] = _charsmap(ns.get("name") or "nmt_nfkc")
    text = BOTCHAN.read_bytes()
    data = b"".join(text.upper() if i % 2 else text for i in range(4))
    one = _native_pieces(opts, data, 1)
    assert len(one) == kw["vocab_size"]
    for threads in (2, 3, 7):
        assert _native_pieces(opts, data, threads) == one
