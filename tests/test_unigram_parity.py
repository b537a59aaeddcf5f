"""Unigram, char and word models: encode, decode, offsets and n-best lists
identical to sentencepiece 0.2.3 (computed at test time), on sentencepiece's
own test models (../shared/sentencepiece_tests, skipped when absent) and on
models trained here with sentencepiece with unusual options, over the
bundled text and ../shared/corpora when present."""

import pathlib

import pytest

import spbpe
from tests.helpers.models import BUNDLED_TEXT, corpus_lines, shared_path

spm = pytest.importorskip("sentencepiece")

# Trained with sentencepiece here: the options issue 15 names, plus char and word models.
CONFIGS = {
    "uni_nmt_nfkc_cov": dict(model_type="unigram", vocab_size=1200, character_coverage=0.98),
    "uni_identity_bf_udef": dict(
        model_type="unigram",
        vocab_size=2000,
        character_coverage=0.995,
        normalization_rule_name="identity",
        byte_fallback=True,
        user_defined_symbols=["<sep>", "[REF]", "▁the", "ab c", "ing"],
        control_symbols=["<cls>"],
    ),
    "uni_nfkc_cf_suffix": dict(
        model_type="unigram", vocab_size=1800, normalization_rule_name="nfkc_cf", treat_whitespace_as_suffix=True
    ),
    "char": dict(model_type="char", vocab_size=300, character_coverage=0.98, hard_vocab_limit=False),
    "word": dict(model_type="word", vocab_size=2000, hard_vocab_limit=False),
}


def _training_text(path: pathlib.Path) -> pathlib.Path:
    lines = BUNDLED_TEXT.read_text(encoding="utf-8").splitlines()
    base = shared_path("corpora", "multilingual")
    if base:  # a few non-Latin lines so that character_coverage < 1 drops rare characters
        for name in ("ja.txt", "ru.txt", "hi.txt", "el.txt"):
            f = base / name
            if f.exists():
                lines += f.read_text(encoding="utf-8").splitlines()[:150]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("unigram_models")
    text = _training_text(tmp / "train.txt")
    out = {}
    for name, cfg in CONFIGS.items():
        prefix = tmp / name
        spm.SentencePieceTrainer.train(
            input=str(text), model_prefix=str(prefix), num_threads=1, minloglevel=2, **cfg
        )  # fmt: skip
        out[name] = prefix.with_suffix(".model")
    for name in ("botchan_en_unigram_1000.model", "kyoto_ja_unigram_8000.model"):
        p = shared_path("sentencepiece_tests", name)
        if p:
            out[name] = p
    return out


HARD = [
    "",
    " ",
    "Hello world",
    "  leading and   inner   spaces  ",
    ".......",
    "Hotta....... if you start a scrimmage here",
    "日本語のテキストと English mixed",
    "emoji 😀🎉 and ℌ𝔢𝔩𝔩𝔬 math",
    "<sep>[REF] ab c the thing <cls> sing ing",
    "ｆｕｌｌ ｗｉｄｔｈ and ﬁ ligature",
    "\u0301combining first",
    "tabs\tand\nnewlines",
    "x" * 300,
    "unknown ☃☃☃ run ✈",
]


def _lines(limit_per_file=60):
    lines = list(HARD)
    lines += BUNDLED_TEXT.read_text(encoding="utf-8").splitlines()[:400]
    if shared_path("corpora"):
        lines += [line for _, line in corpus_lines(max_lines_per_file=limit_per_file)]
    return [ln for ln in lines if "\udc80" > ln or all(not 0xDC80 <= ord(c) <= 0xDCFF for c in ln)]


@pytest.mark.parametrize("name", list(CONFIGS) + ["botchan_en_unigram_1000.model", "kyoto_ja_unigram_8000.model"])
def test_encode_decode_offsets_match_sentencepiece(models, name):
    if name not in models:
        pytest.skip(f"{name} not in ../shared/sentencepiece_tests")
    path = str(models[name])
    ref = spm.SentencePieceProcessor(model_file=path)
    ours = spbpe.SentencePieceProcessor(model_file=path)
    lines = _lines()
    same = 0
    for line in lines:
        ids = ref.encode(line)
        assert ours.encode(line) == ids, line
        assert ours.encode(line, out_type=str) == ref.encode(line, out_type=str), line
        assert ours.encode(line, out_type="serialized_proto") == ref.encode(line, out_type="serialized_proto"), line
        assert ours.decode(ids) == ref.decode(ids), line
        same += 1
    # batch (C threads) and options
    assert ours.encode(lines, num_threads=2) == ref.encode(lines)
    assert ours.encode(lines[:50], out_type=str, add_bos=True, add_eos=True, reverse=True) == ref.encode(
        lines[:50], out_type=str, add_bos=True, add_eos=True, reverse=True
    )
    assert ours.encode(lines[:50], out_type=str, emit_unk_piece=True) == ref.encode(
        lines[:50], out_type=str, emit_unk_piece=True
    )
    assert same == len(lines)


@pytest.mark.parametrize(
    "name", ["uni_nmt_nfkc_cov", "uni_identity_bf_udef", "uni_nfkc_cf_suffix", "kyoto_ja_unigram_8000.model"]
)
def test_nbest_matches_sentencepiece(models, name):
    if name not in models:
        pytest.skip(f"{name} not in ../shared/sentencepiece_tests")
    path = str(models[name])
    ref = spm.SentencePieceProcessor(model_file=path)
    ours = spbpe.SentencePieceProcessor(model_file=path)
    lines = [ln for ln in _lines(limit_per_file=8) if len(ln) < 200]
    for line in lines:
        for n in (1, 2, 7):
            assert ours.nbest_encode(line, nbest_size=n) == ref.nbest_encode(line, nbest_size=n), (line, n)
        want = ref.nbest_encode(line, nbest_size=5, out_type="serialized_proto")
        assert ours.nbest_encode(line, nbest_size=5, out_type="serialized_proto") == want, line
        assert ours.nbest_encode_as_pieces(line, 3) == ref.nbest_encode_as_pieces(line, 3), line


def test_nbest_refused_for_other_model_types(models):
    ours = spbpe.SentencePieceProcessor(model_file=str(models["char"]))
    with pytest.raises(spbpe.SpbpeError):
        ours.nbest_encode("hello", nbest_size=3)
    with pytest.raises(spbpe.SpbpeError):
        ours.encode("hello", enable_sampling=True, alpha=0.1, nbest_size=-1)


def _long_documents():
    """Documents long enough that sentencepiece's running path score passes
    1e5 (about ten thousand tokens) and is rebased, many times over."""
    text = BUNDLED_TEXT.read_text(encoding="utf-8")
    lines = text.splitlines()
    docs = ["\n".join(lines[:2000]), text]
    multi = shared_path("corpora", "multilingual")
    if multi:
        for name, size in (("mixed_shuffled.txt", 1_500_000), ("ja_wagahaiwa_nekodearu.txt", 600_000)):
            f = multi / name
            if f.exists():
                docs.append(f.read_bytes()[:size].decode("utf-8", errors="ignore"))
    return docs


@pytest.mark.parametrize(
    "name",
    ["uni_identity_bf_udef", "uni_nfkc_cf_suffix", "botchan_en_unigram_1000.model", "kyoto_ja_unigram_8000.model"],
)
def test_long_documents_match_sentencepiece(models, name):
    if name not in models:
        pytest.skip(f"{name} not in ../shared/sentencepiece_tests")
    path = str(models[name])
    ref = spm.SentencePieceProcessor(model_file=path)
    ours = spbpe.SentencePieceProcessor(model_file=path)
    docs = _long_documents()
    want = [ref.encode(d) for d in docs]
    assert [ours.encode(d) for d in docs] == want
    assert ours.encode(docs, num_threads=2) == want


def test_user_defined_scores_match_sentencepiece(tmp_path):
    # A USER_DEFINED piece scores (float)((length - 1) * 0.1): for 3, 7 and
    # 21 characters that differs by one ulp from 0.1f * length - 0.1f, which
    # the n-best protos' scores show.
    prefix = tmp_path / "udef"
    spm.SentencePieceTrainer.train(
        input=str(BUNDLED_TEXT), model_prefix=str(prefix), vocab_size=1000, num_threads=1, minloglevel=2,
        user_defined_symbols=["ing", "abcdefg", "xyz" * 7, "qq", "tion"],
    )  # fmt: skip
    path = str(prefix) + ".model"
    ref = spm.SentencePieceProcessor(model_file=path)
    ours = spbpe.SentencePieceProcessor(model_file=path)
    for line in ["singing abcdefg " + "xyz" * 7 + " qq nation", "ing", "abcdefgabcdefg", "xyz" * 7 + "ing"]:
        for n in (1, 3):
            want = ref.nbest_encode(line, nbest_size=n, out_type="serialized_proto")
            assert ours.nbest_encode(line, nbest_size=n, out_type="serialized_proto") == want, (line, n)
        assert ours.encode(line) == ref.encode(line)
