"""Decoding arbitrary id sequences (control, unknown and byte pieces in any
order, long pieces, runs of malformed bytes) gives sentencepiece's text."""

import random

import pytest

import spbpe
from tests.helpers.models import mistral_models, real_model_paths


def _random_id_lists(sp, seed, count=300):
    rng = random.Random(seed)
    n = sp.get_piece_size()
    special = [i for i in range(n) if sp.is_control(i) or sp.is_unknown(i)]
    byte_ids = [i for i in range(n) if sp.is_byte(i)]
    longest = sorted(range(n), key=lambda i: -len(sp.id_to_piece(i)))[:50]
    leading = [i for i in range(n) if sp.id_to_piece(i).startswith("▁")][:500]
    pools = [list(range(n)), special, byte_ids or special, longest, leading]
    out = []
    for _ in range(count):
        ids = []
        for _ in range(rng.randint(0, 60)):
            pool = rng.choice(pools)
            if pool:
                ids += [rng.choice(pool) for _ in range(rng.choice([1, 1, 2, 3, 4, 7]))]
        out.append(ids)
    return out


@pytest.mark.parametrize("path", [*real_model_paths().values(), *mistral_models().values()][:6], ids=lambda p: p.name)
def test_random_ids_decode_like_sentencepiece(path):
    spm = pytest.importorskip("sentencepiece")
    ours = spbpe.SentencePieceProcessor(model_file=str(path))
    ref = spm.SentencePieceProcessor(model_file=str(path))
    lists = _random_id_lists(ours, seed=len(path.name))
    expected = [ref.decode(ids) for ids in lists]
    assert [ours.decode(ids) for ids in lists] == expected
    assert ours.decode(lists, num_threads=2) == expected
    assert ours.decode(lists, num_threads=1, out_type=bytes) == [x.encode() for x in expected]
    assert ours.decode([i for ids in lists for i in ids]) == ref.decode([i for ids in lists for i in ids])


def test_batch_decode_takes_any_int_sequences():
    # Lists of exact ints take the packed path; anything else (tuples, other
    # int types, arrays, iterators) goes item by item, with the same result.
    import enum
    from array import array

    sp = spbpe.SentencePieceProcessor(model_file=str(mistral_models()["tokenizer.model.v1"]))
    lists = _random_id_lists(sp, seed=8, count=50)
    expected = [sp.decode(ids) for ids in lists]
    Id = enum.IntEnum("Id", {"a": 5})
    variants = [
        [tuple(x) for x in lists],
        [x + [Id.a] for x in lists],
        [array("i", x) for x in lists],
        [iter(x) for x in lists],
    ]
    assert sp.decode([tuple(x) for x in lists]) == expected
    assert sp.decode(variants[1]) == [sp.decode(x + [5]) for x in lists]
    assert sp.decode(lists[:1] + variants[2][1:]) == expected
    assert sp.decode(lists[:1] + variants[3][1:]) == expected
    with pytest.raises(TypeError):
        sp.decode([[1, 2], [3, "4"]])
    with pytest.raises(IndexError):
        sp.decode([[1, 2], [3, 2**31]])


def test_random_ids_decode_like_sentencepiece_on_trained_models(trained_models):
    spm = pytest.importorskip("sentencepiece")
    for path in trained_models.values():
        ours = spbpe.SentencePieceProcessor(model_file=str(path))
        ref = spm.SentencePieceProcessor(model_file=str(path))
        lists = _random_id_lists(ours, seed=3, count=100)
        assert [ours.decode(ids) for ids in lists] == [ref.decode(ids) for ids in lists]
        big = [i for ids in lists for i in ids] * 40  # over 8192 ids: the chunked int32 packing
        assert ours.decode(big) == ref.decode(big)


def test_huge_decode_sizes_output_exactly(trained_models):
    # Past 64 MiB of worst-case output the buffer is sized by a first pass,
    # which must count unk_surface (longer here than "<unk>") and bytes.
    spm = pytest.importorskip("sentencepiece")
    from spbpe._proto import model_pb2

    proto = model_pb2.ModelProto()
    path = next(p for name, p in trained_models.items() if "nobf" not in name and "byte" not in name)
    proto.ParseFromString(path.read_bytes())
    proto.trainer_spec.unk_surface = "<" + "?" * 40 + ">"
    data = proto.SerializeToString()
    ours = spbpe.SentencePieceProcessor(model_proto=data)
    ref = spm.SentencePieceProcessor(model_proto=data)
    ids = [ours.unk_id(), 5] * 1_000_000
    assert ours.decode(ids) == ref.decode(ids)
