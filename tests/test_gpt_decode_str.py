"""Encoding.decode (ids -> str) against bytes.decode("utf-8", errors) of the
same bytes, for every errors handler, now that the str is built by
spbpe._core._pylists.utf8_str (counted and sized first, then filled with
AVX2 where the CPU has it) instead of CPython's decoder.

Inputs: real corpus text through cl100k (tests/helpers/gpt_encodings.py;
skips without ../shared or tiktoken), random token sequences (byte tokens
make invalid UTF-8: cut sequences, lone continuation bytes, overlongs,
surrogates, bytes above F4), ASCII, Latin-1, BMP, astral and empty text at
lengths around the SIMD block sizes.  Besides equality, every str must be
canonical (same kind and size as CPython's, ASCII flag, hash) and the plain
twin (str() of the bytes, utf8_str(portable=True)) must agree."""

import random
import sys
from array import array

import pytest

from spbpe._core import _pylists
from tests.helpers import gpt_encodings as G

tiktoken = pytest.importorskip("tiktoken")

if "cl100k_base" not in G.available():
    pytest.skip("needs the cl100k_base rank file", allow_module_level=True)

HANDLERS = ["strict", "replace", "ignore", "surrogateescape", "backslashreplace"]
# Invalid UTF-8, each made of byte tokens.
BAD = [
    b"\x80",
    b"\xbf",
    b"\xc0\xaf",
    b"\xc1\xbf",
    b"\xe0\x80\xaf",
    b"\xe0\x9f\xbf",
    b"\xed\xa0\x80",
    b"\xed\xbf\xbf",
    b"\xf0\x80\x80\xaf",
    b"\xf0\x8f\xbf\xbf",
    b"\xf4\x90\x80\x80",
    b"\xf5\x80\x80\x80",
    b"\xf8\x88\x80\x80\x80",
    b"\xff",
    b"\xc2",
    b"\xe4\xb8",
    b"\xf0\x9f\x98",
]
# One pool of characters per str kind: ASCII, Latin-1 (UCS1), BMP (UCS2), astral (UCS4).
POOLS = [
    [chr(c) for c in range(0x20, 0x7F)],
    [chr(c) for c in range(0xA0, 0x100)],
    [chr(c) for c in list(range(0x100, 0xD800, 3)) + list(range(0xE000, 0x10000, 3))],
    [chr(c) for c in range(0x10000, 0x110000, 97)],
]
LENGTHS = [0, 1, 2, 3, 15, 31, 32, 33, 34, 35, 36, 63, 64, 65, 66, 67, 68, 100, 131, 300, 1000]


@pytest.fixture(scope="module")
def pair():
    return G.pair("cl100k_base")


def outcome(fn, *args, **kwargs):
    """("ok", fn(*args, **kwargs)) or ("error", type, message)."""
    try:
        return ("ok", fn(*args, **kwargs))
    except (UnicodeError, TypeError, ValueError) as e:
        return ("error", type(e), str(e))


def assert_same_str(got, want):
    assert got == want
    assert got.isascii() == want.isascii()
    if want.encode("utf-8", "surrogatepass").decode("utf-8", "surrogatepass") is want:
        assert got is want  # CPython's cached "" and 1-character strs
    else:
        assert sys.getsizeof(got) == sys.getsizeof(want)  # same kind: canonical form
    assert hash(got) == hash(want)
    assert {want: 1}.get(got) == 1


def check_ids(ours, ref, ids, handlers=HANDLERS):
    """ours.decode of ids (list, tuple and array inputs) against
    bytes.decode of tiktoken's bytes, and the plain twin."""
    data = ref.decode_bytes(ids)
    assert ours.decode_bytes(ids) == data
    for errors in handlers:
        want = outcome(data.decode, "utf-8", errors)
        for tokens in (ids, tuple(ids), array("i", ids)):
            got = outcome(ours.decode, tokens, errors=errors)
            assert got[0] == want[0], (errors, data)
            if want[0] == "ok":
                assert_same_str(got[1], want[1])
            else:
                assert got[1:] == want[1:]
        if want[0] == "ok":
            assert_same_str(ours._native.decode_list_plain(list(ids), errors), want[1])
            assert ref.decode(ids, errors=errors) == want[1]


def check_bytes(data):
    """utf8_str, its portable fill and CPython's decoder on the same bytes."""
    for errors in HANDLERS:
        want = outcome(data.decode, "utf-8", errors)
        for portable in (False, True):
            got = outcome(_pylists.utf8_str, data, errors, portable)
            assert got[0] == want[0], (data, errors, portable)
            if want[0] == "ok":
                assert_same_str(got[1], want[1])
            else:
                assert got[1:] == want[1:]


def byte_ids(ours, data):
    return [ours.encode_single_token(bytes([b])) for b in data]


def test_corpus_text(pair):
    ours, ref = pair
    files = G.corpus_files()
    if not files:
        pytest.skip("needs ../shared/corpora")
    docs = 0
    for path in files:
        text = G.corpus_text(path, 40_000)
        for start in range(0, len(text), 8_000):
            ids = ours.encode_ordinary(text[start : start + 8_000])
            check_ids(ours, ref, ids, ["strict", "replace"])
            docs += 1
            # Cut anywhere: the cut tokens' bytes are often invalid UTF-8.
            rng = random.Random(docs)
            a = rng.randrange(len(ids) + 1)
            b = rng.randrange(a, len(ids) + 1)
            check_ids(ours, ref, ids[a:b])
    assert docs > 0


@pytest.mark.parametrize("kinds", [[0], [1], [2], [3], [0, 1], [0, 2], [1, 2], [0, 3], [2, 3], [0, 1, 2, 3]])
def test_each_kind_and_length(pair, kinds):
    ours, ref = pair
    rng = random.Random(sum(kinds) * 31 + len(kinds))
    for length in LENGTHS:
        text = "".join(rng.choice(POOLS[rng.choice(kinds)]) for _ in range(length))
        check_bytes(text.encode())
        check_ids(ours, ref, ours.encode_ordinary(text), ["strict", "ignore"])
        # The widest character last, first, or alone among ASCII: the kind comes from it.
        if length:
            wide = max(text)
            for t in (text[:-1] + wide, wide + text[1:], "a" * length + wide):
                check_bytes(t.encode())


def test_empty(pair):
    ours, ref = pair
    for errors in HANDLERS:
        assert_same_str(ours.decode([], errors=errors), "")
        assert_same_str(_pylists.utf8_str(b"", errors), "")
    assert ours.decode_batch([[], []]) == ["", ""]


@pytest.mark.parametrize("context", [0, 1, 2, 3])
def test_invalid_at_every_offset(pair, context):
    """Each invalid sequence at each offset of a text of one kind, as byte
    tokens: inside the SIMD blocks, across their edges and in the tail."""
    ours, ref = pair
    rng = random.Random(context)
    text = "".join(rng.choice(POOLS[context]) for _ in range(80)).encode()
    for bad in BAD:
        for at in list(range(0, 70)) + [len(text) - 1, len(text)]:
            data = text[:at] + bad + text[at:]
            check_bytes(data)
        data = text[:40] + bad + text[40:]
        check_ids(ours, ref, ours.encode_ordinary(text[:40].decode("utf-8", "ignore")) + byte_ids(ours, bad))
        check_ids(ours, ref, byte_ids(ours, data[:120]))


def test_random_bytes_and_cuts():
    rng = random.Random(7)
    for _ in range(1500):
        kinds = rng.sample(range(4), rng.randint(1, 3))
        text = "".join(rng.choice(POOLS[rng.choice(kinds)]) for _ in range(rng.choice(LENGTHS)))
        data = bytearray(text.encode())
        for _ in range(rng.randint(0, 3)):
            at = rng.randint(0, len(data))
            if rng.random() < 0.5:
                data[at:at] = rng.choice(BAD)
            elif data:
                del data[min(at, len(data) - 1)]  # cuts a sequence or leaves continuation bytes
        check_bytes(bytes(data))
    for _ in range(300):
        check_bytes(bytes(rng.randrange(256) for _ in range(rng.choice(LENGTHS))))


def test_random_token_sequences(pair):
    ours, ref = pair
    rng = random.Random(11)
    byte_tokens = byte_ids(ours, range(256))
    for _ in range(150):
        n = rng.choice(LENGTHS)
        ids = [rng.choice(byte_tokens) if rng.random() < 0.3 else rng.randrange(100_000) for _ in range(n)]
        check_ids(ours, ref, ids)


def plain_batch(ref, batch, errors):
    return [ref.decode_bytes(ids).decode("utf-8", errors) for ids in batch]


def test_decode_batch(pair):
    ours, ref = pair
    rng = random.Random(5)
    byte_tokens = byte_ids(ours, range(256))
    batch = [ours.encode_ordinary("".join(rng.choice(POOLS[k]) for _ in range(n))) for k in range(4) for n in LENGTHS]
    batch += [[rng.choice(byte_tokens) for _ in range(n)] for n in LENGTHS]
    for errors in HANDLERS:
        want = outcome(plain_batch, ref, batch, errors)
        got = outcome(ours.decode_batch, batch, errors=errors, num_threads=2)
        assert got[0] == want[0]
        if want[0] == "ok":
            assert len(got[1]) == len(want[1])
            for g, w in zip(got[1], want[1]):
                assert_same_str(g, w)
        else:
            assert got[1:] == want[1:]


def test_errors_argument_as_before(pair):
    """A non-str errors raises as str() and bytes.decode do, valid text or not."""
    ours, _ = pair
    ids = ours.encode_ordinary("héllo 中文")
    for errors in (None, 3, "a\0b"):
        with pytest.raises((TypeError, ValueError)):
            ours.decode(ids, errors=errors)
        with pytest.raises((TypeError, ValueError)):
            ours.decode_batch([ids], errors=errors)
        assert _pylists.utf8_str(b"abc", errors) is None  # the caller's str() raises
    # An unknown handler is looked up only for invalid bytes, as CPython does.
    assert ours.decode(ids, errors="no-such-handler") == "héllo 中文"
    with pytest.raises(LookupError):
        ours.decode(byte_ids(ours, b"\xff"), errors="no-such-handler")
