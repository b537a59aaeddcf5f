"""Parity holes of issue 12, each against the official sentencepiece 0.2.3.

Every test computes the expected result with sentencepiece itself (small
models are trained here, with sentencepiece), so none needs ../shared.
"""

import io
import pathlib
import random
import struct

import pytest

spm = pytest.importorskip("sentencepiece")
from sentencepiece import sentencepiece_model_pb2 as pb  # noqa: E402

import spbpe  # noqa: E402
from spbpe import ModelEditor  # noqa: E402
from spbpe._proto import model_pb2  # noqa: E402
from spbpe.trainer import SentencePieceTrainer, TrainerRefusedError  # noqa: E402


def sentencepiece_botchan_model(**options):
    """Bytes of a BPE model that sentencepiece trains on botchan with these options."""
    buf = io.BytesIO()
    spm.SentencePieceTrainer.train(
        input=str(BOTCHAN), model_writer=buf, model_type="bpe", minloglevel=2, num_threads=1, **options
    )
    return buf.getvalue()


def train_both(lines, **kw):
    """Model bytes from sentencepiece and from spbpe trained on `lines`."""
    out = []
    for trainer in (spm.SentencePieceTrainer, SentencePieceTrainer):
        buf = io.BytesIO()
        trainer.train(
            sentence_iterator=iter(lines), model_writer=buf, model_type="bpe", minloglevel=2, num_threads=1, **kw
        )
        out.append(buf.getvalue())
    return out


def pieces(model_bytes):
    m = pb.ModelProto()
    m.ParseFromString(model_bytes)
    return [(p.piece, p.score, p.type) for p in m.pieces]


def assert_same_models(ref, ours):
    a, b = pieces(ref), pieces(ours)
    diff = [i for i in range(max(len(a), len(b))) if i >= min(len(a), len(b)) or a[i] != b[i]]
    assert not diff, (
        f"{len(diff)} differing pieces, first #{diff[0]}: "
        f"{a[diff[0]] if diff[0] < len(a) else None} != {b[diff[0]] if diff[0] < len(b) else None}"
    )
    assert ref == ours


# --- 1. Unicode script table ------------------------------------------------


def test_canadian_aboriginal_is_not_common():
    # The example: ᐃ (U+1403) must not merge with ".", so 7 pieces
    # is all there is and 8 is refused.
    assert_same_models(*train_both(["ᐃ."], vocab_size=7))
    for trainer in (spm.SentencePieceTrainer, SentencePieceTrainer):
        with pytest.raises(Exception, match=r"Vocabulary size too high \(8\)"):
            trainer.train(
                sentence_iterator=iter(["ᐃ."]), model_writer=io.BytesIO(), model_type="bpe", vocab_size=8, minloglevel=2
            )


def _valid(c):
    # Code points a UTF-8 training line can hold and that are not special to the trainer.
    return c <= 0x10FFFF and not (0xD800 <= c <= 0xDFFF) and c not in (0x00, 0x0A, 0x0D, 0x20, 0x2581, 0x2047)


def _script_probe_lines(lo, hi):
    """Lines whose two-character pieces are valid exactly when the scripts allow.

    For each code point c: "c." and ".c" (valid only when c is Common or
    Inherited), "ac" (only when Latin or Inherited), and c next to c+1 (only
    when both are in one script), so every script boundary and every
    Common/Inherited code point shows in the vocabulary.
    """
    lines = []
    for c in range(lo, hi):
        if not _valid(c):
            continue
        ch = chr(c)
        lines += [ch + ".", "." + ch, "a" + ch]
        if _valid(c + 1):
            lines.append(ch + chr(c + 1))
    return lines


SCRIPT_SPANS = [(0x0, 0x10000), (0x10000, 0x20000), (0x20000, 0x32400), (0xE0000, 0xE0200)]


@pytest.mark.parametrize("lo, hi", SCRIPT_SPANS, ids=[f"{lo:X}" for lo, _ in SCRIPT_SPANS])
def test_script_of_every_code_point(lo, hi):
    # All assigned planes, every code point (sentencepiece's table ends at U+E01EF).
    lines = _script_probe_lines(lo, hi)
    assert_same_models(
        *train_both(
            lines,
            vocab_size=4 * len(lines),
            hard_vocab_limit=False,
            character_coverage=1.0,
            normalization_rule_name="identity",
            add_dummy_prefix=False,
        )
    )


def test_script_of_unassigned_planes_sample():
    lines = []
    for lo in (0x40000, 0x50000, 0x70000, 0xA0000, 0xF0000, 0x10FF00):
        lines += _script_probe_lines(lo, lo + 0x100)
    assert_same_models(
        *train_both(
            lines,
            vocab_size=4 * len(lines),
            hard_vocab_limit=False,
            character_coverage=1.0,
            normalization_rule_name="identity",
            add_dummy_prefix=False,
        )
    )


# --- 2. Scores of -0.0, +0.0 and NaN ----------------------------------------

BOTCHAN = pathlib.Path(__file__).resolve().parent.parent / "spbpe" / "data" / "botchan.txt"


@pytest.fixture(scope="module")
def botchan_model():
    """A small BPE model trained with sentencepiece (its first merge scores -0.0)."""
    buf = io.BytesIO(sentencepiece_botchan_model(vocab_size=600, byte_fallback=True))
    return buf.getvalue()


def _texts(count=300, seed=3):
    lines = [x for x in BOTCHAN.read_text(encoding="utf-8").split("\n") if x.strip()]
    rng = random.Random(seed)
    texts = rng.sample(lines, count)
    texts += [
        "the " * 30,
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "abababababababab cdcdcdcd",
        "eeeeeeeeee",
        "theeeeeeee thethe ththththt",
        "x" * 300,
    ]
    return texts


def assert_encodes_alike(model_bytes, texts):
    """spbpe (batch, one call per text, plain path) against sentencepiece."""
    ref = spm.SentencePieceProcessor(model_proto=model_bytes)
    ours = spbpe.SentencePieceProcessor(model_proto=model_bytes)
    expected = ref.encode(texts)
    assert ours.encode(texts) == expected
    assert [ours.encode(t) for t in texts] == expected
    assert [ours.encode(t) for t in texts] == expected  # warm word cache and pair memo
    assert [ours._m.encode_ids(t.encode(), reference_path=True) for t in texts] == expected


def _f32(bits):
    return struct.unpack("<f", struct.pack("<I", bits))[0]


NEG_ZERO, POS_ZERO = _f32(0x80000000), 0.0
POS_NAN, NEG_NAN = _f32(0x7FC00000), _f32(0xFFC00000)


def test_set_score_zero_outranks_first_merge(botchan_model):
    # The README's edit, set_score(piece, 0.0), on a piece that overlaps the
    # first merge "▁t" (score -0.0): "th" at +0.0 must merge first in "▁th...".
    ed = ModelEditor.from_bytes(botchan_model)
    first = next(p for p in ed.proto.pieces if p.type == 1)
    assert (first.piece, struct.pack("<f", first.score)) == ("▁t", b"\x00\x00\x00\x80")
    ed.add_piece("th", "NORMAL", score=-5.0)
    ed.set_score("th", 0.0)
    ed.set_score("▁the", 0.0)
    assert_encodes_alike(ed.to_bytes(), _texts() + ["this that those", "the thin thing"])


@pytest.mark.parametrize(
    "choices",
    [
        (NEG_ZERO, POS_ZERO),
        (NEG_ZERO, POS_ZERO, POS_NAN),
        (POS_NAN, NEG_NAN, -1.0, 1.0),
        (NEG_ZERO, POS_ZERO, POS_NAN, NEG_NAN, float("inf"), float("-inf"), -1e-45, 1e-45, -2.0),
    ],
    ids=["zeros", "zeros_nan", "nans", "everything"],
)
def test_score_order_of_zeros_and_nans(botchan_model, choices):
    rng = random.Random(len(choices))
    proto = model_pb2.ModelProto()
    proto.ParseFromString(botchan_model)
    for p in proto.pieces:
        if p.type == 1:
            p.score = rng.choice(choices)
    data = proto.SerializeToString()
    bits = {struct.pack("<f", p.score) for p in model_pb2.ModelProto.FromString(data).pieces if p.type == 1}
    assert bits == {struct.pack("<f", c) for c in choices}  # the signs and NaNs survive serialization
    assert_encodes_alike(data, _texts())


# --- 3. A single-character piece of type UNUSED -------------------------------


def _proto_view(p):
    return [(x.piece, x.id, x.surface, x.begin, x.end) for x in p.pieces]


def assert_all_outputs_alike(model_bytes, texts, **kw):
    """ids, pieces and offsets of spbpe against sentencepiece, with options kw."""
    ref = spm.SentencePieceProcessor(model_proto=model_bytes)
    ours = spbpe.SentencePieceProcessor(model_proto=model_bytes)
    for t in texts:
        assert ours.encode(t, **kw) == ref.encode(t, **kw), t
        assert ours.encode(t, out_type=str, **kw) == ref.encode(t, out_type=str, **kw), t
        if not kw:  # sentencepiece's proto API takes no options
            assert _proto_view(ours.encode(t, out_type="proto")) == _proto_view(ref.encode(t, out_type="proto")), t
            assert ours._m.encode_ids(t.encode(), reference_path=True) == ref.encode(t), t
    assert ours.encode(texts, **kw) == ref.encode(texts, **kw)


UNUSED_TEXTS = ["x", "xx", "xxx", "axb", "x☃x", "☃x☃", "a x b", "box fox", "x y z", "xylophone", "taxi x", "ẋ x̂ xx☃☃x"]


@pytest.mark.parametrize("byte_fallback", [False, True])
def test_single_char_unused_piece_is_unknown(byte_fallback):
    buf = io.BytesIO(sentencepiece_botchan_model(vocab_size=600, byte_fallback=byte_fallback))
    ed = ModelEditor.from_bytes(buf.getvalue())
    ed.set_type("x", "UNUSED")
    assert len(ed.proto.pieces[ed.id_of("x")].piece) == 1
    data = ed.to_bytes()
    assert_all_outputs_alike(data, UNUSED_TEXTS + _texts(100))
    assert_all_outputs_alike(data, UNUSED_TEXTS, emit_unk_piece=True)


# --- 4. emit_unk_piece=True ---------------------------------------------------


@pytest.mark.parametrize("byte_fallback", [False, True])
def test_emit_unk_piece_keeps_runs_spelling_a_vocabulary_piece(byte_fallback):
    # An unknown run whose text is a control piece ("b" as bos, one emoji)
    # keeps its text: sentencepiece swaps only pieces whose text maps to unk_id.
    buf = io.BytesIO(
        sentencepiece_botchan_model(
            vocab_size=600, bos_piece="b", control_symbols=["😀", "<ctl>"], byte_fallback=byte_fallback
        )
    )
    texts = ["b", "bb", "a b c", "abc", "😀", "😀😀", "x😀y", "☃", "☃😀", "b☃", "<ctl>", "about the boat 😀!"]
    assert_all_outputs_alike(buf.getvalue(), texts)
    assert_all_outputs_alike(buf.getvalue(), texts, emit_unk_piece=True)
    assert_all_outputs_alike(buf.getvalue(), texts, emit_unk_piece=True, add_bos=True, reverse=True)


# --- 5. Options sentencepiece refuses -----------------------------------------


def outcome(trainer, **kw):
    """Model bytes, or the exception the trainer raised."""
    buf = io.BytesIO()
    try:
        trainer.train(
            input=str(BOTCHAN), model_writer=buf, model_type="bpe", vocab_size=400, minloglevel=2, num_threads=1, **kw
        )
    except Exception as e:  # noqa: BLE001 - compared with sentencepiece's below
        return e
    return buf.getvalue()


def assert_same_outcome(**kw):
    ref, ours = outcome(spm.SentencePieceTrainer, **kw), outcome(SentencePieceTrainer, **kw)
    if isinstance(ref, Exception):
        assert isinstance(ours, TrainerRefusedError), (kw, ref, ours)
        assert isinstance(ours, type(ref)), (kw, type(ref), ours)  # RuntimeError or ValueError, as sentencepiece
        assert isinstance(ours, RuntimeError) and isinstance(ours, ValueError)
        return ours
    assert not isinstance(ours, Exception), (kw, ours)
    assert_same_models(ref, ours)
    return None


@pytest.mark.parametrize("chars", ["a b", " ", "xyz ☃"])
def test_required_chars_with_space_refused(chars):
    err = assert_same_outcome(required_chars=chars)
    assert "space must not be included" in str(err)


def test_required_chars_with_ideographic_space_accepted():
    assert_same_outcome(required_chars="\u3000x")


@pytest.mark.parametrize("option", ["normalization_rule_tsv", "denormalization_rule_tsv"])
def test_identity_rule_refused(tmp_path, option):
    tsv = tmp_path / "rules.tsv"
    tsv.write_text("41\t41\n42\t43\n", encoding="utf-8")
    err = assert_same_outcome(**{option: str(tsv)})
    assert "Identity conversion is not allowed" in str(err)
    with pytest.raises(ValueError, match="Identity conversion"):
        spm.SentencePieceNormalizer(rule_tsv=str(tsv))
    with pytest.raises(ValueError, match="Identity conversion"):
        spbpe.SentencePieceNormalizer(rule_tsv=str(tsv))
    tsv.write_text("41 42\t41 42\n", encoding="utf-8")  # a multi-character identity too
    assert_same_outcome(**{option: str(tsv)})


@pytest.mark.parametrize("text", ["true ", " true", "1 ", " 0", "false\t", "\ntrue"])
def test_bool_text_with_whitespace_refused(text):
    assert_same_outcome(split_digits=text)


@pytest.mark.parametrize("text", ["True", "TRUE", "yes", "Y", "t", "1", "0", "no", "F", ""])
def test_bool_text_accepted_alike(text):
    assert_same_outcome(split_digits=text)


# --- 6. Options sentencepiece accepts -----------------------------------------


@pytest.mark.parametrize(
    "kw",
    [dict(), dict(normalization_rule_name="identity"), dict(normalization_rule_name="nfkc_cf", add_dummy_prefix=False)],
    ids=["default", "identity", "nfkc_cf"],
)
def test_empty_precompiled_charsmap_accepted(kw):
    assert_same_outcome(precompiled_charsmap="", **kw)


def _train_tsv(trainer, path, **kw):
    buf = io.BytesIO()
    trainer.train(
        input=str(path), input_format="tsv", model_writer=buf, model_type="bpe", minloglevel=2, num_threads=1, **kw
    )
    return buf.getvalue()


def test_tsv_counts_above_uint32(tmp_path):
    # Counts around 2^32 and 2^33 decide the merge order, next to small ones.
    big = {
        "hello": 2**32,
        "help": 2**32 - 1,
        "world": 2**33 + 5,
        "hold": 3 * 2**32,
        "word": 2**32 + 1,
        "low": 7,
        "lower": 2**40,
        "ell": 2**32,
    }
    lines = [f"{w}\t{c}" for w, c in big.items()]
    lines += [f"{w}\t{i + 1}" for i, w in enumerate(sorted(set(BOTCHAN.read_text(encoding="utf-8").split()))[:500])]
    tsv = tmp_path / "words.tsv"
    tsv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for kw in (
        dict(vocab_size=200, character_coverage=1.0),
        dict(vocab_size=900, hard_vocab_limit=False),
        dict(vocab_size=60),
    ):
        assert_same_models(_train_tsv(spm.SentencePieceTrainer, tsv, **kw), _train_tsv(SentencePieceTrainer, tsv, **kw))


def test_tsv_count_above_int64_refused(tmp_path):
    tsv = tmp_path / "words.tsv"
    tsv.write_text("hello\t9223372036854775808\nworld\t3\n", encoding="utf-8")
    for trainer in (spm.SentencePieceTrainer, SentencePieceTrainer):
        with pytest.raises(RuntimeError, match="Could not parse the frequency"):
            _train_tsv(trainer, tsv, vocab_size=20, hard_vocab_limit=False)


MIXED_LINES = [
    "吾輩は猫である。名前はまだ無い。",
    "Ünïcödé façade naïve café — «quotes» 2024",
    "Привет, как дела? Всё хорошо.",
    "مرحبا بالعالم",
    "😀 emoji 👍🏽 and ☃ snow ☃☃",
    "한국어 문장입니다. 日本語の文も。",
    "ᐃᓄᒃᑎᑐᑦ ᐅᖃᐅᓯᖅ",
    "naïve naïve naïve café café",
]


@pytest.mark.parametrize(
    "kw",
    [
        dict(vocab_size=300),
        dict(vocab_size=1200),
        dict(vocab_size=260),
        dict(vocab_size=900, hard_vocab_limit=False),
        dict(vocab_size=700, split_digits=True, user_defined_symbols=["<sep>", "the"], control_symbols=["<c>"]),
        dict(vocab_size=600, normalization_rule_name="identity", remove_extra_whitespaces=False),
        dict(vocab_size=600, pretokenization_delimiter="e"),
    ],
    ids=["300", "1200", "260", "soft", "symbols", "identity", "pretok"],
)
def test_auto_character_coverage(kw):
    # 0.2.3 merges every character and cuts the vocabulary by global search.
    lines = BOTCHAN.read_text(encoding="utf-8").split("\n")[:2000] + MIXED_LINES * 40
    kw = dict(kw, auto_character_coverage=True, byte_fallback=True)
    ref, ours = train_both(lines, **kw)
    assert_same_models(ref, ours)
    assert_encodes_alike(ref, MIXED_LINES + _texts(50))


@pytest.mark.parametrize(
    "kw, message",
    [
        (dict(vocab_size=300), "requires --byte_fallback=true"),
        (dict(vocab_size=300, byte_fallback=True, required_chars="x"), "cannot be used together with --required_chars"),
        (dict(vocab_size=259, byte_fallback=True), "must be larger than the number of meta pieces"),
    ],
)
def test_auto_character_coverage_refused_alike(kw, message):
    for trainer in (spm.SentencePieceTrainer, SentencePieceTrainer):
        with pytest.raises(RuntimeError, match=message):
            trainer.train(
                input=str(BOTCHAN),
                model_writer=io.BytesIO(),
                model_type="bpe",
                minloglevel=2,
                auto_character_coverage=True,
                **kw,
            )


# --- 7. out_type="offset_mapping" (differential fuzzer finds) ----------------


def _outcome(f, *args, **kw):
    """("ok", f(*args, **kw)) or ("error", the builtin class of its exception, message)."""
    try:
        return ("ok", f(*args, **kw))
    except (RuntimeError, ValueError, TypeError, IndexError) as e:
        for builtin in (RuntimeError, IndexError, TypeError, ValueError):
            if isinstance(e, builtin):
                return ("error", builtin, str(e))
        raise  # pragma: no cover


PROTO_OPTIONS = [
    dict(add_bos=True),
    dict(add_eos=True),
    dict(reverse=True),
    dict(emit_unk_piece=True),
    dict(add_bos=True, reverse=True),
    dict(emit_unk_piece=1),
]


@pytest.mark.parametrize("out_type", ["offset_mapping", "proto", "serialized_proto"])
@pytest.mark.parametrize("kw", PROTO_OPTIONS, ids=lambda kw: "+".join(kw))
def test_proto_api_refuses_options_alike(botchan_model, out_type, kw):
    # sentencepiece checks these options before anything else in C++ (an
    # empty batch, an input of the wrong type, a model without bos_id):
    # RuntimeError "UNIMPLEMENTED: ... not supported in proto API".
    ref = spm.SentencePieceProcessor(model_proto=botchan_model)
    ours = spbpe.SentencePieceProcessor(model_proto=botchan_model)
    for inp in ["ab", b"ab", "", [], ["a", b"\xff"], [""], ("a",), 5]:
        want = _outcome(ref.encode, inp, out_type=out_type, **kw)
        got = _outcome(ours.encode, inp, out_type=out_type, **kw)
        assert want[:2] == ("error", RuntimeError), (inp, want)
        assert got == want, inp
    with pytest.raises(
        RuntimeError,
        match=r"^UNIMPLEMENTED: add_bos, add_eos, reverse, and emit_unk_piece is not "
        r"supported in proto API$",
    ) as info:
        ours.encode("ab", out_type=out_type, **kw)
    assert isinstance(info.value, spbpe.SpbpeError)
    # The same options given to the constructor.
    ref = spm.SentencePieceProcessor(model_proto=botchan_model, out_type=out_type, **kw)
    ours = spbpe.SentencePieceProcessor(model_proto=botchan_model, out_type=out_type, **kw)
    assert _outcome(ours.encode, "ab") == _outcome(ref.encode, "ab")
    assert _outcome(ours.encode, []) == _outcome(ref.encode, [])


def model_without_bos_eos():
    """A small botchan model with no bos or eos piece, trained by sentencepiece."""
    buf = io.BytesIO(sentencepiece_botchan_model(vocab_size=400, bos_id=-1, eos_id=-1))
    return buf.getvalue()


def test_proto_api_refusal_order(tmp_path):
    # Python-level checks come first (return_bytes, sampling, num_threads);
    # the refusal comes before the model's own checks (no bos_id) and even
    # without a model.
    buf = io.BytesIO(model_without_bos_eos())
    calls = [
        ("ab", dict(out_type="offset_mapping", add_bos=True)),
        ("ab", dict(out_type="proto", add_eos=True)),
        ([], dict(out_type="offset_mapping", add_eos=True)),
        ("ab", dict(out_type="offset_mapping", reverse=True, return_bytes=True)),
        ("ab", dict(out_type="serialized_proto", reverse=True, return_bytes=True)),
        ("ab", dict(out_type="offset_mapping", reverse=True, enable_sampling=True, nbest_size=1)),
        ("ab", dict(out_type="offset_mapping", reverse=True, num_threads="2")),
        ("ab", dict(out_type="offset_mapping", add_bos=False, emit_unk_piece=0)),
        ("ab", dict(out_type=int, add_bos=True)),
    ]
    ref = spm.SentencePieceProcessor(model_proto=buf.getvalue())
    ours = spbpe.SentencePieceProcessor(model_proto=buf.getvalue())
    for inp, kw in calls:
        want = _outcome(ref.encode, inp, **kw)
        got = _outcome(ours.encode, inp, **kw)
        if want[0] == "error" and want[1] is not RuntimeError:
            assert got[:2] == want[:2], (inp, kw, got, want)  # the wording of these messages differs
        else:
            assert got == want, (inp, kw)
    for kw in (dict(out_type="offset_mapping", add_bos=True), dict(out_type="proto", emit_unk_piece=True)):
        want = _outcome(spm.SentencePieceProcessor().encode, "ab", **kw)
        assert _outcome(spbpe.SentencePieceProcessor().encode, "ab", **kw) == want
        assert want[:2] == ("error", RuntimeError)


def _random_bytes(rng, n):
    """Bytes that are mostly not UTF-8: stray continuation bytes, truncated
    and overlong sequences, lead bytes 0xF8-0xFF, next to ASCII and valid
    characters."""
    alphabet = [rng.randrange(256) for _ in range(6)] + [
        0x80,
        0xBF,
        0xC3,
        0xA9,
        0xE2,
        0x96,
        0x81,
        0xF0,
        0x9F,
        0xF8,
        0xFF,
        0x41,
        0x20,
        0x07,
    ]
    return bytes(rng.choice(alphabet) for _ in range(n))


@pytest.fixture(scope="module")
def offset_models(botchan_model):
    out = {"bf_nfkc": botchan_model}
    for name, kw in (
        ("nobf_nfkc", dict()),
        ("bf_identity", dict(byte_fallback=True, normalization_rule_name="identity", remove_extra_whitespaces=False)),
    ):
        buf = io.BytesIO()
        spm.SentencePieceTrainer.train(
            input=str(BOTCHAN), model_writer=buf, model_type="bpe", vocab_size=500, minloglevel=2, num_threads=1, **kw
        )
        out[name] = buf.getvalue()
    return out


@pytest.mark.parametrize("name", ["bf_nfkc", "nobf_nfkc", "bf_identity"])
def test_offset_mapping_characters_of_invalid_utf8(offset_models, name):
    # Character offsets count what sentencepiece's UTF8ToUnicodeOffsets
    # counts: one character per step of the lead byte's length (a stray
    # continuation byte is one; 0xE2 0x41 is one), and an offset inside a
    # step maps to that step's start.
    ref = spm.SentencePieceProcessor(model_proto=offset_models[name])
    ours = spbpe.SentencePieceProcessor(model_proto=offset_models[name])
    fuzz_finds = [b"\xd3\x8a\x18\x82\x07\x17", b"F\xeb\x0b", b">?;\xb4\x00\x00"]
    rng = random.Random(12)
    texts = fuzz_finds + [_random_bytes(rng, rng.randint(1, 14)) for _ in range(400)]
    for t in texts:
        for return_bytes in (False, True):
            assert ours.encode(t, out_type="offset_mapping", return_bytes=return_bytes) == ref.encode(
                t, out_type="offset_mapping", return_bytes=return_bytes
            ), (t, return_bytes)
    batch = [""] + texts[:60]  # a str first: character offsets for every item
    assert ours.encode(batch, out_type="offset_mapping") == ref.encode(batch, out_type="offset_mapping")


def test_empty_batch_checks_nothing_the_items_would():
    # sentencepiece checks bos_id/eos_id, and needs a model, only while it
    # encodes an item: an empty batch is [] without a model or a bos_id
    # (but the proto API's refusal and the Python-level checks still apply).
    buf = io.BytesIO(model_without_bos_eos())
    pairs = [
        (
            spm.SentencePieceProcessor(model_proto=buf.getvalue()),
            spbpe.SentencePieceProcessor(model_proto=buf.getvalue()),
        ),
        (spm.SentencePieceProcessor(), spbpe.SentencePieceProcessor()),
    ]
    for ref, ours in pairs:
        for out_type in (int, str, bytes, "numpy", "proto", "serialized_proto", "offset_mapping"):
            for kw in (
                dict(),
                dict(add_bos=True),
                dict(add_eos=True, reverse=True),
                dict(emit_unk_piece=True),
                dict(enable_sampling=True, alpha=0.1),
                dict(num_threads=1),
                dict(num_threads=1.5),
                dict(enable_sampling=True, nbest_size=0),
            ):
                want = _outcome(ref.encode, [], out_type=out_type, **kw)
                got = _outcome(ours.encode, [], out_type=out_type, **kw)
                if want[0] == "error" and want[1] is not RuntimeError:
                    assert got[:2] == want[:2], (out_type, kw, got, want)
                else:
                    assert got == want, (out_type, kw)
    ref, ours = pairs[0]
    for out_type in (int, str, bytes, "numpy"):  # one item: sentencepiece checks bos_id
        assert (
            _outcome(ours.encode, [""], out_type=out_type, add_bos=True)[:2]
            == _outcome(ref.encode, [""], out_type=out_type, add_bos=True)[:2]
            == ("error", ValueError)
        )


# --- 8. spbpe convert --to=tokenizers: merges in sentencepiece's score order --


def test_convert_orders_merges_by_score_bits(botchan_model, tmp_path):
    # HF ranks merges by position, sentencepiece by the merged piece's score
    # compared by its bits: +0.0 above -0.0 (the first merge, "▁t"), a
    # positive NaN above everything, a negative NaN below everything.
    tokenizers = pytest.importorskip("tokenizers")
    from spbpe.cli.convert import to_tokenizers_json

    ed = ModelEditor.from_bytes(botchan_model)
    assert struct.pack("<f", ed.proto.pieces[ed.id_of("▁t")].score) == b"\x00\x00\x00\x80"
    ed.add_piece("th", "NORMAL", score=POS_ZERO)
    for piece, score in (
        ("he", POS_NAN),
        ("in", NEG_NAN),
        ("er", float("inf")),
        ("an", float("-inf")),
        ("ou", _f32(1)),
        ("ed", _f32(0x80000001)),
    ):
        ed.set_score(piece, score)
    path = tmp_path / "edited.model"
    path.write_bytes(ed.to_bytes())
    hf = tokenizers.Tokenizer.from_str(to_tokenizers_json(str(path), special_tokens="vocab"))
    ref = spm.SentencePieceProcessor(model_file=str(path))
    texts = _texts(200) + [
        "the thin thing",
        "this that those",
        "in the inner inn",
        "other heather",
        "and an ant",
        "our out sound",
        "needed bed",
    ]
    differ = [t for t in texts if hf.encode(t, add_special_tokens=False).ids != ref.encode(t)]
    assert differ == []


# --- U+2581 below character_coverage ------------------------------------------
# Found by the differential fuzzer (seed 171668565): with add_dummy_prefix off
# and few spaces, U+2581 itself can fall below character_coverage.  sentencepiece
# then turns it into U+2585 and no longer splits words there; spbpe used to
# refuse to train.  Every split boundary touches a U+2581 and a pair with a rare
# character is never merged, so both must give the same model.


def _rare_space_lines(seed, n=400):
    rng = random.Random(seed)
    alphabet = "abcdefghijklmnopqrstuvwxyzあいうえおカキクケコ0123456789.,"
    lines = []
    for _ in range(n):
        word = "".join(rng.choice(alphabet) for _ in range(rng.randint(3, 40)))
        if rng.random() < 0.01:  # a few literal U+2581 and spaces, in mid-word
            k = rng.randrange(1, len(word))
            word = word[:k] + rng.choice(["▁", " ", "▁▁", " ▁"]) + word[k:]
        lines.append(word)
    return lines


@pytest.mark.parametrize(
    "kw",
    [
        dict(),
        dict(treat_whitespace_as_suffix=True),
        dict(allow_whitespace_only_pieces=True),
        dict(treat_whitespace_as_suffix=True, allow_whitespace_only_pieces=True),
        dict(split_by_unicode_script=False, split_by_number=False),
    ],
    ids=["prefix", "suffix", "ws-only", "suffix+ws-only", "no-script-split"],
)
@pytest.mark.parametrize("seed", [1, 2])
def test_rare_space_symbol_trains_alike(seed, kw):
    lines = _rare_space_lines(seed)
    opts = dict(vocab_size=150, add_dummy_prefix=False, character_coverage=0.995, **kw)
    ref, ours = train_both(lines, **opts)
    assert "▁" not in {p for p, _, _ in pieces(ref)}  # the case under test: U+2581 was rare
    assert_same_models(ref, ours)


def test_rare_space_symbol_tsv_fuzzer_case(tmp_path):
    # The fuzzer's reproducer, as counts: U+2581 occurs in one word of count 1.
    tsv = tmp_path / "words.tsv"
    tsv.write_text("͡▁𝒃\t1\n཈ͥཋ̿ནཐ\t40\n", encoding="utf-8")
    kw = dict(vocab_size=18, add_dummy_prefix=False)
    assert_same_models(_train_tsv(spm.SentencePieceTrainer, tsv, **kw), _train_tsv(SentencePieceTrainer, tsv, **kw))
