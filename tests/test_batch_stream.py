"""The streamed batch encode (parts pushed to C threads and read back while
they run) gives what one thread gives, however the texts are cut into
parts, and its C API refuses misuse with an error instead of misbehaving."""

import random
from array import array

import pytest

import spbpe
from spbpe._core import native as _native
from spbpe._core._spbpe import ffi, lib
from spbpe._core.results import _SIZE_T
from tests.helpers.hard_cases import random_strings
from tests.helpers.models import mistral_models


@pytest.fixture(scope="module")
def sp():
    return spbpe.SentencePieceProcessor(model_file=str(mistral_models()["mistral_instruct_tokenizer_241114.model.v7"]))


def _texts():
    rng = random.Random(17)
    texts = random_strings(600, seed=23, max_len=120)
    texts += ["", " ", "日本語の文章です。" * rng.randint(1, 30), "x" * 5000, "\n\n", "▁▁ a"]
    rng.shuffle(texts)
    return texts


@pytest.mark.parametrize("part_bytes,max_parts", [(1, 2048), (1, 3), (100, 2), (300, 2048), (1 << 20, 2048)])
@pytest.mark.parametrize("threads", [1, 2, 3])
def test_stream_equals_one_thread(sp, monkeypatch, part_bytes, max_parts, threads):
    texts = _texts()
    expected = sp.encode(texts, num_threads=1)
    assert expected == [sp.encode(t) for t in texts]
    monkeypatch.setattr(_native, "_PART_BYTES", part_bytes)
    monkeypatch.setattr(_native, "_MAX_PARTS", max_parts)
    assert sp.encode(texts, num_threads=threads) == expected
    data = [t.encode() for t in texts]
    assert sp.encode(data, num_threads=threads) == expected
    # mixed str and bytes items, and a list subclass
    mixed = type("Texts", (list,), {})(t if i % 3 else t.encode() for i, t in enumerate(texts))
    assert sp.encode(mixed, num_threads=threads) == expected


def test_bad_item_mid_stream_raises_and_the_next_call_works(sp, monkeypatch):
    monkeypatch.setattr(_native, "_PART_BYTES", 64)
    texts = _texts()
    expected = sp.encode(texts, num_threads=1)
    with pytest.raises(TypeError, match="str or bytes"):
        sp.encode(texts[:300] + [3] + texts[300:], num_threads=2)
    with pytest.raises(ValueError, match="surrogate"):
        sp.encode(texts[:300] + ["a\ud800"] + texts[300:], num_threads=2)
    assert sp.encode(texts, num_threads=2) == expected


def test_stream_api_refuses_misuse(sp):
    handle = sp._m._handle
    stream = ffi.gc(lib.spbpe_encode_stream_new(), lib.spbpe_encode_stream_free)
    err = ffi.new("spbpe_error *")
    out = ffi.new("spbpe_batch_ids *")
    first = ffi.new("size_t *")
    invalid = lib.SPBPE_ERR_INVALID_ARGUMENT
    assert lib.spbpe_encode_stream_next(stream, out, first, err) == invalid
    assert lib.spbpe_encode_stream_start(handle, 2, 0, ffi.NULL, stream, err) == invalid
    assert lib.spbpe_encode_stream_start(handle, 2, 70000, ffi.NULL, stream, err) == invalid
    assert lib.spbpe_encode_stream_start(handle, 2, 2, ffi.NULL, stream, err) == lib.SPBPE_OK
    assert lib.spbpe_encode_stream_start(handle, 2, 2, ffi.NULL, stream, err) == invalid
    assert b"still running" in ffi.string(err.message)
    blob = "hello world 日本".encode()
    starts = array(_SIZE_T, [0, 5, len(blob)])
    decreasing = array(_SIZE_T, [5, 0])
    assert lib.spbpe_encode_stream_push(stream, blob, ffi.from_buffer("size_t[]", decreasing), 1, err) == invalid
    for _ in range(2):
        assert lib.spbpe_encode_stream_push(stream, blob, ffi.from_buffer("size_t[]", starts), 2, err) == lib.SPBPE_OK
    assert (
        lib.spbpe_encode_stream_push(stream, blob, ffi.from_buffer("size_t[]", starts), 2, err) == lib.SPBPE_ERR_LIMIT
    )
    for part in range(2):
        assert lib.spbpe_encode_stream_next(stream, out, first, err) == lib.SPBPE_OK
        assert (first[0], out.count) == (2 * part, 2)
        ids = [out.ids[k] for k in range(out.offsets[2])]
        assert ids == sp.encode("hello") + sp.encode(" world 日本")
        assert out.offsets[1] == len(sp.encode("hello"))
    assert lib.spbpe_encode_stream_next(stream, out, first, err) == invalid
    lib.spbpe_encode_stream_end(stream)
    lib.spbpe_encode_stream_end(stream)  # a no-op
    assert lib.spbpe_encode_stream_push(stream, blob, ffi.from_buffer("size_t[]", starts), 2, err) == invalid
    # Ended early, with parts pushed and never read: the threads stop, and the stream starts again.
    assert lib.spbpe_encode_stream_start(handle, 4, 1, ffi.NULL, stream, err) == lib.SPBPE_OK
    assert lib.spbpe_encode_stream_push(stream, blob, ffi.from_buffer("size_t[]", starts), 2, err) == lib.SPBPE_OK
    lib.spbpe_encode_stream_end(stream)
    assert lib.spbpe_encode_stream_start(handle, 1, 1, sp._m._ws(), stream, err) == lib.SPBPE_OK
    assert lib.spbpe_encode_stream_push(stream, b"", ffi.from_buffer("size_t[]", array(_SIZE_T, [0])), 0, err) == 0
    assert lib.spbpe_encode_stream_next(stream, out, first, err) == lib.SPBPE_OK
    assert out.count == 0
    lib.spbpe_encode_stream_end(stream)
    lib.spbpe_encode_stream_free(ffi.NULL)


@pytest.mark.parametrize("threads", [1, 2, 4])
def test_one_call_batch_equals_single_encodes(sp, threads):
    # spbpe_encode_batch (the C API's one-call batch, and the fuzz target's
    # oracle for the stream) shares its loop with the stream; Python itself
    # only streams, so it is checked here directly.
    from itertools import accumulate

    texts = [t.encode() for t in _texts()]
    blob = b"".join(texts)
    starts = array(_SIZE_T, accumulate(map(len, texts), initial=0))
    batch = ffi.gc(lib.spbpe_batch_new(), lib.spbpe_batch_free)
    out = ffi.new("spbpe_batch_ids *")
    err = ffi.new("spbpe_error *")
    assert (
        lib.spbpe_encode_batch(
            sp._m._handle, blob, ffi.from_buffer("size_t[]", starts), len(texts), threads, batch, out, err
        )
        == lib.SPBPE_OK
    )
    got = [[out.ids[k] for k in range(out.offsets[i], out.offsets[i + 1])] for i in range(len(texts))]
    assert got == [sp.encode(t) for t in texts]


def test_bytelevel_stream_api():
    # The byte-level engine on the same stream (spbpe_bytelevel_encode_stream_*):
    # ids as the single encode gives them, a part stopped at a text holding a
    # disallowed special, the special modes copied at start, and misuse refused.
    import spbpe.gpt
    from tests.helpers import gpt_encodings as G

    if "cl100k_base" not in G.available():
        pytest.skip("no cl100k_base rank file")
    enc = G.pair("cl100k_base")[0]
    native = enc._native
    table = native._handle
    stream = ffi.gc(lib.spbpe_encode_stream_new(), lib.spbpe_encode_stream_free)
    err = ffi.new("spbpe_error *")
    out = ffi.new("spbpe_batch_ids *")
    first = ffi.new("size_t *")
    bad_item = ffi.new("size_t *")
    bad_special = ffi.new("int32_t *")
    invalid = lib.SPBPE_ERR_INVALID_ARGUMENT
    texts = ["hello world", "a <|endoftext|> b", "日本語", "", "last <|endoftext|>"]
    blob = "".join(texts).encode()
    starts = array(_SIZE_T, [0])
    for t in texts:
        starts.append(starts[-1] + len(t.encode()))
    starts_ptr = ffi.from_buffer("size_t[]", starts)
    k = enc._specials.index("<|endoftext|>")
    for threads in (1, 2, 3):
        modes = bytearray(len(enc._specials))
        modes[k] = 2  # disallowed
        assert lib.spbpe_bytelevel_encode_stream_start(table, bytes(modes), threads, 8, ffi.NULL, stream, err) == 0
        modes[k] = 0  # the stream has its own copy
        for _ in range(3):
            assert lib.spbpe_encode_stream_push(stream, blob, starts_ptr, len(texts), err) == lib.SPBPE_OK
        # the generic reader refuses a stopped part
        assert lib.spbpe_encode_stream_next(stream, out, first, err) == invalid
        assert b"stopped early at item 1" in ffi.string(err.message)
        assert lib.spbpe_bytelevel_encode_stream_next(stream, out, first, bad_item, bad_special, err) == 0
        assert (first[0], bad_item[0], bad_special[0], out.count) == (5, 1, k, 5)
        assert [out.ids[i] for i in range(out.offsets[1])] == enc.encode_ordinary("hello world")
        assert [out.offsets[i] for i in range(2, 6)] == [out.offsets[1]] * 4  # no ids from the bad text on
        lib.spbpe_encode_stream_end(stream)
        # no modes: every text ordinary, nothing stops
        assert (
            lib.spbpe_bytelevel_encode_stream_start(table, ffi.NULL, threads, 1, native._thread().ws, stream, err) == 0
        )
        assert lib.spbpe_encode_stream_push(stream, blob, starts_ptr, len(texts), err) == lib.SPBPE_OK
        assert lib.spbpe_bytelevel_encode_stream_next(stream, out, first, bad_item, bad_special, err) == 0
        assert (first[0], bad_item[0], bad_special[0]) == (0, 5, -1)
        got = [[out.ids[j] for j in range(out.offsets[i], out.offsets[i + 1])] for i in range(5)]
        assert got == [enc.encode_ordinary(t) for t in texts]
        assert lib.spbpe_encode_stream_next(stream, out, first, err) == invalid  # every part read
        lib.spbpe_encode_stream_end(stream)
    null = ffi.NULL
    assert lib.spbpe_bytelevel_encode_stream_start(null, null, 2, 1, null, stream, err) == invalid
    assert lib.spbpe_bytelevel_encode_stream_start(table, null, 2, 0, null, stream, err) == invalid
    assert lib.spbpe_bytelevel_encode_stream_next(stream, out, first, null, bad_special, err) == invalid
    assert lib.spbpe_bytelevel_encode_stream_next(stream, out, first, bad_item, bad_special, err) == invalid
    # a table without a built-in pre-tokenizer (custom pattern) cannot stream
    ranks = {bytes([b]): b for b in range(256)}
    custom = spbpe.gpt.Encoding("t", pat_str=r"\S+|\s+", mergeable_ranks=ranks, special_tokens={})
    assert lib.spbpe_bytelevel_encode_stream_start(custom._native._handle, null, 2, 1, null, stream, err) == invalid
    assert custom.encode_ordinary_batch(["ab cd", "ef"], num_threads=2) == [[97, 98, 32, 99, 100], [101, 102]]
