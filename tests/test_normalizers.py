"""Every normalizer against sentencepiece 0.2.3.

* Models trained by the official sentencepiece (bundled text plus a
  multilingual sample from ../shared/corpora when present) with each rule
  name and a representative set of flags: ids, pieces, decode and normalize
  (with and without offsets) equal on the hard cases and corpus lines.
* spbpe.SentencePieceNormalizer against sentencepiece's, for every way of
  loading one.
* The rule-TSV compiler: byte-identical blobs, the built-in tables
  recompiled, and training with a TSV giving sentencepiece's model bytes.
* Hand-broken charsmap blobs: a clear error or a normal result, never a
  read out of bounds.
"""

import io
import struct

import pytest

import spbpe
from spbpe._charsmap.builder import CharsMapError, compile_charsmap, decompile_charsmap, parse_rule_tsv
from spbpe._proto import model_pb2
from tests.helpers.hard_cases import HARD_CASES, random_strings
from tests.helpers.models import BUNDLED_TEXT, ROOT, shared_path
from tests.helpers.parity import compare, describe

spm = pytest.importorskip("sentencepiece")

RULES = ("nmt_nfkc", "nfkc", "nmt_nfkc_cf", "nfkc_cf", "identity")
# (rule name, flags): every rule name, and each flag on and off at least once.
CONFIGS = {
    "nmt_nfkc": dict(normalization_rule_name="nmt_nfkc"),
    "nfkc_bf": dict(normalization_rule_name="nfkc", byte_fallback=True),
    "nmt_nfkc_cf_suffix": dict(normalization_rule_name="nmt_nfkc_cf", treat_whitespace_as_suffix=True),
    "nfkc_cf_keepws_bf": dict(normalization_rule_name="nfkc_cf", remove_extra_whitespaces=False, byte_fallback=True),
    "identity_rew": dict(normalization_rule_name="identity", remove_extra_whitespaces=True),
    "identity_bf_suffix_keepws": dict(
        normalization_rule_name="identity",
        byte_fallback=True,
        treat_whitespace_as_suffix=True,
        remove_extra_whitespaces=False,
    ),
    "nmt_nfkc_bf_suffix_keepws": dict(
        normalization_rule_name="nmt_nfkc",
        byte_fallback=True,
        treat_whitespace_as_suffix=True,
        remove_extra_whitespaces=False,
    ),
}
MULTILINGUAL = ("de.txt", "el.txt", "ja.txt", "ko.txt", "ru.txt", "hi.txt", "ar.txt", "zh_hans.txt", "th.txt", "vi.txt")


def _sample_lines(lines_per_file):
    """A multilingual sample from ../shared/corpora (empty when absent)."""
    base = shared_path("corpora", "multilingual")
    out = []
    if base:
        for name in MULTILINGUAL:
            p = base / name
            if p.exists():
                with open(p, encoding="utf-8", errors="replace") as f:
                    out += [line.rstrip("\n") for _, line in zip(range(lines_per_file), f)]
    return out


@pytest.fixture(scope="module")
def training_text(tmp_path_factory):
    d = tmp_path_factory.mktemp("norm_text")
    path = d / "train.txt"
    text = BUNDLED_TEXT.read_text(encoding="utf-8")
    path.write_text(text + "\n".join(_sample_lines(100)) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def norm_models(training_text, tmp_path_factory):
    d = tmp_path_factory.mktemp("norm_models")
    out = {}
    for name, cfg in CONFIGS.items():
        prefix = d / name
        spm.SentencePieceTrainer.train(
            input=str(training_text),
            model_prefix=str(prefix),
            model_type="bpe",
            vocab_size=1500,
            character_coverage=0.98,
            num_threads=2,
            minloglevel=2,
            **cfg,
        )
        out[name] = prefix.with_suffix(".model")
    return out


def _inputs():
    corpus = _sample_lines(40)
    base = shared_path("corpora")
    if base:
        for sub, name in (
            ("special", "combining_marks.tsv"),
            ("special", "emoji_sequences.txt"),
            ("adversarial", "adversarial.txt"),
        ):
            p = base / sub / name
            if p.exists():
                with open(p, encoding="utf-8", errors="surrogateescape") as f:
                    corpus += [line.rstrip("\n") for _, line in zip(range(150), f)]
    corpus = [x.encode("utf-8", "surrogateescape") if any("\udc80" <= c <= "\udcff" for c in x) else x for x in corpus]
    with open(BUNDLED_TEXT, encoding="utf-8") as f:
        corpus += [line.rstrip("\n") for _, line in zip(range(100), f)]
    return list(HARD_CASES) + random_strings(150, seed=7) + corpus


INPUTS = _inputs()


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_trained_model_parity(norm_models, name):
    diffs = compare(norm_models[name], INPUTS)
    assert not diffs, describe(diffs)


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_normalize_with_offsets(norm_models, name):
    ours = spbpe.SentencePieceProcessor(model_file=str(norm_models[name]))
    ref = spm.SentencePieceProcessor(model_file=str(norm_models[name]))
    for x in INPUTS:
        assert ours.normalize(x, with_offsets=True) == ref.normalize(x, with_offsets=True), repr(x)


# --------------------------------------------------- standalone normalizer

NORMALIZER_SOURCES = [dict(rule_name=r) for r in RULES] + [
    dict(rule_name="nmt_nfkc", add_dummy_prefix=False, remove_extra_whitespaces=False),
    dict(rule_name="nfkc_cf", escape_whitespaces=False),
    dict(rule_name="identity", escape_whitespaces=False, remove_extra_whitespaces=False),
    dict(rule_name="identity", add_dummy_prefix=False, remove_extra_whitespaces=True),
    dict(norm_map=[("A", "b"), ("xy", ""), ("ﬁ", "f i"), ("\u3000", " ")]),
]


def _same_normalizer(a, b, inputs):
    for x in inputs:
        for wo in (False, True):
            assert b.normalize(x, with_offsets=wo) == a.normalize(x, with_offsets=wo), (repr(x), wo)
    assert b.normalize(["a b", "ＡＢ"]) == a.normalize(["a b", "ＡＢ"])
    assert b.serialized_normalizer_spec() == a.serialized_normalizer_spec()
    assert b.serialized_model_proto() == a.serialized_model_proto()


@pytest.mark.parametrize("kwargs", NORMALIZER_SOURCES, ids=lambda k: "-".join(f"{a}={b}" for a, b in k.items())[:60])
def test_standalone_normalizer(kwargs):
    _same_normalizer(
        spm.SentencePieceNormalizer(**kwargs),
        spbpe.SentencePieceNormalizer(**kwargs),
        HARD_CASES + random_strings(60, seed=3) + [b"", b"a b", b"\xff x"],
    )


def _composing_strings(count, seed):
    """Characters that only begin rules (kana before U+3099/U+309A, Hangul
    leading jamo before vowels, Latin and Cyrillic letters before combining
    marks) next to the marks that continue those rules, to other
    characters, to ASCII and to the end of the text."""
    import random

    rng = random.Random(seed)
    starts = (
        "かきくけこさしすせそたちつてとはひふへほカキクケコハヒフヘホウゝヽワヰヱヲ"
        + "\u1100\u1103\u1109\u1112\uac00\uac01"
    )
    starts += "aeiouAEIOUnNcCyYеиЕИ" + "ｶｷｸﾊﾋﾌ"
    marks = "\u3099\u309a\uff9e\uff9f\u1161\u1169\u11a8\u0301\u0308\u0306\u0300"
    others = "の。、「」》漢字é ! 1\U0001f600\u2581"
    pool = starts * 3 + marks * 2 + others
    out = [c for c in starts] + [c + m for c in starts[:12] for m in marks[:4]]
    out += ["".join(rng.choice(pool) for _ in range(rng.randint(1, 12))) for _ in range(count)]
    return out


@pytest.mark.parametrize("rule", RULES)
def test_composing_characters(rule):
    # The normalizer copies a character whose bytes only begin rules without
    # walking the charsmap unless the next character may continue one.
    inputs = _composing_strings(400, seed=11)
    _same_normalizer(spm.SentencePieceNormalizer(rule_name=rule), spbpe.SentencePieceNormalizer(rule_name=rule), inputs)


def test_standalone_normalizer_from_model_and_spec(norm_models):
    import pickle

    inputs = HARD_CASES + random_strings(30, seed=5)
    for name in ("nmt_nfkc_cf_suffix", "identity_rew"):
        path = norm_models[name]
        # A model keeps only its normalizer_spec: no suffix, no user symbols.
        _same_normalizer(
            spm.SentencePieceNormalizer(model_file=str(path)),
            spbpe.SentencePieceNormalizer(model_file=str(path)),
            inputs,
        )
        data = path.read_bytes()
        _same_normalizer(
            spm.SentencePieceNormalizer(model_proto=data), spbpe.SentencePieceNormalizer(model_proto=data), inputs
        )
        spec = model_pb2.ModelProto.FromString(data).normalizer_spec
        ours = spbpe.SentencePieceNormalizer(normalizer_spec=spec, add_dummy_prefix=False)
        _same_normalizer(
            spm.SentencePieceNormalizer(normalizer_spec=spec.SerializeToString(), add_dummy_prefix=False), ours, inputs
        )
        again = pickle.loads(pickle.dumps(ours))
        assert again.normalize("  x  ＡＢ ", with_offsets=True) == ours.normalize("  x  ＡＢ ", with_offsets=True)


def test_standalone_normalizer_rule_tsv_and_decompile(tmp_path):
    tsv = tmp_path / "rules.tsv"
    tsv.write_text("U+0041\tU+0061\n41 42\t63\n3042\t\nU+00C0\tU+0061 U+0300\t# comment\n20 20\t20\n", encoding="utf-8")
    a, b = spm.SentencePieceNormalizer(rule_tsv=str(tsv)), spbpe.SentencePieceNormalizer(rule_tsv=str(tsv))
    _same_normalizer(a, b, HARD_CASES + ["ABあ À x  y", "AAB", "ＡB"])
    assert b.decompile() == a.decompile()
    n = spbpe.SentencePieceNormalizer(norm_map=[("A", "b"), ("xy", "")])
    assert n.decompile() == spm.SentencePieceNormalizer(norm_map=[("A", "b"), ("xy", "")]).decompile()


def test_standalone_normalizer_errors(tmp_path):
    with pytest.raises(ValueError):
        spbpe.SentencePieceNormalizer()
    with pytest.raises(spbpe.SpbpeError):
        spbpe.SentencePieceNormalizer(rule_name="no_such_rule")
    with pytest.raises(OSError):
        spbpe.SentencePieceNormalizer(rule_tsv=str(tmp_path / "missing.tsv"))
    with pytest.raises(spbpe.ModelFormatError):
        spbpe.SentencePieceNormalizer(model_proto=b"garbage")
    with pytest.raises(spbpe.SpbpeError):
        spbpe.SentencePieceNormalizer(rule_name="identity").decompile()
    with pytest.raises(TypeError):
        spbpe.SentencePieceNormalizer(rule_name="identity").normalize(1)


# ------------------------------------------------------ compiling rules


def _official_blob(tsv_path):
    n = spm.SentencePieceNormalizer(rule_tsv=str(tsv_path))
    return model_pb2.NormalizerSpec.FromString(n.serialized_normalizer_spec()).precompiled_charsmap


def _write_tsv(path, rules):
    with open(path, "w", encoding="utf-8") as f:
        for k, v in rules.items():
            f.write(" ".join("%X" % c for c in k) + "\t" + " ".join("U+%04X" % c for c in v) + "\n")


@pytest.mark.slow  # 10-30 s: compiles four rule sets in Python (and with sentencepiece)
def test_compile_matches_sentencepiece_bytes(tmp_path):
    nfkc = decompile_charsmap((ROOT / "spbpe" / "data" / "nfkc.bin").read_bytes())
    subsets = {
        "small": {(0x41,): (0x61,), (0x41, 0x42): (0x63,), (0x3042,): (), (0xC0,): (0x61, 0x300)},
        "nfkc_bmp_low": {k: v for k, v in nfkc.items() if k[0] < 0x2000},
        "nfkc_pairs": {k: v for k, v in nfkc.items() if len(k) == 2 and k[0] < 0x1200},
        "deep": {tuple(range(0x61, 0x61 + n)): (0x30 + n % 10,) for n in range(1, 20)},
    }
    for name, rules in subsets.items():
        path = tmp_path / f"{name}.tsv"
        _write_tsv(path, rules)
        ours = compile_charsmap(parse_rule_tsv(path.read_text(encoding="utf-8").rstrip("\n")))
        assert ours == _official_blob(path), name
        assert decompile_charsmap(ours) == rules, name


@pytest.mark.slow  # 10-30 s: the whole nmt_nfkc table through the Python compiler
def test_builtin_tables_recompile_to_the_same_bytes():
    # The shipped nmt_nfkc table (from the 0.2.3 wheel) decompiles to a rule
    # set that compiles back to exactly the same blob.
    blob = (ROOT / "spbpe" / "data" / "nmt_nfkc.bin").read_bytes()
    rules = decompile_charsmap(blob)
    assert len(rules) == 225276
    assert compile_charsmap(rules) == blob


def test_compile_errors():
    with pytest.raises(CharsMapError):
        compile_charsmap({})
    with pytest.raises(CharsMapError):
        compile_charsmap({(0xD800,): (0x41,)})
    with pytest.raises(CharsMapError):
        compile_charsmap({(0x0,): (0x41,)})
    with pytest.raises(CharsMapError):  # 32 rules that are prefixes of one key
        compile_charsmap({tuple([0x61] * n): (0x62,) for n in range(1, 33)})
    with pytest.raises(CharsMapError):
        parse_rule_tsv("41\t61\n\n42\t62")


def _train_both(tmp_path, **kw):
    kw = dict(input=str(BUNDLED_TEXT), model_type="bpe", vocab_size=600, num_threads=1, minloglevel=2, **kw)
    a, b = io.BytesIO(), io.BytesIO()
    spm.SentencePieceTrainer.train(model_writer=a, **kw)
    spbpe.SentencePieceTrainer.train(model_writer=b, **kw)
    return a.getvalue(), b.getvalue()


def test_train_with_rule_tsv(tmp_path):
    tsv, dtsv = tmp_path / "n.tsv", tmp_path / "d.tsv"
    tsv.write_text("U+0041\tU+0061\n74 68\t54 48\n2E\t\n65\t65 301\nU+0020 U+0020\tU+0020\n", encoding="utf-8")
    dtsv.write_text("6E\t6E 6E\n", encoding="utf-8")
    for kw in (
        dict(normalization_rule_tsv=str(tsv)),
        dict(
            normalization_rule_tsv=str(tsv),
            denormalization_rule_tsv=str(dtsv),
            byte_fallback=True,
            remove_extra_whitespaces=False,
        ),
    ):
        ref, ours = _train_both(tmp_path, **kw)
        assert ours == ref, kw
        path = tmp_path / "m.model"
        path.write_bytes(ref)
        diffs = compare(path, HARD_CASES + ["The cat. Ahh thee  x", "nnn Ann"])
        assert not diffs, describe(diffs)


def test_train_with_bad_rule_tsv(tmp_path):
    tsv = tmp_path / "bad.tsv"
    tsv.write_text("41\t61\n\n", encoding="utf-8")
    kw = dict(input=str(BUNDLED_TEXT), model_type="bpe", vocab_size=600, minloglevel=2, normalization_rule_tsv=str(tsv))
    with pytest.raises(RuntimeError):  # sentencepiece refuses the empty line too
        spm.SentencePieceTrainer.train(model_writer=io.BytesIO(), **kw)
    with pytest.raises(spbpe.TrainerError):
        spbpe.SentencePieceTrainer.train(model_writer=io.BytesIO(), **kw)
    with pytest.raises(spbpe.TrainerError):
        spbpe.SentencePieceTrainer.train(
            input=str(BUNDLED_TEXT),
            model_type="bpe",
            vocab_size=600,
            model_writer=io.BytesIO(),
            normalization_rule_tsv=str(tmp_path / "no.tsv"),
        )


# ---------------------------------------------------- hand-broken blobs


def _broken_blobs():
    good = compile_charsmap({(0x41,): (0x61,), (0x41, 0x42): (0x63,), (0x3042,): (), (0xC0,): (0x61, 0x300)})
    size = struct.unpack_from("<I", good)[0]
    units = list(struct.unpack_from(f"<{size // 4}I", good, 4))
    pool = good[4 + size :]
    out = {f"truncated_{n}": good[:n] for n in (0, 1, 3, 4, 5, 8, 100, 4 + size - 1, 4 + size)}
    out["size_past_end"] = struct.pack("<I", size + 8) + good[4:]
    out["size_huge"] = struct.pack("<I", 0xFFFFFFFC) + good[4:]
    out["size_not_units"] = struct.pack("<I", size - 2) + good[4:]

    def with_units(mutate):
        u = list(units)
        mutate(u)
        return struct.pack("<I", size) + struct.pack(f"<{len(u)}I", *u) + pool

    def far_offsets(u):  # every offset points far outside the array
        for i in range(len(u)):
            u[i] = (u[i] & 0x800001FF) | (0x3FFFFF << 10)

    def values_past_pool(u):  # every leaf value points past the pool
        for i in range(len(u)):
            if u[i] >> 31:
                u[i] = 0x80000000 | 0x7FFFFFF0

    def root_offset_max(u):
        u[0] = (u[0] & 0xFF) | (0x3FFFFF << 10) | 0x200

    out["trie_points_outside"] = with_units(far_offsets)
    out["pool_offsets_outside"] = with_units(values_past_pool)
    out["root_offset_outside"] = with_units(root_offset_max)
    out["pool_without_nul"] = good.rstrip(b"\0")
    return out


BROKEN = _broken_blobs()


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_charsmap(norm_models, name):
    # Refused with a clear ModelFormatError exactly when sentencepiece 0.2.3
    # refuses it; otherwise normalized the same way.
    blob = BROKEN[name]
    model = model_pb2.ModelProto.FromString(norm_models["identity_rew"].read_bytes())
    model.normalizer_spec.precompiled_charsmap = blob
    data = model.SerializeToString()
    try:
        ref = spm.SentencePieceProcessor(model_proto=data)
    except Exception:
        ref = None
    if ref is None:
        with pytest.raises(spbpe.ModelFormatError, match=r"\w"):
            spbpe.SentencePieceProcessor(model_proto=data)
        with pytest.raises(spbpe.ModelFormatError):
            spbpe.SentencePieceNormalizer(normalizer_spec=model.normalizer_spec)
        return
    sp = spbpe.SentencePieceProcessor(model_proto=data)
    inputs = ["A AB x", "ABC À", "あいう", "x" * 50, "", " "]
    for x in inputs:
        assert sp.encode(x) == ref.encode(x)
        assert sp.normalize(x, with_offsets=True) == ref.normalize(x, with_offsets=True)


def test_mutated_charsmap_never_crashes():
    import random

    rng = random.Random(11)
    good = compile_charsmap({(0x41,): (0x61,), (0x41, 0x42): (0x63,), (0x3042,): (), (0xC0,): (0x61, 0x300)})
    for _ in range(300):
        blob = bytearray(good)
        for _ in range(rng.randint(1, 8)):
            blob[rng.randrange(4, len(blob))] = rng.randrange(256)
        try:
            n = spbpe.SentencePieceNormalizer(
                normalizer_spec=model_pb2.NormalizerSpec(precompiled_charsmap=bytes(blob))
            )
        except spbpe.ModelFormatError:
            continue
        for x in ("A AB x", "ABC À", "\u3042\u3042", b"\xff\xc0"):
            try:
                n.normalize(x, with_offsets=True)
            except UnicodeDecodeError:
                pass  # a mutated pool may hold replacement bytes that are not UTF-8
