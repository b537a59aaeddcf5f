"""Issue 16: ``import spbpe as spm`` behaves as ``import sentencepiece as spm``.

Every test makes the same call on both libraries at test time and compares
what comes back: the value (numpy arrays by dtype, values and
writability; protos by their bytes), or the exception (ours must be an
instance of the class sentencepiece raised; where sentencepiece's message
is its own text and not pybind11's, the same message).  Models are trained
here with sentencepiece (tests/conftest.py), so nothing needs ../shared.
"""

# ruff: noqa: B023 - every lambda here is called at once, inside same(), within its loop iteration

from __future__ import annotations

import io
import os

import pytest

import spbpe

spm = pytest.importorskip("sentencepiece")
np = pytest.importorskip("numpy")
import sentencepiece.sentencepiece_model_pb2  # noqa: E402,F401 - sentencepiece imports its pb2 modules lazily
import sentencepiece.sentencepiece_pb2  # noqa: E402,F401

TEXTS = [
    "Hello world.",
    " leading and  double  spaces ",
    "吾輩は猫である。名前はまだ無い。",
    "emoji 😀 and ＫＡＤＯＫＡＷＡ ㍻",
    "",
    "tab\tand\nnewline",
]

# Messages that are sentencepiece's own text (absl statuses and its Python
# wrapper's); pybind11's "incompatible function arguments" ones are not compared.
SAME_MESSAGE = object()


def _value(x):
    if isinstance(x, np.ndarray):
        return ("ndarray", str(x.dtype), x.tolist(), x.flags.writeable)
    if hasattr(x, "SerializeToString"):
        return ("proto", type(x).__name__, x.SerializeToString())
    if isinstance(x, list):
        return [_value(v) for v in x]
    if isinstance(x, tuple):
        return tuple(_value(v) for v in x)
    if isinstance(x, dict):
        return {k: _value(v) for k, v in x.items()}
    if isinstance(x, float):
        return round(x, 5)
    return (type(x).__name__, x)


def _run(call):
    try:
        return ("ok", _value(call()))
    except Exception as e:  # noqa: BLE001 - the outcome is what is compared
        return ("error", e)


def same(call, ours, theirs, message=None):
    """call(module, processor) on both libraries; the outcomes must agree."""
    a = _run(lambda: call(spbpe, ours))
    b = _run(lambda: call(spm, theirs))
    if b[0] == "ok":
        assert a == b
        return b[1]
    assert a[0] == "error", f"sentencepiece raised {b[1]!r}, spbpe returned {a[1]!r}"
    assert isinstance(a[1], type(b[1])), (a[1], b[1])
    assert isinstance(a[1], spbpe.SpbpeError) or type(a[1]) is type(b[1]), a[1]
    theirs_text = str(b[1])
    pybind_or_python = any(t in theirs_text for t in ("incompatible function arguments", "() got ", "Unable to cast"))
    if message is SAME_MESSAGE and not pybind_or_python:
        assert str(a[1]).startswith(theirs_text), (str(a[1]), theirs_text)
    return None


@pytest.fixture(scope="module")
def models(trained_models):
    return {name: str(trained_models[name]) for name in ("nfkc_default", "bf_identity", "udef_control")}


@pytest.fixture(scope="module")
def no_bos_model(tmp_path_factory):
    prefix = tmp_path_factory.mktemp("nobos") / "m"
    from tests.helpers.models import BUNDLED_TEXT

    spm.SentencePieceTrainer.train(
        input=str(BUNDLED_TEXT), model_prefix=str(prefix), model_type="bpe", vocab_size=300, bos_id=-1, eos_id=-1,
        minloglevel=2,
    )  # fmt: skip
    return str(prefix) + ".model"


def pair(path):
    return spbpe.SentencePieceProcessor(model_file=path), spm.SentencePieceProcessor(model_file=path)


@pytest.fixture(scope="module", params=["nfkc_default", "bf_identity", "udef_control"])
def procs(request, models):
    return pair(models[request.param])


# ---------------------------------------------------------------- positional order
@pytest.mark.parametrize(
    "args",
    [
        (None, True),  # add_eos
        (True,),  # add_bos
        (None, None, True),  # reverse
        (False, False, False, True),  # emit_unk_piece
        (False, False, False, False, False, -1, 0.1, 1, None, str),  # ..., return_type
        (False, False, False, False, False, -1, 0.1, 1, None, None, bytes),  # ..., out_type
    ],
)
def test_encode_keeps_sentencepieces_positional_order(procs, args):
    for text in TEXTS:
        same(lambda m, sp: sp.encode(text, *args), *procs)
        same(lambda m, sp: sp.encode([text, text], *args), *procs)


def test_decode_keeps_sentencepieces_positional_order(procs):
    ids = procs[1].encode(TEXTS[:3])
    for rtype in (str, bytes, "serialized_proto"):
        same(lambda m, sp: sp.decode(ids, rtype), *procs)
        same(lambda m, sp: sp.decode(ids[0], rtype, None, 1), *procs)


# ---------------------------------------------------------------- names sentencepiece has
def test_module_names():
    for name in ("ThreadPool", "SetMinLogLevel", "SetNBestTimeout", "SetDataDir", "set_min_log_level",
                 "set_nbest_timeout", "set_data_dir", "SentencePieceProcessor", "SentencePieceTrainer",
                 "SentencePieceNormalizer", "sentencepiece_pb2", "sentencepiece_model_pb2", "__version__"):  # fmt: skip
        assert hasattr(spm, name) and hasattr(spbpe, name), name
    assert isinstance(spbpe.__version__, str)
    for n in (1, 8, 0, -1, 3000):
        same(lambda m, sp: m.ThreadPool(n).num_threads(), None, None)
    same(lambda m, sp: m.ThreadPool(1.5), None, None)
    for call in (
        lambda m, sp: m.SetNBestTimeout(0),
        # (sentencepiece reads its own rule files from there: keep its folder)
        lambda m, sp: m.set_data_dir(os.path.join(os.path.dirname(spm.__file__), "package_data")),
        lambda m, sp: m.SetMinLogLevel("x"),
    ):
        same(call, None, None)


def test_processor_has_every_sentencepiece_method():
    theirs = {n for n in dir(spm.SentencePieceProcessor) if not n.startswith("_")}
    ours = {n for n in dir(spbpe.SentencePieceProcessor) if not n.startswith("_")}
    # n-best is unigram-only: it comes with issue 15's mixin.
    assert {n for n in theirs - ours if "best" not in n.lower()} == set()


@pytest.mark.parametrize(
    "call",
    [
        lambda m, sp, t: sp.EncodeAsNumpy(t),
        lambda m, sp, t: sp.encode_as_numpy([t, t]),
        lambda m, sp, t: sp.EncodeAsProto(t),
        lambda m, sp, t: sp.encode_as_proto([t]),
        lambda m, sp, t: sp.SampleEncodeAsNumpy(t, -1, 0.0),
        lambda m, sp, t: sp.SampleEncodeAsProto(t, -1, 0.0),
        lambda m, sp, t: sp.sample_encode_as_proto(t, 1, 0.0),
        lambda m, sp, t: sp.DecodeIdsAsProto(sp.encode(t)),
        lambda m, sp, t: sp.DecodePiecesAsProto(sp.encode(t, out_type=str)),
        lambda m, sp, t: sp.decode_pieces_as_proto([sp.encode(t, out_type=str)]),
        lambda m, sp, t: sp.tokenize(t, return_type=str),
        lambda m, sp, t: sp.detokenize(sp.tokenize(t)),
        lambda m, sp, t: sp.ParallelEncode(t, chunk_len=5, num_threads=2),
        lambda m, sp, t: sp.ParallelEncodeAsPieces([t, t], chunk_len=100),
        lambda m, sp, t: sp.parallel_encode_as_numpy(t, chunk_len=3),
        lambda m, sp, t: sp.ParallelEncodeAsProto(t, chunk_len=7),
        lambda m, sp, t: sp.parallel_encode(t, chunk_len=0),
        lambda m, sp, t: sp.parallel_encode(t, chunk_len=5, return_type="serialized_proto", add_bos=True),
        lambda m, sp, t: sp.encode([t, t], thread_pool=m.ThreadPool(3)),
        lambda m, sp, t: sp.decode(sp.encode([t, t]), thread_pool=m.ThreadPool(3)),
        lambda m, sp, t: sp.decode(sp.encode([t, t]), num_threads=1),
        lambda m, sp, t: sp.encode([t], thread_pool=3),  # RuntimeError: not a ThreadPool
        lambda m, sp, t: sp.encode(t, thread_pool=3),  # ignored for one text
        lambda m, sp, t: sp.decode([sp.encode(t)], thread_pool=3),
        lambda m, sp, t: sp.decode(sp.encode(t), thread_pool=3),
    ],
)
def test_added_methods(procs, call):
    for text in TEXTS:
        same(lambda m, sp: call(m, sp, text), *procs, message=SAME_MESSAGE)


def test_protos_are_instances_of_the_pb2_modules(procs):
    ours, _ = procs
    assert isinstance(ours.encode("Hello", return_type="proto"), spbpe.sentencepiece_pb2.SentencePieceText)
    assert isinstance(ours.decode([5, 6], return_type="proto"), spbpe.sentencepiece_pb2.SentencePieceText)
    data = ours.serialized_model_proto()
    mine, theirs = spbpe.sentencepiece_model_pb2.ModelProto(), spm.sentencepiece_model_pb2.ModelProto()
    mine.ParseFromString(data)
    theirs.ParseFromString(data)
    assert mine.SerializeToString() == theirs.SerializeToString() == data
    assert mine.trainer_spec.model_type == spbpe.sentencepiece_model_pb2.TrainerSpec.BPE
    nbest = spbpe.sentencepiece_pb2.NBestSentencePieceText()
    nbest.nbests.add().CopyFrom(ours.encode("Hello", return_type="proto"))
    theirs_nbest = spm.sentencepiece_pb2.NBestSentencePieceText()
    theirs_nbest.ParseFromString(nbest.SerializeToString())
    assert theirs_nbest.SerializeToString() == nbest.SerializeToString()


# ---------------------------------------------------------------- numpy (and __index__) ids
@pytest.mark.parametrize(
    "call",
    [
        lambda sp, ids: sp.id_to_piece(np.int32(ids[0])),
        lambda sp, ids: sp.IdToPiece(np.int64(ids[0])),
        lambda sp, ids: sp.get_score(np.int64(ids[0])),
        lambda sp, ids: sp.is_control(np.int64(1)),
        lambda sp, ids: sp.is_unknown([np.int64(0), np.int32(1)]),
        lambda sp, ids: sp.is_byte(np.array([0, 1, 2])),
        lambda sp, ids: sp.id_to_piece(np.array(ids, dtype=np.uint16)),
        lambda sp, ids: sp.id_to_piece(np.array([0, -1], dtype=np.int32)),
        lambda sp, ids: sp.get_score(np.array([0, 10**6])),
        lambda sp, ids: sp.id_to_piece("a"),
        lambda sp, ids: sp.id_to_piece(1.0),
        lambda sp, ids: sp.decode(np.array(ids, dtype=np.int32)),
        lambda sp, ids: sp.decode(np.array(ids, dtype=np.int64)),
        lambda sp, ids: sp.decode(np.array(ids, dtype=np.int64)[::-1]),
        lambda sp, ids: sp.decode(np.array(ids, dtype=np.int32)[::2]),
        lambda sp, ids: sp.decode([np.array(ids), np.array(ids[:1])]),
        lambda sp, ids: sp.decode(np.array([ids, ids])),
        lambda sp, ids: sp.decode([np.int64(i) for i in ids]),
        lambda sp, ids: sp.decode(np.int64(ids[0])),
        lambda sp, ids: sp.decode(np.array([1.0, 2.0])),
        lambda sp, ids: sp.decode(np.array([[[1]]], dtype=np.int32)),
        lambda sp, ids: sp.decode(np.array([0, 10**6])),
        lambda sp, ids: sp.decode([np.array([10**6])]),
        lambda sp, ids: sp.decode(np.array([], dtype=np.int32)),
        lambda sp, ids: sp.decode(np.array(ids), return_type="serialized_proto"),
        lambda sp, ids: sp.encode("Hello world", return_type="numpy"),
        lambda sp, ids: sp.encode(["Hello world", ""], return_type="numpy"),
        lambda sp, ids: sp.encode("Hello world", add_bos=np.bool_(True), nbest_size=np.int64(3)),
    ],
)
def test_numpy_values(procs, call):
    ids = procs[1].encode("Hello world. 吾輩は猫である 😀")
    same(lambda m, sp: call(sp, ids), *procs)


def test_numpy_results_are_read_only_views_of_a_vector_buffer(procs):
    arr = procs[0].encode("Hello world", return_type="numpy")
    assert type(arr.base.obj).__name__ == "VectorBuffer"
    assert arr.__array_interface__["data"][0] == arr.base.obj.data_address()
    with pytest.raises(ValueError):
        arr[0] = 1


# ---------------------------------------------------------------- decode out types
@pytest.mark.parametrize("rtype", [str, bytes, "proto", "serialized_proto", "offset_mapping", int, "numpy", "x"])
@pytest.mark.parametrize("as_pieces", [None, str, bytes])
def test_decode_return_types(procs, rtype, as_pieces):
    ours, theirs = procs
    for text in TEXTS + ["<s>x</s>", "\u2581\u2581a"]:
        ids = theirs.encode(text) + [0, 1, 2][: len(theirs) and 3]
        seq = ids if as_pieces is None else [theirs.id_to_piece(i) for i in ids]
        if as_pieces is bytes:
            seq = [p.encode() for p in seq]
        same(lambda m, sp: sp.decode(seq, return_type=rtype), ours, theirs, message=SAME_MESSAGE)
        same(lambda m, sp: sp.decode([seq, seq[:2], []], return_type=rtype), ours, theirs)
        same(lambda m, sp: sp.decode([[], seq], return_type=rtype), ours, theirs)
        if rtype == "offset_mapping":
            for rb in (True, False):
                same(lambda m, sp: sp.decode(seq, return_type=rtype, return_bytes=rb), ours, theirs)
                same(lambda m, sp: sp.decode([seq], return_type=rtype, return_bytes=rb), ours, theirs)
        else:
            same(lambda m, sp: sp.decode(seq, return_type=rtype, return_bytes=True), ours, theirs, SAME_MESSAGE)


def test_decode_empty_and_single_inputs(procs):
    for value in ([], None, "", b"", 5, "\u2581Hello", b"\xe2\x96\x81Hello", (), ((),)):
        for rtype in (str, bytes, "serialized_proto", "offset_mapping"):
            same(lambda m, sp: sp.decode(value, return_type=rtype), *procs)
    same(lambda m, sp: sp.decode([10**6]), *procs, message=SAME_MESSAGE)
    same(lambda m, sp: sp.decode(10**6), *procs, message=SAME_MESSAGE)
    same(lambda m, sp: sp.decode([[0, 10**6]]), *procs, message=SAME_MESSAGE)
    same(lambda m, sp: sp.decode([["a", 1]]), *procs)
    same(lambda m, sp: sp.decode(["a", 1]), *procs)


# ---------------------------------------------------------------- exceptions
def test_load_and_unloaded_errors_are_runtime_errors(tmp_path, models):
    same(lambda m, sp: m.SentencePieceProcessor(model_file=str(tmp_path / "missing.model")), None, None, SAME_MESSAGE)
    same(lambda m, sp: m.SentencePieceProcessor(model_proto=b"garbage \x01\x02"), None, None)
    same(lambda m, sp: m.SentencePieceProcessor().load_from_file(str(tmp_path)), None, None, SAME_MESSAGE)
    with pytest.raises(FileNotFoundError):  # spbpe's error is an OSError too
        spbpe.SentencePieceProcessor(model_file=str(tmp_path / "missing.model"))
    procs = spbpe.SentencePieceProcessor(), spm.SentencePieceProcessor()
    for call in (
        lambda m, sp: sp.encode("a"),
        lambda m, sp: sp.encode(["a"]),
        lambda m, sp: sp.encode([]),
        lambda m, sp: sp.encode("a", return_type=str),
        lambda m, sp: sp.encode("a", return_type="serialized_proto"),
        lambda m, sp: sp.encode(1),
        lambda m, sp: len(sp),
        lambda m, sp: (sp.bos_id(), sp.eos_id(), sp.unk_id(), sp.pad_id(), sp.vocab_size()),
        lambda m, sp: sp.decode([1]),
        lambda m, sp: sp.decode([]),
        lambda m, sp: sp.decode(["a"]),
        lambda m, sp: sp.id_to_piece(0),
        lambda m, sp: sp.piece_to_id("a"),
        lambda m, sp: sp.get_score(0),
        lambda m, sp: sp.normalize("a"),
        lambda m, sp: sp.serialized_model_proto(),
    ):
        same(call, *procs, message=SAME_MESSAGE)


def test_proto_api_refuses_rewrite_options(procs):
    for rtype in ("proto", "serialized_proto", "offset_mapping"):
        for kw in ({"add_bos": True}, {"add_eos": True}, {"reverse": True}, {"emit_unk_piece": True}):
            same(lambda m, sp: sp.encode("Hello", return_type=rtype, **kw), *procs, message=SAME_MESSAGE)
            same(lambda m, sp: sp.encode(["Hello"], return_type=rtype, **kw), *procs, message=SAME_MESSAGE)
            same(lambda m, sp: sp.encode([], return_type=rtype, **kw), *procs, message=SAME_MESSAGE)
            same(lambda m, sp: sp.encode(1, return_type=rtype, **kw), *procs, message=SAME_MESSAGE)


def test_sampling_options(procs):
    for alpha in (-0.5, -1):
        same(lambda m, sp: sp.encode("Hello", enable_sampling=True, alpha=alpha), *procs)
        same(lambda m, sp: sp.encode("Hello", alpha=alpha), *procs)
    for nbest in (0, 1, None):
        same(lambda m, sp: sp.encode("Hello", enable_sampling=True, nbest_size=nbest, alpha=0.0), *procs, SAME_MESSAGE)
    same(lambda m, sp: sp.encode("Hello", enable_sampling=True, alpha=1.0), *procs)  # every merge dropped


def test_bos_eos_errors_and_their_order(no_bos_model):
    procs = pair(no_bos_model)
    for rtype in (int, str, bytes, "numpy"):
        for kw in ({"add_bos": True}, {"add_eos": True}):
            for inp in ("a", ["a", "b"], [], 123, [1], ["a", 1], None):
                same(lambda m, sp: sp.encode(inp, return_type=rtype, **kw), *procs, message=SAME_MESSAGE)
            same(lambda m, sp: sp.parallel_encode("a", chunk_len=5, return_type=rtype, **kw), *procs, SAME_MESSAGE)


@pytest.mark.parametrize("value", [1, 0, 2, 1.5, "yes", "", [], None, np.bool_(True), np.int64(1)])
@pytest.mark.parametrize("option", ["add_bos", "add_eos", "reverse", "emit_unk_piece", "enable_sampling"])
def test_option_values_convert_as_sentencepiece(procs, option, value):
    kw = {option: value, "alpha": 0.0}  # alpha 0: sampling gives the one deterministic encoding
    for rtype in (int, str, "numpy", "serialized_proto"):
        same(lambda m, sp: sp.encode("Hello", return_type=rtype, **kw), *procs)
        same(lambda m, sp: sp.encode(["Hello"], return_type=rtype, **kw), *procs)


@pytest.mark.parametrize(
    "kw",
    [
        {"nbest_size": 1.5},
        {"nbest_size": "3"},
        {"nbest_size": np.int64(3)},
        {"alpha": "x"},
        {"alpha": np.float32(0.5)},
        {"num_threads": 1.0},
        {"num_threads": np.int64(2)},
        {"num_threads": True},
        {"return_bytes": True},
        {"return_type": "immutable_proto"},
        {"return_type": int, "out_type": int},
    ],
)
def test_other_option_values(procs, kw):
    same(lambda m, sp: sp.encode(["Hello"], **kw), *procs, message=SAME_MESSAGE)
    same(lambda m, sp: sp.encode("Hello", return_type="offset_mapping", **kw), *procs, message=SAME_MESSAGE)


# ---------------------------------------------------------------- trainer
def test_trainer_string_form_returns_true_and_writes_logstream(tmp_path):
    from tests.helpers.models import BUNDLED_TEXT

    for mod in (spbpe, spm):
        prefix = tmp_path / mod.__name__
        args = f"--input={BUNDLED_TEXT} --model_prefix={prefix} --vocab_size=300 --model_type=bpe"
        assert mod.SentencePieceTrainer.train(args) is True
        kw = dict(input=str(BUNDLED_TEXT), model_prefix=str(prefix), vocab_size=300, model_type="bpe")
        with open(tmp_path / "log.txt", "w") as log:
            assert mod.SentencePieceTrainer.train(logstream=log, **kw) is None
    log = io.StringIO()
    spbpe.SentencePieceTrainer.train(logstream=log, **kw)
    assert "Saving model: " in log.getvalue()
    assert open(tmp_path / "spbpe.model", "rb").read() != b""


def test_trainer_normalizer_argument(tmp_path):
    from tests.helpers.models import BUNDLED_TEXT

    models = {}
    for mod in (spbpe, spm):
        norm = mod.SentencePieceNormalizer(norm_map=[("foo", "bar"), ("apple", "orange")], add_dummy_prefix=False)
        prefix = tmp_path / mod.__name__
        mod.SentencePieceTrainer.train(
            input=str(BUNDLED_TEXT), model_prefix=str(prefix), vocab_size=300, model_type="bpe", normalizer=norm,
            minloglevel=1,
        )  # fmt: skip
        proto = spm.sentencepiece_model_pb2.ModelProto.FromString(open(str(prefix) + ".model", "rb").read())
        proto.trainer_spec.model_prefix = ""
        models[mod.__name__] = proto.SerializeToString()
        for key, value in (("add_dummy_prefix", True), ("normalization_rule_name", "nfkc")):
            with pytest.raises(ValueError) as e:
                mod.SentencePieceTrainer.train(
                    input=str(BUNDLED_TEXT), model_prefix=str(prefix), vocab_size=300, normalizer=norm, **{key: value}
                )
            assert f"normalizer-specific argument: {key}" in str(e.value)
    assert models["spbpe"] == models["sentencepiece"]


@pytest.mark.parametrize(
    "norm_map",
    [
        [(b"\xff", b"bar")],
        [("", "bar")],
        [(b"", b"bar")],
        [("foo", "foo")],
        [("foo", "bar"), ("foo", "baz")],
        [("a", 1)],
        [("ab", "c"), ("b", "")],
    ],
)
def test_normalizer_map_checks(norm_map):
    message = None if norm_map[0][0] == b"\xff" else SAME_MESSAGE  # UnicodeDecodeError positions differ
    same(lambda m, sp: m.SentencePieceNormalizer(norm_map=norm_map).normalize("xabfoo"), None, None, message)


def test_decode_protos_of_random_ids_and_pieces(procs):
    # Random id sequences mix control, unknown, user-defined and byte
    # pieces (runs of bytes that are and are not UTF-8): every piece's
    # surface and offsets must be sentencepiece's.
    import random

    ours, theirs = procs
    rng = random.Random(16)
    size = len(theirs)
    for _ in range(400):
        ids = [rng.randrange(size) for _ in range(rng.randrange(14))]
        for rtype in ("serialized_proto", "offset_mapping"):
            same(lambda m, sp: sp.decode(ids, return_type=rtype), ours, theirs)
        pieces = [theirs.id_to_piece(i) for i in ids]
        same(lambda m, sp: sp.decode(pieces, return_type="serialized_proto"), ours, theirs)


@pytest.mark.parametrize(
    "kw, message",
    [
        ({"model_file": "/nonexistent/m.model"}, SAME_MESSAGE),
        ({"rule_tsv": "/nonexistent/rules.tsv"}, SAME_MESSAGE),
        ({"model_proto": b"garbage \x01\x02"}, None),
        ({"rule_name": "no_such_rule"}, None),
        ({"normalizer_spec": b"\xff\xff"}, None),
        ({}, SAME_MESSAGE),
    ],
)
def test_normalizer_load_errors(kw, message):
    same(lambda m, sp: m.SentencePieceNormalizer(**kw), None, None, message)
