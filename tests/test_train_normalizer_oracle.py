"""The trainer's normalizer against the encoder's: an oracle.

The trainer normalizes every sentence with its own memoized copy of the
normalizer (csrc/train/train_normalize.c: charsmap lookups cached per
character, ASCII runs copied eight bytes at a time).  Whatever it gives must
be byte for byte what the encoder's normalizer (csrc/model/normalize.c)
gives with the same charsmap and flags, escape_whitespaces on.  Both are
called through the C API (spbpe_trainer_normalize, a test entry point, and
spbpe_normalizer_normalize) on every built-in rule set, identity and custom
rules, for every combination of the three whitespace flags, on hand-written
hard cases and on random multilingual strings and bytes generated here.
fuzz/fuzz_train_normalize.c checks the same property under libFuzzer.
"""

import functools
import os
import random
import unicodedata

import pytest

import spbpe
from spbpe._charsmap.builder import compile_charsmap
from spbpe._core._spbpe import ffi, lib  # type: ignore[import-not-found]
from tests.helpers.hard_cases import HARD_CASES, random_bytes, random_strings

BUILTIN = ("nmt_nfkc", "nfkc", "nmt_nfkc_cf", "nfkc_cf")
FLAGS = [(dummy, rew, suffix) for dummy in (0, 1) for rew in (0, 1) for suffix in (0, 1)]


def builtin_blob(name):
    with open(os.path.join(os.path.dirname(spbpe.__file__), "data", name + ".bin"), "rb") as f:
        return f.read()


def custom_rules():
    """Rules that exercise what the memo must get right: multi-character
    keys (a longer rule past a character), keys that are prefixes of others,
    rules after an ASCII letter (a combining mark), deletions, spaces in and
    around replacements, and expansions."""
    cp = lambda s: tuple(ord(c) for c in s)  # noqa: E731
    return {
        cp("A"): cp("a"),
        cp("ab"): cp("X"),
        cp("abc"): cp("Y Z"),
        cp("e\u0301"): cp("\u00e9"),
        cp("\u00e9"): cp("e"),
        cp("\u3000"): cp(" "),
        cp("\t"): cp(" "),
        cp("\u200b"): (),
        cp("\ufb01"): cp("fi"),
        cp("\u2460"): cp(" 1 "),
        cp("\u2581"): cp("_"),
        cp("x "): cp("  x"),
        cp("\u65e5\u672c"): cp("\u306b\u307b\u3093"),
        cp("\U0001f600"): cp(":)"),
        cp("z"): cp("zz" * 10),
    }


TABLES = [(name, builtin_blob(name)) for name in BUILTIN] + [
    ("identity", b""),
    ("custom", compile_charsmap(custom_rules())),
]

# Characters where normalization rules live: compatibility forms, combining
# sequences, case folding, Hangul, spaces of every kind, controls.
_MULTI = (
    list("abcABCxyz019 .,;:!?'\"-_/\\()")
    + [" ", "  ", "   ", "\t", "\n", "\r", "\x00", "\x7f", "\x85"]
    + ["\u00a0", "\u2002", "\u2009", "\u3000", "\u200b", "\u200d", "\ufeff", "\u2581", "\ufffd"]
    + list("\u00e9\u00c5\u00df\u0130\u0131\u03a3\u03c2\u1e9e\u0149\u01c4\u1f80")  # case folding corners
    + ["e\u0301", "a\u0308\u0323", "\u0301", "\u0308\u0301", "\u1100\u1161\u11a8", "\uac00", "\ud7a3"]
    + list("\uff21\uff41\uff10\uff5e\uff61\uff9e\u2460\u2474\u2488\u2153\u00bd\u00b2\u2122\u2126\u212b")
    + list("\ufb01\ufb03\ufb06\u3300\u3314\u33c0\u32a4\u1d400\u2f00\u2fd5\u3131\u318e")
    + list("\u65e5\u672c\u8a9e\u4e2d\u6587\u306b\u307b\u3093\u30ab\u30ac\uff76\uff9e\u0915\u094d\u0937")
    + list("\u0645\u0631\u062d\u0628\ufdfa\ufef5\u05e9\u05c1\u0e44\u0e17\u0e22\u0401\u0436\u03a9\u1fbf")
    + ["\U0001f600", "\U0001f3fd", "\U0001d400", "\U0001d7ce", "\U00020000", "\U0002f800", "\U0010ffff"]
    + ["abc", "ab", "x ", "\u65e5\u672c", "z"]  # the custom rules' keys
)


def multilingual_strings(count, seed, max_len=30):
    rng = random.Random(seed)
    return ["".join(rng.choice(_MULTI) for _ in range(rng.randrange(max_len))) for _ in range(count)]


@functools.cache
def rule_keys(family):
    """Likely rule keys: for the built-in (NFKC) tables, every character
    NFKC or case folding changes and its canonical decomposition (the
    tables' multi-character keys are such sequences, which compose), from
    Python's unicodedata rather than by decompiling a table (seconds each);
    for the custom table its own keys."""
    if family == "custom":
        return tuple("".join(map(chr, k)) for k in custom_rules())
    keys = []
    for c in range(0xA0, 0x30000):
        if 0xD800 <= c <= 0xDFFF:
            continue
        ch = chr(c)
        if unicodedata.normalize("NFKC", ch) != ch or ch.casefold() != ch:
            keys.append(ch)
            nfd = unicodedata.normalize("NFD", ch)
            if nfd != ch:
                keys.append(nfd)
    return tuple(keys)


def rule_key_strings(name, count, seed, max_len=8):
    """Random concatenations of rule keys (and cut keys), so multi-character
    and overlapping rules are hit, not only single ones."""
    if name == "identity":
        return []
    keys = rule_keys("custom" if name == "custom" else "builtin")
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randrange(1, max_len)):
            k = rng.choice(keys)
            r = rng.random()
            if r < 0.15 and len(k) > 1:
                k = k[: rng.randrange(1, len(k))]
            elif r < 0.3:
                k = rng.choice(" \t a1\u3000\u0301")
            parts.append(k)
        out.append("".join(parts))
    return out


def random_code_points(count, seed, max_len=20):
    """Any scalar value, weighted towards the BMP and ASCII."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        cps = []
        for _ in range(rng.randrange(max_len)):
            r = rng.random()
            c = rng.randrange(0x80) if r < 0.3 else rng.randrange(0x10000) if r < 0.9 else rng.randrange(0x110000)
            cps.append(c if not 0xD800 <= c <= 0xDFFF else 0x20)
        out.append("".join(map(chr, cps)))
    return out


def as_bytes(s):
    return s if isinstance(s, bytes) else s.encode("utf-8")


@functools.cache
def inputs_for(name):
    """Every input for one table, built once for its eight flag combinations."""
    cases = [as_bytes(s) for s in HARD_CASES if len(s) < 20000]
    cases += [as_bytes(s) for s in random_strings(300, seed=5)]
    cases += list(random_bytes(300, seed=6))
    cases += [as_bytes(s) for s in multilingual_strings(600, seed=7)]
    cases += [as_bytes(s) for s in random_code_points(300, seed=8)]
    cases += [as_bytes(s) for s in rule_key_strings(name, 600, seed=len(name))]
    # long ASCII runs with the odd non-ASCII byte: the eight-byte copy path
    rng = random.Random(9)
    for _ in range(100):
        s = bytearray(rng.choice(b"abcdefgh ABC 123") for _ in range(rng.randrange(64)))
        for _ in range(rng.randrange(3)):
            s[rng.randrange(len(s) + 1) : 0] = rng.choice(["\u0301", "\u3000", "\u00e9", "\uff21", " "]).encode()
        cases.append(bytes(s))
    return tuple(cases)


class Pair:
    """A trainer (its normalizer) and a standalone normalizer for one table and flag set."""

    def __init__(self, blob, dummy, rew, suffix):
        self._keep = []
        o = ffi.new("spbpe_trainer_options *")
        o.vocab_size, o.character_coverage = 100, 1.0
        o.max_sentence_length, o.max_sentencepiece_length = 1 << 20, 16
        o.split_by_unicode_script = o.split_by_number = o.split_by_whitespace = 1
        o.treat_whitespace_as_suffix = suffix
        o.unk_id, o.bos_id, o.eos_id, o.pad_id = 0, 1, 2, -1
        for field, text in (
            ("unk_piece", b"<unk>"),
            ("bos_piece", b"<s>"),
            ("eos_piece", b"</s>"),
            ("pad_piece", b"<pad>"),
            ("required_chars", b""),
            ("pretokenization_delimiter", b""),
        ):
            setattr(o, field, self._buf(text))
            setattr(o, field + "_len", len(text))
        lens = ffi.new("size_t[1]")
        self._keep.append(lens)
        o.symbols, o.symbol_lens = self._buf(b""), lens
        o.charsmap, o.charsmap_len = self._buf(blob), len(blob)
        o.add_dummy_prefix, o.remove_extra_whitespaces, o.escape_whitespaces = dummy, rew, 1
        o.num_threads = 1
        self.err = ffi.new("spbpe_error *")
        t = lib.spbpe_trainer_new(o, self.err)
        assert t != ffi.NULL, ffi.string(self.err.message)
        self.trainer = ffi.gc(t, lib.spbpe_trainer_free)
        nz = lib.spbpe_normalizer_new(self._buf(blob), len(blob), dummy, rew, 1, suffix, self.err)
        assert nz != ffi.NULL, ffi.string(self.err.message)
        self.normalizer = ffi.gc(nz, lib.spbpe_normalizer_free)
        self.ws = ffi.gc(lib.spbpe_workspace_new(), lib.spbpe_workspace_free)
        self.out, self.out_len = ffi.new("const uint8_t **"), ffi.new("size_t *")
        self.norm = ffi.new("spbpe_normalized *")

    def _buf(self, b):
        c = ffi.from_buffer(b if b else b"\0")
        self._keep.append((b, c))
        return c

    def trainer_text(self, text):
        st = lib.spbpe_trainer_normalize(self.trainer, text, len(text), self.out, self.out_len, self.err)
        assert st == 0, ffi.string(self.err.message)
        return ffi.buffer(self.out[0], self.out_len[0])[:] if self.out_len[0] else b""

    def encoder_text(self, text):
        st = lib.spbpe_normalizer_normalize(self.normalizer, text, len(text), self.ws, self.norm, self.err)
        assert st == 0, ffi.string(self.err.message)
        return ffi.buffer(self.norm.text, self.norm.len)[:] if self.norm.len else b""


@pytest.mark.parametrize("dummy,rew,suffix", FLAGS)
@pytest.mark.parametrize("name,blob", TABLES, ids=[t[0] for t in TABLES])
def test_trainer_normalizer_matches_encoder(name, blob, dummy, rew, suffix):
    pair = Pair(blob, dummy, rew, suffix)
    bad = []
    for text in inputs_for(name):
        got, want = pair.trainer_text(text), pair.encoder_text(text)
        if got != want:
            bad.append((text, got, want))
    assert not bad, f"{len(bad)} differ, first: {bad[0]!r}"


def test_memo_survives_reuse():
    """The trainer's per-character memo fills lazily: the same inputs again,
    in another order, after it is warm, give the same text."""
    blob = builtin_blob("nmt_nfkc")
    pair = Pair(blob, 1, 1, 0)
    cases = [as_bytes(s) for s in multilingual_strings(400, seed=21)]
    first = [pair.trainer_text(t) for t in cases]
    order = list(range(len(cases)))
    random.Random(3).shuffle(order)
    for i in order:
        assert pair.trainer_text(cases[i]) == first[i] == pair.encoder_text(cases[i])


def test_entry_point_arguments():
    pair = Pair(b"", 1, 1, 0)
    assert pair.trainer_text(b"") == b""
    st = lib.spbpe_trainer_normalize(ffi.NULL, b"x", 1, pair.out, pair.out_len, pair.err)
    assert st == 2  # SPBPE_ERR_INVALID_ARGUMENT
    st = lib.spbpe_trainer_normalize(pair.trainer, ffi.NULL, 3, pair.out, pair.out_len, pair.err)
    assert st == 2
