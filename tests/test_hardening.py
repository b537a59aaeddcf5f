"""Hardening: bad input at call time (documented behaviour, checked against
sentencepiece where it has one), no quadratic work on adversarial runs,
threads sharing one processor, the GIL released in C, the trainer's
one-thread guard, and memory that does not grow over many calls."""

import gc
import os
import sys
import threading
import time

import pytest

import spbpe
from spbpe._core.native import NativeModel
from spbpe._core.native_trainer import NativeTrainer
from spbpe.trainer import SentencePieceTrainer, TrainerError
from tests.helpers.models import BUNDLED_TEXT, mistral_models

spm = pytest.importorskip("sentencepiece")

V1 = mistral_models()["tokenizer.model.v1"]


@pytest.fixture(scope="module")
def pair():
    return spbpe.SentencePieceProcessor(model_file=str(V1)), spm.SentencePieceProcessor(model_file=str(V1))


# ------------------------------------------------------- bad input at call time


def test_invalid_utf8_bytes_match_sentencepiece(pair):
    """Each malformed byte is one U+FFFD character (sentencepiece's rule)."""
    ours, theirs = pair
    for data in (
        b"a\xffb\xc3",
        b"\x80\x80\x80",
        b"\xed\xa0\x80 surrogate",
        b"\xf4\x90\x80\x80 > U+10FFFF",
        b"\xc0\xaf overlong",
        b"ok \xe2\x82 truncated",
        b"\x00nul\x00",
    ):
        assert ours.encode(data) == theirs.encode(data), data
        assert ours.encode(data, out_type=str) == theirs.encode(data, out_type=str), data


def test_lone_surrogate_is_an_input_error(pair):
    ours, theirs = pair
    with pytest.raises(spbpe.InputError, match="surrogate") as e:
        ours.encode("a\ud800b")
    assert isinstance(e.value, ValueError)
    with pytest.raises(RuntimeError):  # sentencepiece: from pybind11
        theirs.encode("a\ud800b")
    # bytes with the surrogate's UTF-8 form are fine: three U+FFFD
    assert ours.encode(b"a\xed\xa0\x80b") == theirs.encode(b"a\xed\xa0\x80b")


@pytest.mark.parametrize("bad", [-1, 32000, 2**31, 2**40, -(2**40)])
def test_out_of_range_ids(pair, bad):
    ours, theirs = pair
    for call in (lambda sp: sp.decode([1, bad]), lambda sp: sp.id_to_piece(bad)):
        with pytest.raises(spbpe.OutOfRangeError) as e:
            call(ours)
        assert isinstance(e.value, IndexError) and str(bad) in str(e.value)
        if -(2**31) <= bad < 2**31:
            with pytest.raises(IndexError):
                call(theirs)
    with pytest.raises(spbpe.OutOfRangeError):
        ours.decode([[1], [bad]])  # batch decode in C threads


@pytest.mark.parametrize("bad", [1.5, None, "7", b"x", object()])
def test_non_int_ids_are_type_errors(pair, bad):
    ours, theirs = pair
    with pytest.raises(TypeError):
        ours.decode([1, bad])
    with pytest.raises(TypeError):
        theirs.decode([1, bad])


def test_none_and_wrong_types(pair):
    ours, theirs = pair
    assert ours.decode(None) == theirs.decode(None) == ""
    assert ours.decode([]) == theirs.decode([]) == ""
    for bad in (None, 5, 1.0, object()):
        with pytest.raises(TypeError):
            ours.encode(bad)
        with pytest.raises(TypeError):
            theirs.encode(bad)
    with pytest.raises(TypeError):
        ours.id_to_piece(1.0)


def test_100mb_single_line(pair):
    """One 100 MB line without a newline encodes (through the numpy output,
    which keeps memory at a few bytes per token) and its start and end agree
    with encoding the pieces alone."""
    ours, _ = pair
    unit = (" ".join(BUNDLED_TEXT.read_text(encoding="utf-8").split()) + " ").encode()
    big = unit * (100_000_000 // len(unit) + 1)
    assert len(big) >= 100_000_000
    ids = ours.encode(big, out_type="numpy")
    head = ours.encode(unit)
    assert ids[: len(head) - 1].tolist() == head[:-1]
    assert 0.95 * len(head) * (len(big) // len(unit)) < len(ids) < 1.05 * len(head) * (len(big) // len(unit))
    assert ours.decode(ids[-50:].tolist()).strip() in unit.decode()
    del ids, big


# ------------------------------------------------------------ no quadratic work


@pytest.mark.parametrize(
    "make",
    [
        lambda n: b"a" * n,  # one character
        lambda n: bytes(97 + (i * 7) % 26 for i in range(n)),  # no spaces
        lambda n: b"ab" * (n // 2),
        lambda n: b" " * n,
        lambda n: ("\u2581" * (n // 3)).encode(),
        lambda n: bytes(i % 256 for i in range(n)),  # invalid UTF-8 everywhere
    ],
)
def test_merge_work_is_linear_on_adversarial_runs(make):
    """spbpe_encoding.merge_steps counts heap pushes and pops: at most 3 per
    initial symbol and never more than 6 per normalized byte, so the merge
    loop is O(n log n); doubling the input at most doubles the work."""
    m = NativeModel(V1.read_bytes())
    steps = []
    for n in (500_000, 1_000_000):
        enc = m._encode(make(n), reference_path=True)
        assert enc.merge_steps <= 6 * enc.normalized_len
        steps.append(enc.merge_steps)
    assert steps[1] <= 2.05 * steps[0] + 64


# --------------------------------------------------------------------- threads


def _mixed_inputs():
    lines = BUNDLED_TEXT.read_text(encoding="utf-8").splitlines()[:400]
    out = []
    for i, line in enumerate(lines):
        if i % 5 == 0:
            out.append(line.encode() + b"\xff\xc3")
        elif i % 5 == 1:
            out.append(line * (i % 13 + 1))
        elif i % 5 == 2:
            out.append("日本語 😀 " + line)
        else:
            out.append(line)
    return out


def test_eight_threads_share_one_processor(pair):
    ours, _ = pair
    inputs = _mixed_inputs()
    serial = [(ours.encode(x), ours.encode(x, out_type=str), ours.encode(x, out_type="offset_mapping")) for x in inputs]
    id_lists = [s[0] for s in serial]
    decoded = [ours.decode(ids) for ids in id_lists]
    # Big enough to stream in several parts to C threads (32 KB each).
    many = [inputs[i % len(inputs)] for i in range(3000)]
    batch = [serial[i % len(inputs)][0] for i in range(3000)]
    errors = []
    results = [None] * 8

    def work(k):
        try:
            got = []
            for j in range(len(inputs)):
                i = (j * 7 + k * 31) % len(inputs)
                x = inputs[i]
                kind = (i + k) % 4
                if kind == 0:
                    got.append((i, "ids", ours.encode(x)))
                elif kind == 1:
                    got.append((i, "pieces", ours.encode(x, out_type=str)))
                elif kind == 2:
                    got.append((i, "offsets", ours.encode(x, out_type="offset_mapping")))
                else:
                    got.append((i, "decode", ours.decode(id_lists[i])))
                if j % 100 == 0:
                    got.append((-1, "batch", ours.encode(many, num_threads=2)))
            results[k] = got
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for got in results:
        for i, kind, value in got:
            if kind == "ids":
                assert value == serial[i][0]
            elif kind == "pieces":
                assert value == serial[i][1]
            elif kind == "offsets":
                assert value == serial[i][2]
            elif kind == "decode":
                assert value == decoded[i]
            else:
                assert value == batch


def test_batch_with_empty_texts(pair):
    """Empty items in a batch (once memcpy(NULL, NULL, 0) in batch.c, which
    UBSan reports; scripts/asan_tests.sh runs this under UBSan)."""
    ours, _ = pair
    for threads in (1, 2):
        assert ours.encode(["", "a", "", ""], num_threads=threads) == [[], ours.encode("a"), [], []]
        assert ours.decode([[], [1], []], num_threads=threads) == ["", "", ""]


def test_gil_is_released_during_encode():
    """With a 100 s switch interval the interpreter never takes the GIL away
    by force, so the other thread only counts while encode runs in C if the
    call released the GIL."""
    sp = spbpe.SentencePieceProcessor(model_file=str(V1))
    text = "a" * 2_000_000
    counter = [0]
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            counter[0] += 1
            # sched_yield() hands the GIL back, so the main thread proceeds
            # between calls; this thread cannot run *during* the call below
            # unless the C call dropped the GIL.
            os.sched_yield()

    old = sys.getswitchinterval()
    sys.setswitchinterval(100.0)
    t = threading.Thread(target=spin)
    try:
        t.start()
        while counter[0] == 0:
            time.sleep(0.001)
        before = counter[0]
        sp._m.encode(text.encode())
        during = counter[0] - before
    finally:
        stop.set()
        sys.setswitchinterval(old)
        t.join()
    assert during > 0


def _small_opts():
    from spbpe._proto.trainer_spec import DEFAULTS

    o = dict(DEFAULTS)
    o.update(model_type=2, vocab_size=300, hard_vocab_limit=False, charsmap=b"")
    return o


def test_trainer_refuses_a_second_thread():
    native = NativeTrainer(_small_opts())
    try:
        # Another thread is inside a call (the state the guard sees while a
        # C call runs with the GIL released).
        assert native._busy.acquire(blocking=False)
        caught = []

        def other():
            try:
                native.add_sentence(b"hello world")
            except TrainerError as e:
                caught.append(e)

        t = threading.Thread(target=other)
        t.start()
        t.join()
        assert len(caught) == 1 and "another thread" in str(caught[0])
        assert isinstance(caught[0], ValueError)
        native._busy.release()
        assert native.add_sentence(b"hello world")
        for line in BUNDLED_TEXT.read_text(encoding="utf-8").splitlines()[:500]:
            native.add_sentence(line.encode())
        assert len(native.train()) > 100
    finally:
        native.close()
    native.close()  # closing twice is fine
    with pytest.raises(TrainerError, match="closed"):
        native.add_sentence(b"x")


def test_two_trainings_in_two_threads(tmp_path):
    """SentencePieceTrainer.train makes its own C trainer per call, so two
    threads training at once both succeed, with the same model."""
    lines = BUNDLED_TEXT.read_text(encoding="utf-8").splitlines()[:2000]
    out = [None, None]

    def work(k):
        import io

        buf = io.BytesIO()
        SentencePieceTrainer.train(sentence_iterator=iter(lines), model_writer=buf, model_type="bpe", vocab_size=500)
        out[k] = buf.getvalue()

    threads = [threading.Thread(target=work, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert out[0] and out[0] == out[1]


# ---------------------------------------------------------------------- memory


def _rss_kb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc")
def test_no_growth_over_many_calls_and_loads():
    """100k calls (50k encode + 50k decode), 500 batches on two threads and 50
    load/free cycles: after a warm-up, resident memory grows by less than
    16 MB (a leak of one 32000-piece model per cycle would be about 150 MB;
    of 100 bytes per call, 10 MB; of one 100 KB batch's ids, 25 MB)."""
    data = V1.read_bytes()
    texts = [b"Hello world %d \xff" % i for i in range(100)] + [("日本語 %d" % i).encode() for i in range(100)]
    batch = [t.decode("utf-8", "replace") * 30 for t in texts]  # about 100 KB: streamed in several parts
    sp = spbpe.SentencePieceProcessor(model_proto=data)
    for i in range(2000):
        sp.decode(sp.encode(texts[i % len(texts)]))
    for _ in range(20):
        sp.decode(sp.encode(batch, num_threads=2), num_threads=2)
    for _ in range(3):
        spbpe.SentencePieceProcessor(model_proto=data).encode("warm up")
    gc.collect()
    before = _rss_kb()
    for i in range(50_000):
        ids = sp.encode(texts[i % len(texts)])
        sp.decode(ids)
    for _ in range(500):
        sp.decode(sp.encode(batch, num_threads=2), num_threads=2)
    for _ in range(50):
        m = spbpe.SentencePieceProcessor(model_proto=data)
        m.decode(m.encode("load and free"))
        del m
    gc.collect()
    assert _rss_kb() - before < 16 * 1024
