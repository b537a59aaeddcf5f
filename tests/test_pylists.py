"""spbpe._core._pylists, the CPython helper that moves ids and texts between
Python objects and C buffers: every result equals the plain-Python
construction, and bad arguments raise instead of reading out of bounds."""

import random
from array import array
from itertools import accumulate

import pytest

from spbpe._core import _pylists
from spbpe._core.results import _SIZE_T

TABLE = tuple(range(1000))


def _random_text(rng):
    """str drawn from one storage kind (1, 2 or 4 bytes per character), or bytes."""
    top = rng.choice([0x7F, 0xFF, 0x7FF, 0xFFFF, 0x10FFFF])
    chars = []
    while len(chars) < rng.randint(0, 40):
        c = rng.randint(0, top)
        if not 0xD800 <= c < 0xE000:
            chars.append(chr(c))
    text = "".join(chars)
    return text.encode() if rng.random() < 0.2 else text


def _reference(texts, first, limit):
    data = [t.encode() if isinstance(t, str) else t for t in texts]
    end, total = first, 0
    while end < len(texts) and (total < limit or end == first):
        total += len(data[end])
        end += 1
    part = data[first:end]
    return b"".join(part), array(_SIZE_T, accumulate(map(len, part), initial=0)).tobytes(), end


def test_concat_equals_join_and_encode():
    rng = random.Random(3)
    for _ in range(3000):
        texts = [_random_text(rng) for _ in range(rng.randint(0, 8))]
        first = rng.randint(0, len(texts))
        limit = rng.choice([0, 1, 10, 50, 1 << 62])
        assert _pylists.concat(texts, first, limit) == _reference(texts, first, limit), (texts, first, limit)


def test_concat_mostly_ascii_text():
    """ASCII runs are copied 8 characters at a time: one wider character at every position of
    texts of every length around that block, in each storage kind."""
    for wide in ("\xe9", "\u20ac", "\U0001f600"):
        for n in range(0, 34):
            for at in range(n):
                text = "".join(chr(97 + i % 26) for i in range(n))
                text = text[:at] + wide + text[at + 1 :]
                texts = [text, text[: at + 1], "x" * n + wide]
                assert _pylists.concat(texts, 0, 1 << 62) == _reference(texts, 0, 1 << 62), text


def test_concat_rejects_what_str_encode_rejects():
    with pytest.raises(UnicodeEncodeError):
        _pylists.concat(["ok", "a\ud800"], 0, 1 << 62)
    with pytest.raises(UnicodeEncodeError):
        _pylists.concat(["\U0001f600\udfff"], 0, 1 << 62)
    for bad in (3, None, bytearray(b"x"), memoryview(b"x")):
        with pytest.raises(TypeError):
            _pylists.concat(["a", bad], 0, 1 << 62)
    with pytest.raises(TypeError):
        _pylists.concat(("a", "b"), 0, 1 << 62)
    with pytest.raises(IndexError):
        _pylists.concat(["a"], 2, 1 << 62)
    with pytest.raises(IndexError):
        _pylists.concat(["a"], -1, 1 << 62)
    with pytest.raises(OverflowError):
        _pylists.concat(["a"], 0, -1)


def test_concat_accepts_subclasses():
    class Text(str):
        pass

    class Data(bytes):
        pass

    assert _pylists.concat([Text("é"), Data(b"x")], 0, 1 << 62)[0] == "é".encode() + b"x"


def test_lists_equal_array_tolist():
    rng = random.Random(5)
    for _ in range(500):
        ids = array(
            "i",
            [
                rng.choice([rng.randrange(len(TABLE)), rng.randrange(-(2**31), 2**31)])
                for _ in range(rng.randint(0, 60))
            ],
        )
        assert _pylists.to_list(ids, len(ids), TABLE) == ids.tolist()
        cuts = sorted(rng.randint(0, len(ids)) for _ in range(rng.randint(0, 6)))
        offsets = array(_SIZE_T, [0, *cuts, len(ids)])
        expected = [ids[offsets[i] : offsets[i + 1]].tolist() for i in range(len(offsets) - 1)]
        assert _pylists.split(ids, offsets, len(offsets) - 1, TABLE) == expected
    # every list is a new list, even when the ids are the same
    ids = array("i", [1, 2])
    a, b = _pylists.split(ids + ids, array(_SIZE_T, [0, 2, 4]), 2, TABLE)
    a.append(9)
    assert b == [1, 2]


def test_lists_check_their_bounds():
    ids = array("i", [1, 2, 3])
    with pytest.raises(ValueError):
        _pylists.to_list(ids, 4, TABLE)
    with pytest.raises(ValueError):
        _pylists.to_list(ids, -1, TABLE)
    with pytest.raises(ValueError):
        _pylists.split(ids, array(_SIZE_T, [0, 4]), 1, TABLE)
    with pytest.raises(ValueError):
        _pylists.split(ids, array(_SIZE_T, [2, 1]), 1, TABLE)
    with pytest.raises(ValueError):
        _pylists.split(ids, array(_SIZE_T, [0, 1]), 2, TABLE)
    with pytest.raises(TypeError):
        _pylists.to_list(ids, 1, list(TABLE))
    with pytest.raises(TypeError):
        _pylists.split(ids, array(_SIZE_T, [0, 1]), 1)


def test_pack_equals_array():
    rng = random.Random(8)
    out = bytearray(4 * 100)
    for _ in range(300):
        ids = [rng.randrange(-(2**31), 2**31) for _ in range(rng.randint(0, 100))]
        seq = tuple(ids) if rng.random() < 0.3 else ids
        assert _pylists.pack(seq, out) == len(ids)
        assert out[: 4 * len(ids)] == array("i", ids).tobytes()


def test_pack_takes_what_array_takes():
    class Id(int):
        pass

    class Index:
        def __index__(self):
            return 7

    out = bytearray(16)
    assert _pylists.pack([True, Id(5), Index()], out) == 3
    assert out[:12] == array("i", [1, 5, 7]).tobytes()
    for bad in ([1.0], ["1"], [None]):
        with pytest.raises(TypeError):
            _pylists.pack(bad, out)
    for big in ([2**31], [-(2**31) - 1], [2**70]):
        with pytest.raises(OverflowError):
            _pylists.pack(big, out)
    with pytest.raises(ValueError):
        _pylists.pack([1] * 5, out)
    with pytest.raises(TypeError):
        _pylists.pack(iter([1]), out)
    with pytest.raises(BufferError):
        _pylists.pack([1], b"read-only buffer")


def test_pack_survives_a_list_that_shrinks_while_read():
    ids = [1, 2, 3, 4]

    class Shrinker:
        def __index__(self):
            del ids[1:]
            return 5

    ids[0] = Shrinker()
    out = bytearray(16)
    assert _pylists.pack(ids, out) == 1
    assert out[:4] == array("i", [5]).tobytes()


def test_pack_many_equals_array_and_takes_only_exact_ints():
    rng = random.Random(6)
    for _ in range(300):
        seqs = [[rng.randrange(-(2**31), 2**31) for _ in range(rng.randint(0, 9))] for _ in range(rng.randint(0, 6))]
        seqs = [tuple(s) if rng.random() < 0.3 else s for s in seqs]
        flat = array("i", [i for s in seqs for i in s])
        starts = array(_SIZE_T, accumulate(map(len, seqs), initial=0))
        assert _pylists.pack_many(seqs) == (flat.tobytes(), starts.tobytes())
    for bad in ([[1, True]], [[1, 2.0]], [iter([1])], [array("i", [1])], ([1],)):
        with pytest.raises(TypeError):
            _pylists.pack_many(bad)
    with pytest.raises(OverflowError):
        _pylists.pack_many([[1], [2**31]])


def test_split_text_equals_slicing():
    text = "héllo wörld 日本 😀".encode()
    cuts = [0, 1, 3, 6, 13, 20, len(text)]
    offsets = array(_SIZE_T, cuts)
    expected = [text[a:b] for a, b in zip(cuts, cuts[1:])]
    assert _pylists.split_text(text, offsets, len(cuts) - 1, False) == expected
    assert _pylists.split_text(text, offsets, len(cuts) - 1, True) == [x.decode() for x in expected]
    with pytest.raises(UnicodeDecodeError):
        _pylists.split_text(text, array(_SIZE_T, [0, 2]), 1, True)  # cuts é in half
    with pytest.raises(ValueError):
        _pylists.split_text(text, array(_SIZE_T, [0, len(text) + 1]), 1, False)
    with pytest.raises(ValueError):
        _pylists.split_text(text, array(_SIZE_T, [3, 2]), 1, False)
    with pytest.raises(ValueError):
        _pylists.split_text(text, array(_SIZE_T, [0, 1]), 2, False)
