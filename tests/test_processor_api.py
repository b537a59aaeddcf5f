"""The SentencePieceProcessor API: options, batch, errors and types behave
like sentencepiece 0.2.3's, checked against the official package."""

import pickle
import random
import threading

import pytest

import spbpe
from tests.helpers.models import mistral_models

spm = pytest.importorskip("sentencepiece")

V1 = mistral_models()["tokenizer.model.v1"]
V7 = mistral_models()["mistral_instruct_tokenizer_241114.model.v7"]
TEXTS = ["Hello world", "  a  b ", "😀 日本語", "", "[INST] hi [/INST]", "x" * 50]


@pytest.fixture(scope="module")
def pair():
    return spbpe.SentencePieceProcessor(model_file=str(V1)), spm.SentencePieceProcessor(model_file=str(V1))


@pytest.mark.parametrize(
    "options",
    [
        dict(add_bos=True),
        dict(add_eos=True),
        dict(reverse=True),
        dict(add_bos=True, add_eos=True, reverse=True),
        dict(emit_unk_piece=True),
        dict(out_type=str, add_bos=True, reverse=True),
        dict(out_type=bytes),
        dict(out_type=str, emit_unk_piece=True, add_eos=True),
        dict(out_type="offset_mapping"),
    ],
)
def test_encode_options_match(pair, options):
    ours, ref = pair
    for t in TEXTS:
        assert ours.encode(t, **options) == ref.encode(t, **options), (t, options)
    assert ours.encode(TEXTS, **options) == ref.encode(TEXTS, **options)


def test_constructor_defaults_apply(pair):
    ours = spbpe.SentencePieceProcessor(model_file=str(V1), add_bos=True, out_type=str)
    ref = spm.SentencePieceProcessor(model_file=str(V1), add_bos=True, out_type=str)
    assert ours.encode("Hello") == ref.encode("Hello")


def test_aliases(pair):
    ours, ref = pair
    t = "Hello world"
    assert ours.EncodeAsIds(t) == ours.encode_as_ids(t) == ref.EncodeAsIds(t)
    assert ours.EncodeAsPieces(t) == ours.encode_as_pieces(t) == ref.EncodeAsPieces(t)
    ids = ref.encode(t)
    assert ours.DecodeIds(ids) == ours.decode_ids(ids) == ref.DecodeIds(ids)
    assert ours.DecodePieces(ref.encode(t, out_type=str)) == t
    assert ours.GetPieceSize() == ours.get_piece_size() == len(ours) == ours.vocab_size() == ref.vocab_size()
    assert ours.Encode(t) == ours.Tokenize(t)


def test_vocabulary_accessors(pair):
    ours, ref = pair
    n = ref.get_piece_size()
    ids = [0, 1, 2, 3, 100, 258, 259, 1000, n - 1]
    assert ours.id_to_piece(ids) == ref.id_to_piece(ids)
    assert [ours.IdToPiece(i) for i in ids] == [ref.IdToPiece(i) for i in ids]
    assert ours.get_score(ids) == ref.get_score(ids)
    for f in ("is_unknown", "is_control", "is_unused", "is_byte"):
        assert getattr(ours, f)(ids) == getattr(ref, f)(ids), f
    pieces = ["▁the", "<s>", "</s>", "<unk>", "<0x41>", "not-a-piece", ""]
    assert ours.piece_to_id(pieces) == ref.piece_to_id(pieces)
    assert [ours[p] for p in pieces] == [ref[p] for p in pieces]
    assert (ours.unk_id(), ours.bos_id(), ours.eos_id(), ours.pad_id()) == (
        ref.unk_id(),
        ref.bos_id(),
        ref.eos_id(),
        ref.pad_id(),
    )


def test_decode_forms(pair):
    ours, ref = pair
    ids = ref.encode(TEXTS)
    assert ours.decode(ids) == ref.decode(ids)
    assert ours.decode(ids[0]) == ref.decode(ids[0])
    assert ours.decode(5) == ref.decode(5)
    assert ours.decode([]) == ref.decode([]) == ""
    assert ours.decode(ids[0], out_type=bytes) == ref.decode(ids[0]).encode()
    pieces = ref.encode(TEXTS, out_type=str)
    assert ours.decode(pieces) == ref.decode(pieces)
    assert ours.decode(["▁hello", "zzqqxx"]) == ref.decode(["▁hello", "zzqqxx"])
    assert ours.decode(["<0xE2>", "<0x82>", "<0xAC>"]) == "€"


def test_out_of_range_ids_raise_index_error(pair):
    ours, ref = pair
    n = ours.get_piece_size()
    # sentencepiece raises TypeError for ids beyond int32; spbpe says IndexError
    # for every id outside [0, n), which is the more precise of the two.
    with pytest.raises(IndexError):
        ours.decode([2**40])
    for bad in ([n], [-1], [1, 2, n + 5]):
        with pytest.raises(IndexError):
            ref.decode(bad)
        with pytest.raises(IndexError) as e:
            ours.decode(bad)
        assert isinstance(e.value, spbpe.SpbpeError)
    for bad in (n, -1):
        for f in ("id_to_piece", "get_score", "is_unknown", "is_control"):
            with pytest.raises(IndexError):
                getattr(ref, f)(bad)
            with pytest.raises(IndexError):
                getattr(ours, f)(bad)


def test_wrong_types_raise_type_error(pair):
    ours, ref = pair
    for bad in (None, 3.5, object(), ("tuple", "of str")):
        with pytest.raises(TypeError):
            ours.encode(bad)
    with pytest.raises(TypeError):
        ours.decode([1.5, 2])
    with pytest.raises(TypeError):
        ours.encode("x", num_threads="2")


def test_lone_surrogate_is_a_clear_error(pair):
    ours, _ = pair
    with pytest.raises(spbpe.InputError, match="surrogate"):
        ours.encode("a\ud800b")


def test_missing_specials_raise_value_error(trained_models):
    path = trained_models["udef_control"]
    ours = spbpe.SentencePieceProcessor(model_file=str(path))
    ref = spm.SentencePieceProcessor(model_file=str(path))
    assert ours.pad_id() == ref.pad_id() == -1
    editor = spbpe.ModelEditor.load(path)
    editor.set_type("<s>", "USER_DEFINED")
    data = editor.to_bytes()
    ours = spbpe.SentencePieceProcessor(model_proto=data)
    ref = spm.SentencePieceProcessor(model_proto=data)
    assert ours.bos_id() == ref.bos_id() == -1
    with pytest.raises(ValueError):
        ref.encode("x", add_bos=True)
    with pytest.raises(ValueError):
        ours.encode("x", add_bos=True)


def test_sampling(pair):
    ours, ref = pair
    with pytest.raises(ValueError):
        ours.encode("x", enable_sampling=True, nbest_size=1)
    text = "the quick brown fox jumps over the lazy dog"
    # alpha=1 skips every merge: the output is the initial symbols.
    assert ours.encode(text, enable_sampling=True, alpha=1.0, out_type=str) == ref.encode(
        text, enable_sampling=True, alpha=1.0, out_type=str
    )
    # alpha between 0 and 1: every sample is a valid segmentation of the text,
    # and over many draws both libraries produce the same set of outcomes often.
    rng = random.Random(0)
    ours_seen, ref_seen = {}, {}
    for _ in range(2000):
        a = tuple(ours.encode("the", enable_sampling=True, alpha=0.3, out_type=str))
        b = tuple(ref.encode("the", enable_sampling=True, alpha=0.3, out_type=str))
        assert "".join(a) == "▁the"
        ours_seen[a] = ours_seen.get(a, 0) + 1
        ref_seen[b] = ref_seen.get(b, 0) + 1
    assert rng is not None
    for outcome in set(ours_seen) | set(ref_seen):
        assert abs(ours_seen.get(outcome, 0) - ref_seen.get(outcome, 0)) / 2000 < 0.05, (ours_seen, ref_seen)


def test_pickle_and_serialized_proto(pair):
    ours, _ = pair
    data = V1.read_bytes()
    assert ours.serialized_model_proto() == data
    clone = pickle.loads(pickle.dumps(ours))
    assert clone.encode(TEXTS) == ours.encode(TEXTS)
    other = spbpe.SentencePieceProcessor(model_proto=data)
    assert other.encode(TEXTS) == ours.encode(TEXTS)


def test_load_errors():
    sp = spbpe.SentencePieceProcessor()
    with pytest.raises(ValueError):
        sp.load()
    with pytest.raises(spbpe.InputError):
        sp.encode("x")
    with pytest.raises(OSError):
        sp.load(model_file="/nonexistent/path.model")


def test_threads_share_one_model():
    ours = spbpe.SentencePieceProcessor(model_file=str(V7))
    inputs = [("thread %d line %d: Hello wörld 😀 " % (t, i)) * (i % 7 + 1) for t in range(8) for i in range(200)]
    expected = [ours.encode(x) for x in inputs]
    results = {}

    def work(k):
        results[k] = [ours.encode(x) for x in inputs[k::8]] + [
            ours.decode(expected[j]) for j in range(k, len(inputs), 8)
        ]

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for k in range(8):
        n = len(inputs[k::8])
        assert results[k][:n] == expected[k::8]
        assert results[k][n:] == inputs[k::8]
    assert ours.encode(inputs, num_threads=4) == expected


def test_normalize_matches(pair):
    ours, ref = pair
    for t in TEXTS + ["  x  ", "a\u3000b"]:
        assert ours.normalize(t) == ref.normalize(t)
        assert ours.normalize(t.encode()) == ref.normalize(t.encode())
        assert ours.normalize(t, with_offsets=True) == ref.normalize(t, with_offsets=True)
        assert ours.normalize(t.encode(), with_offsets=True) == ref.normalize(t.encode(), with_offsets=True)


def test_numpy_output_equals_the_ids(pair):
    # out_type="numpy" reads the int32 ids straight into an array (no list
    # on the way), except with add_bos/add_eos/reverse.
    import numpy as np

    ours, ref = pair
    for text in TEXTS + ["x" * 5000]:
        for options in ({}, {"add_bos": True}, {"add_eos": True, "reverse": True}):
            arr = ours.encode(text, out_type="numpy", **options)
            assert arr.dtype == np.int32
            assert arr.tolist() == ref.encode(text, **options)
            if len(arr):
                with pytest.raises(ValueError):  # read-only over its own buffer, as sentencepiece's (issue 16)
                    arr[0] = 7
