"""Encode with offsets against sentencepiece 0.2.3: out_type="proto" and
"serialized_proto" (every piece's piece, id, surface, begin, end; the same
bytes), out_type="offset_mapping", and encode_with_offsets."""

import pytest

import spbpe
from tests.helpers.hard_cases import HARD_CASES, random_strings
from tests.helpers.models import real_model_paths, shared_path

spm = pytest.importorskip("sentencepiece")


def _corpus_sample():
    out = []
    base = shared_path("corpora")
    if base:
        for sub, name in (
            ("multilingual", "mixed_shuffled.txt"),
            ("special", "emoji_sequences.txt"),
            ("adversarial", "adversarial.txt"),
            ("special", "combining_marks.tsv"),
        ):
            p = base / sub / name
            if p.exists():
                with open(p, encoding="utf-8", errors="surrogateescape") as f:
                    out += [line.rstrip("\n") for _, line in zip(range(80), f)]
    return [x.encode("utf-8", "surrogateescape") if any("\udc80" <= c <= "\udcff" for c in x) else x for x in out]


INPUTS = (
    list(HARD_CASES)
    + random_strings(120, seed=21)
    + _corpus_sample()
    + ["ﬁ", "    hello", "hello    ", "Hello 😀 wörld"]
)


def _models(trained_models):
    out = dict(trained_models)
    out.update({k: v for k, v in real_model_paths().items() if k in ("llama2.model", "tokenizer.model.v1")})
    return out


def _pieces(p):
    return [(x.piece, x.id, x.surface, x.begin, x.end, x.HasField("surface")) for x in p.pieces]


@pytest.mark.slow  # 30-45 s
def test_proto_and_offsets_match(trained_models):
    for name, path in sorted(_models(trained_models).items()):
        ours = spbpe.SentencePieceProcessor(model_file=str(path))
        ref = spm.SentencePieceProcessor(model_file=str(path))
        for x in INPUTS:
            a, b = ours.encode(x, out_type="proto"), ref.encode(x, out_type="proto")
            assert (a.text, _pieces(a)) == (b.text, _pieces(b)), (name, x)
            assert ours.encode(x, out_type="serialized_proto") == ref.encode(x, out_type="serialized_proto"), (name, x)
            om = ref.encode(x, out_type="offset_mapping")
            assert ours.encode(x, out_type="offset_mapping") == om, (name, x)
            assert ours.encode_with_offsets(x) == [(i, s, e) for i, (s, e) in zip(om["ids"], om["offsets"])], (name, x)


def test_byte_fallback_spans(trained_models):
    # The last byte piece of a character carries its span; the others are
    # empty at its start and have no surface.
    sp = spbpe.SentencePieceProcessor(model_file=str(trained_models["bf_identity"]))
    text = "a\U0001f9ea"  # a rare emoji: not in the small vocabulary
    pieces = sp.encode(text, out_type="proto").pieces
    byte_pieces = [p for p in pieces if p.piece.startswith("<0x")]
    assert [p.piece for p in byte_pieces] == ["<0xF0>", "<0x9F>", "<0xA7>", "<0xAA>"]
    assert [(p.begin, p.end, p.surface, p.HasField("surface")) for p in byte_pieces] == [
        (1, 1, "", False),
        (1, 1, "", False),
        (1, 1, "", False),
        (1, 5, text[1], True),
    ]
    assert sp.encode_with_offsets(text)[-4:] == [
        (byte_pieces[0].id, 1, 1),
        (byte_pieces[1].id, 1, 1),
        (byte_pieces[2].id, 1, 1),
        (byte_pieces[3].id, 1, 2),
    ]


def test_proto_api_details(trained_models):
    path = str(trained_models["nfkc_default"])
    ours, ref = spbpe.SentencePieceProcessor(model_file=path), spm.SentencePieceProcessor(model_file=path)
    batch = ["a b", "", "x\u00e9"]
    assert [_pieces(p) for p in ours.encode(batch, out_type="proto")] == [
        _pieces(p) for p in ref.encode(batch, out_type="proto")
    ]
    assert ours.encode(batch, out_type="serialized_proto") == ref.encode(batch, out_type="serialized_proto")
    assert ours.encode_with_offsets(batch) == [ours.encode_with_offsets(x) for x in batch]
    assert ours.encode_with_offsets(b"x\xc3\xa9") == [
        (i, s, e)
        for i, (s, e) in zip(*(lambda m: (m["ids"], m["offsets"]))(ref.encode(b"x\xc3\xa9", out_type="offset_mapping")))
    ]
    for kw in (dict(add_bos=True), dict(add_eos=True), dict(reverse=True), dict(emit_unk_piece=True)):
        with pytest.raises(RuntimeError):
            ref.encode("ab", out_type="proto", **kw)
        with pytest.raises(spbpe.UnsupportedError):
            ours.encode("ab", out_type="proto", **kw)
    with pytest.raises(ValueError, match="immutable_proto"):
        ours.encode("ab", out_type="immutable_proto")
    # Sampling is allowed with the proto API, as in sentencepiece.
    p = ours.encode("hello world", out_type="proto", enable_sampling=True, alpha=0.5)
    assert "".join(x.surface for x in p.pieces) == "hello world"
    assert ours.EncodeWithOffsets("ab") == ours.encode_with_offsets("ab")
