"""The encoder's shortcuts (word cache, integer pair and character tables,
C-thread batches, the plain-ids normalizer) give exactly what the plain
algorithm gives, on random and adversarial inputs."""

import os
import random
import signal
import time

import pytest

import spbpe
from spbpe._core._spbpe import ffi
from tests.helpers.hard_cases import HARD_CASES, random_bytes, random_strings
from tests.helpers.models import mistral_models, real_model_paths, shared_path

MODELS = real_model_paths()


def _inputs():
    rng = random.Random(42)
    words = ["the", "▁", " ", "  ", "of", "日本", "😀", "\u200d", "[REF]", "x" * 200, "ab" * 70, "\n", "\t"]
    long_mixed = ["".join(rng.choice(words) for _ in range(rng.randint(1, 400))) for _ in range(200)]
    out = [x if isinstance(x, bytes) else x.encode() for x in HARD_CASES]
    out += [x.encode() for x in random_strings(1500, seed=11, max_len=80)] + random_bytes(300, seed=5)
    out += [x.encode() for x in long_mixed]
    adversarial = shared_path("corpora", "adversarial", "adversarial.txt")
    if adversarial:
        out += adversarial.read_bytes().split(b"\n")
    return out


@pytest.mark.parametrize("name", sorted(MODELS))
def test_shortcuts_equal_reference_path(name):
    sp = spbpe.SentencePieceProcessor(model_file=str(MODELS[name]))
    m = sp._m
    inputs = _inputs()
    for data in inputs:
        assert m.encode_ids(data) == m.encode_ids(data, reference_path=True), data[:80]
    # A second pass answers from a warm word cache.
    for data in inputs:
        assert sp.encode(data) == m.encode_ids(data, reference_path=True), data[:80]
    # str input takes the one-call path (texts up to 1 KiB: ids straight into a buffer).
    for data in inputs + [b"x" * 1023, b"\xe6\x97\xa5" * 341, "日本語 ".encode() * 200]:
        text = data.decode("utf-8", "replace")
        assert sp.encode(text) == m.encode_ids(text.encode(), reference_path=True), data[:80]


@pytest.mark.parametrize("threads", [1, 2, 3, 8])
def test_batch_threads_equal_single_calls(threads):
    sp = spbpe.SentencePieceProcessor(model_file=str(mistral_models()["mistral_instruct_tokenizer_241114.model.v7"]))
    inputs = _inputs() * 3
    single = [sp.encode(x) for x in inputs]
    assert sp.encode(inputs, num_threads=threads) == single
    assert sp.decode(single, num_threads=threads) == [sp.decode(ids) for ids in single]
    assert sp.encode(inputs[:1], num_threads=threads) == single[:1]
    assert sp.encode([], num_threads=threads) == []


def test_word_cache_survives_many_distinct_words():
    # More distinct segments than the cache holds: answers stay right after it fills.
    sp = spbpe.SentencePieceProcessor(model_file=str(mistral_models()["tokenizer.model.v1"]))
    rng = random.Random(3)
    letters = "abcdefghijklmnopqrstuvwxyz"
    text = " ".join("".join(rng.choice(letters) for _ in range(rng.randint(3, 9))) for _ in range(300_000))
    data = text.encode()
    assert sp.encode(text) == sp._m.encode_ids(data, reference_path=True)
    assert sp.encode(text) == sp._m.encode_ids(data, reference_path=True)


def _runs_without_spaces(sp, seed, count=400):
    """Long runs with no U+2581, mixing pieces (whose characters sit side by
    side in the vocabulary), single characters, characters outside the
    vocabulary and malformed bytes: the encoder cuts such runs wherever no
    piece holds the two characters around the cut."""
    rng = random.Random(seed)
    pieces = [
        sp.id_to_piece(i)
        for i in range(sp.get_piece_size())
        if not (sp.is_control(i) or sp.is_unknown(i) or sp.is_byte(i))
    ]
    multi = [p for p in pieces if len(p) >= 2 and "▁" not in p]
    chars = sorted({c for p in multi for c in p})
    fragments = [f.encode() for f in multi] + [c.encode() for c in chars]
    fragments += [c.encode() for c in "日本語の猫は吾輩である鬱龘😀👍\u200d\u0301"]
    fragments += [b"\xff", b"\xe3\x81", b"\x80", b"\xf0\x9f"]
    return [b"".join(rng.choice(fragments) for _ in range(rng.randint(2, 80))) for _ in range(count)]


@pytest.mark.parametrize("name", sorted(MODELS))
def test_cut_long_segments_equal_reference_path(name):
    sp = spbpe.SentencePieceProcessor(model_file=str(MODELS[name]))
    m = sp._m
    for data in _runs_without_spaces(sp, seed=len(name)):
        assert m.encode_ids(data) == m.encode_ids(data, reference_path=True), data[:80]
        assert m.encode_ids(b"a " + data + b" b") == m.encode_ids(b"a " + data + b" b", reference_path=True)


def test_cut_long_segments_match_sentencepiece(trained_models):
    spm = pytest.importorskip("sentencepiece")
    for path in [*trained_models.values(), *mistral_models().values()]:
        ours = spbpe.SentencePieceProcessor(model_file=str(path))
        ref = spm.SentencePieceProcessor(model_file=str(path))
        texts = [d.decode("utf-8", "replace") for d in _runs_without_spaces(ours, seed=7, count=150)]
        assert ours.encode(texts) == ref.encode(texts)
        assert [ours.encode(t) for t in texts] == ref.encode(texts)


def test_pipelined_batches_equal_single_thread_also_after_fork():
    # Batches of more than one part (32 KiB) stream through C threads; a
    # forked child must start threads of its own, not wait on its parent's.
    sp = spbpe.SentencePieceProcessor(model_file=str(mistral_models()["mistral_instruct_tokenizer_241114.model.v7"]))
    items = _inputs() * 2
    texts = [x.decode("utf-8", "replace") for x in items]
    expected = sp.encode(texts, num_threads=1)
    assert sp.encode(texts, num_threads=2) == expected
    assert sp.encode(items, num_threads=3) == sp.encode(items, num_threads=1)
    assert sp.encode(texts, out_type=str, num_threads=2) == sp.encode(texts, out_type=str, num_threads=1)
    if not hasattr(os, "fork"):
        return
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: encode, report, leave at once
        try:
            ok = sp.encode(texts, num_threads=2) == expected
            os.write(write_end, b"1" if ok else b"0")
        finally:
            os._exit(0)
    os.close(write_end)
    deadline = time.monotonic() + 120
    while os.waitpid(pid, os.WNOHANG) == (0, 0):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            break
        time.sleep(0.05)
    answer = os.read(read_end, 1)
    os.close(read_end)
    assert answer == b"1", "the forked child hung or encoded differently"


@pytest.mark.parametrize("scores", ["all_equal", "few_values"])
def test_score_ties_break_leftmost_like_sentencepiece(trained_models, scores):
    # With equal scores the leftmost pair merges first: the heap and the
    # short-word scan must agree with sentencepiece on every tie.
    spm = pytest.importorskip("sentencepiece")
    from spbpe._proto import model_pb2

    rng = random.Random(5)
    proto = model_pb2.ModelProto()
    proto.ParseFromString(trained_models["bf_identity"].read_bytes())
    for p in proto.pieces:
        if p.type == model_pb2.ModelProto.SentencePiece.NORMAL:
            p.score = 0.0 if scores == "all_equal" else float(rng.choice([-1, -2, -3]))
    data = proto.SerializeToString()
    ours = spbpe.SentencePieceProcessor(model_proto=data)
    ref = spm.SentencePieceProcessor(model_proto=data)
    texts = random_strings(400, seed=21, max_len=60) + [x.decode("utf-8", "replace") for x in _inputs()[:300]]
    texts += ["the " * 30, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "abababababababababab cdcdcdcdcd"]
    assert ours.encode(texts) == ref.encode(texts)
    assert [ours.encode(t) for t in texts] == ref.encode(texts)


def test_plain_ids_normalizer_equals_the_aligned_one():
    # Plain ids take a text-only copy of the identity normalizer, with its
    # own check of well-formed UTF-8; offsets take the aligned one.  Every
    # 1-3 byte sequence (and random bytes) must come out the same from both.
    sp = spbpe.SentencePieceProcessor(model_file=str(mistral_models()["tokenizer.model.v1"]))
    m = sp._m
    probes = [bytes([a]) for a in range(0x80, 0x100)]
    probes += [bytes([a, b]) for a in range(0xC0, 0x100) for b in range(0x70, 0x100)]
    probes += [
        bytes([a, b, c])
        for a in range(0xE0, 0xF8)
        for b in range(0x7F, 0xC1)
        for c in (0x00, 0x7F, 0x80, 0x81, 0xBF, 0xC0)
    ]
    probes += [b"\xe2\x96\x81", b"\xef\xbf\xbd", b"\xf0\x9f\x98\x80", b"\xf4\x90\x80\x80"]
    rng = random.Random(4)
    data = [b"x" + p + b" y" + p for p in probes] + [
        b"".join(rng.choice(probes + [b" ", b"a"]) for _ in range(20)) for _ in range(3000)
    ]
    for d in data:
        enc = m._encode(d)
        plain = bytes(ffi.buffer(enc.normalized, enc.normalized_len))
        assert plain == m.normalize(d)[0], d
