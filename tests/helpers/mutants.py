"""Seeded mutants of real .model files, for tests/test_mutated_models.py and
scripts/sentencepiece_mutants.py.

``mutant(bases, i, seed)`` is a pure function of its arguments, so a worker
process regenerates mutant i from the base models' bytes instead of
receiving it.  Kinds: byte-level (truncation, bit flips, random spans,
random files, inserted bytes) and structure-aware edits of the protobuf wire
format (duplicate or empty pieces, an empty piece list, bad piece types,
missing or doubled unk, special pieces pointing at the wrong type, wrong
wire types, huge claimed lengths, groups, a huge vocabulary, model_type,
byte_fallback without byte pieces, charsmaps with bad headers or with
trie/pool offsets outside the blob).
"""

# Run as a worker script too (python tests/helpers/mutants.py ...): find the package.
import os as _os
import random
import struct
import sys as _sys
from typing import Dict, List, Sequence, Tuple

_sys.path.insert(0, _os.path.dirname(_os.path.dirname(_os.path.dirname(_os.path.abspath(__file__)))))
from spbpe._proto.wire import varint  # noqa: E402

__all__ = ["mutant", "KINDS", "train_bases"]

Field = Tuple[int, int, bytes]  # (number, wire type, payload: raw bytes of the value)


def _read_varint(buf: bytes, i: int) -> Tuple[int, int]:
    x = shift = 0
    while True:
        b = buf[i]
        i += 1
        x |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return x, i


def parse(buf: bytes) -> List[Field]:
    """Top-level fields of a well-formed message (payload = encoded value)."""
    out, i = [], 0
    while i < len(buf):
        tag, j = _read_varint(buf, i)
        num, wt = tag >> 3, tag & 7
        if wt == 0:
            _, k = _read_varint(buf, j)
            out.append((num, wt, buf[j:k]))
        elif wt == 1:
            out.append((num, wt, buf[j : j + 8]))
            k = j + 8
        elif wt == 5:
            out.append((num, wt, buf[j : j + 4]))
            k = j + 4
        else:
            n, j = _read_varint(buf, j)
            k = j + n
            out.append((num, wt, buf[j:k]))
        i = k
    return out


def field(num: int, wt: int, payload: bytes) -> bytes:
    head = varint(num << 3 | wt)
    return head + (varint(len(payload)) + payload if wt == 2 else payload)


def build(fields: Sequence[Field]) -> bytes:
    return b"".join(field(*f) for f in fields)


def _set(fields: List[Field], num: int, wt: int, payload: bytes) -> List[Field]:
    return [f for f in fields if f[0] != num] + [(num, wt, payload)]


def _get(fields: List[Field], num: int) -> bytes:
    for f in reversed(fields):
        if f[0] == num and f[1] == 2:
            return f[2]
    return b""


_PARSED: Dict[int, List[Field]] = {}


def _fields(base: bytes) -> List[Field]:
    key = id(base)
    if key not in _PARSED:
        _PARSED[key] = parse(base)
    return _PARSED[key]


def _piece_indices(fields: List[Field]) -> List[int]:
    return [k for k, f in enumerate(fields) if f[0] == 1]


def _edit_piece(fields: List[Field], rng: random.Random, edit) -> List[Field]:
    idx = _piece_indices(fields)
    if not idx:
        return fields
    k = rng.choice(idx)
    sub = parse(fields[k][2])
    out = list(fields)
    out[k] = (1, 2, build(edit(sub)))
    return out


def _edit_sub(fields: List[Field], num: int, edit) -> List[Field]:
    return _set(fields, num, 2, build(edit(parse(_get(fields, num)))))


# ---------------------------------------------------------------- kinds


def k_truncate(b, f, rng):
    return b[: rng.randrange(len(b))]


def k_bitflip(b, f, rng):
    a = bytearray(b)
    for _ in range(rng.choice([1, 1, 2, 4, 8, 32])):
        p = rng.randrange(len(a))
        a[p] ^= 1 << rng.randrange(8)
    return bytes(a)


def k_random_span(b, f, rng):
    a = bytearray(b)
    p = rng.randrange(len(a))
    n = rng.choice([1, 2, 4, 16, 256])
    a[p : p + n] = bytes(rng.randrange(256) for _ in range(n))
    return bytes(a)


def k_random_file(b, f, rng):
    return bytes(rng.randrange(256) for _ in range(rng.choice([0, 1, 2, 5, 64, 1000, 10000])))


def k_insert(b, f, rng):
    p = rng.randrange(len(b) + 1)
    return b[:p] + bytes(rng.randrange(256) for _ in range(rng.choice([1, 3, 10]))) + b[p:]


def k_empty_pieces(b, f, rng):
    return build([x for x in f if x[0] != 1])


def k_dup_piece(b, f, rng):
    idx = _piece_indices(f)
    src = f[rng.choice(idx)]
    out = list(f)
    out.insert(rng.randrange(len(out) + 1), src)
    return build(out)


def k_piece_type(b, f, rng):
    t = rng.choice([0, 1, 2, 3, 4, 5, 6, 7, 99, 2**31, 2**64 - 1])
    return build(_edit_piece(f, rng, lambda s: _set(s, 3, 0, varint(t))))


def k_piece_string(b, f, rng):
    s = rng.choice(
        [b"", b"\xff", b"\xe2\x96", "\u2581".encode() * 3, b"<unk>", b"<s>", b"<0x41>", b"<0xZZ>", b"a" * 5000]
    )
    return build(_edit_piece(f, rng, lambda p: _set(p, 1, 2, s)))


def k_piece_score(b, f, rng):
    v = rng.choice([float("nan"), float("inf"), -float("inf"), 1e38, -0.0])
    return build(_edit_piece(f, rng, lambda p: _set(p, 2, 5, struct.pack("<f", v))))


def k_no_unk(b, f, rng):
    out = []
    for x in f:
        if x[0] == 1 and b"\x18\x02" in x[2]:
            x = (1, 2, build(_set(parse(x[2]), 3, 0, varint(rng.choice([1, 3, 4, 5])))))
        out.append(x)
    return build(out)


def k_second_unk(b, f, rng):
    return build(_edit_piece(f, rng, lambda p: _set(p, 3, 0, varint(2))))


def k_special(b, f, rng):
    num = rng.choice([45, 46, 47, 48, 44])  # unk/bos/eos/pad piece, unk_surface
    val = rng.choice([b"", b"\xe2\x96\x81the", b"<unk>", b"<s>", b"nope", b"\xff\xfe", b"a"])
    ids = rng.choice([40, 41, 42, 43])  # unk_id, bos_id, eos_id, pad_id
    idv = rng.choice([-1, 0, 5, 2**31 - 1, 2**63])
    return build(_edit_sub(f, 2, lambda s: _set(_set(s, num, 2, val), ids, 0, varint(idv))))


def k_model_type(b, f, rng):
    return build(_edit_sub(f, 2, lambda s: _set(s, 3, 0, varint(rng.choice([0, 1, 3, 4, 5, 2**40])))))


def k_byte_fallback(b, f, rng):
    on = rng.random() < 0.5
    return build(_edit_sub(f, 2, lambda s: _set(s, 35, 0, varint(1 if on else 0))))


def k_charsmap_header(b, f, rng):
    def edit(ns):
        cm = bytearray(_get(ns, 2) or b"\x00" * 2000)
        size = rng.choice([0, 1, 1023, 1024, len(cm) - 4, len(cm), 2**31, 2**32 - 1, 4 * (len(cm) // 4)])
        cm[0:4] = struct.pack("<I", size & 0xFFFFFFFF)
        return _set(ns, 2, 2, bytes(cm))

    return build(_edit_sub(f, 3, edit))


def k_charsmap_units(b, f, rng):
    def edit(ns):
        cm = bytearray(_get(ns, 2))
        if len(cm) < 8:
            return _set(ns, 2, 2, bytes(rng.randrange(256) for _ in range(rng.choice([1, 4, 5, 2048]))))
        trie = struct.unpack("<I", cm[:4])[0]
        units = max(1, min(trie, len(cm) - 4) // 4)
        for _ in range(rng.choice([1, 8, 64, 1024])):
            u = rng.randrange(units)
            cm[4 + 4 * u : 8 + 4 * u] = struct.pack(
                "<I",
                rng.choice(
                    [rng.randrange(2**32), 0xFFFFFFFF, 0x7FFFFFFF, (rng.randrange(2**22) << 10) | rng.randrange(256)]
                ),
            )
        return _set(ns, 2, 2, bytes(cm))

    return build(_edit_sub(f, 3, edit))


def k_charsmap_truncate(b, f, rng):
    def edit(ns):
        cm = _get(ns, 2)
        return _set(ns, 2, 2, cm[: rng.randrange(len(cm) + 1)])

    return build(_edit_sub(f, 3, edit))


def k_denormalizer(b, f, rng):
    cm = _get(parse(_get(f, 3)), 2) or b"\x00\x04\x00\x00" + b"\x00" * 1030
    cm = k_bitflip(cm, None, rng) if rng.random() < 0.5 else cm[: rng.randrange(len(cm) + 1)]
    return build(_set(f, 5, 2, field(2, 2, cm)))


def k_huge_len(b, f, rng):
    k = rng.randrange(len(f))
    num, wt, payload = f[k]
    head = b"".join(field(*x) for x in f[:k])
    n = rng.choice([2**31, 2**32 + 5, 2**63, 2**64 - 1, len(b), len(payload) + 1])
    return head + varint(num << 3 | 2) + varint(n) + payload


def k_wrong_wire(b, f, rng):
    k = rng.randrange(len(f))
    num, wt, payload = f[k]
    new_wt = rng.choice([w for w in (0, 1, 2, 3, 4, 5, 6, 7) if w != wt])
    out = b"".join(field(*x) for x in f[:k]) + varint(num << 3 | new_wt)
    out += (varint(len(payload)) + payload) if wt == 2 else payload
    return out + b"".join(field(*x) for x in f[k + 1 :])


def k_nested_wrong_wire(b, f, rng):
    def edit(p):
        k = rng.randrange(len(p))
        num, wt, payload = p[k]
        new_wt = rng.choice([0, 1, 2, 5])
        if new_wt == wt:
            return p
        conv = {0: varint(1), 1: b"\x00" * 8, 2: payload if wt == 2 else b"x", 5: b"\x00" * 4}[new_wt]
        p = list(p)
        p[k] = (num, new_wt, conv)
        return p

    return build(_edit_piece(f, rng, edit))


def k_group(b, f, rng):
    p = rng.randrange(len(b) + 1)
    return b[:p] + rng.choice([b"\x0b", b"\x0c", b"\x0b\x0c", b"\x1b\x08\x01\x1c"]) + b[p:]


def k_huge_vocab(b, f, rng):
    n = rng.choice([100_000, 300_000])
    if rng.random() < 0.5:
        extra = b"\x0a\x00" * n  # empty pieces
    else:
        extra = b"".join(field(1, 2, field(1, 2, b"x%d" % i)) for i in range(n))
    return b + extra


def k_unknown_fields(b, f, rng):
    junk = field(rng.choice([4, 6, 100, 536870911]), rng.choice([0, 2, 5]), b"\x01\x02\x03\x04")
    return build(list(f) + [(0, 0, b"")][:0]) + junk


KINDS = [
    k_truncate,
    k_bitflip,
    k_random_span,
    k_random_file,
    k_insert,
    k_empty_pieces,
    k_dup_piece,
    k_piece_type,
    k_piece_string,
    k_piece_score,
    k_no_unk,
    k_second_unk,
    k_special,
    k_model_type,
    k_byte_fallback,
    k_charsmap_header,
    k_charsmap_units,
    k_charsmap_truncate,
    k_denormalizer,
    k_huge_len,
    k_wrong_wire,
    k_nested_wrong_wire,
    k_group,
    k_huge_vocab,
    k_unknown_fields,
]


def mutant(bases: Sequence[bytes], i: int, seed: int = 0) -> Tuple[str, bytes]:
    """(kind name, bytes) of mutant i: a pure function of its arguments.
    Huge-vocabulary mutants are rarer (they are slow to build)."""
    rng = random.Random(seed * 1_000_003 + i)
    kind = KINDS[i % len(KINDS)]
    if kind is k_huge_vocab and i % (7 * len(KINDS)) != len(KINDS) - 2:
        kind = k_bitflip
    base = bases[rng.randrange(len(bases))]
    return kind.__name__[2:], kind(base, _fields(base), rng)


# ------------------------------------------------------------- the worker

TEXT = "Hello  wörld ▁ 12 <s> [INST] 😀 日本語 abc\x00"


def _try_spbpe(data: bytes) -> str:
    import spbpe

    try:
        sp = spbpe.SentencePieceProcessor()
        sp.load_from_serialized_proto(data)  # also for b"", which the constructor ignores
    except spbpe.SpbpeError as e:
        if not isinstance(e, ValueError) or not str(e):
            return f"bad-error {type(e).__name__}: {e!r}"
        return "rejected " + type(e).__name__
    except Exception as e:  # noqa: BLE001 - any other exception is a finding
        return f"bad-error {type(e).__name__}: {e!r}"
    ids = sp.encode(TEXT)
    n = sp.get_piece_size()
    assert all(0 <= i < n for i in ids)
    sp.decode(ids, return_type=bytes)
    sp.decode(list(range(min(n, 300))), return_type=bytes)
    sp.id_to_piece(list(range(min(n, 50))))
    return "loaded"


def _try_sentencepiece(data: bytes) -> str:
    import sentencepiece as spm

    try:
        sp = spm.SentencePieceProcessor()
        sp.LoadFromSerializedProto(data)
    except Exception as e:  # noqa: BLE001 - sentencepiece raises several types
        return "rejected " + type(e).__name__
    ids = sp.encode(TEXT)
    sp.decode(ids, out_type=bytes)
    sp.decode(list(range(min(sp.get_piece_size(), 300))), out_type=bytes)
    return "loaded"


def main(argv: List[str]) -> None:
    """python tests/helpers/mutants.py spbpe|sentencepiece SEED START STOP BASE...:
    one line "i kind outcome" per mutant, flushed, under a 1.5 GiB RLIMIT_AS."""
    import os
    import resource
    import sys

    which, seed, start, stop = argv[0], int(argv[1]), int(argv[2]), int(argv[3])
    bases = []
    for path in argv[4:]:
        with open(path, "rb") as fh:
            bases.append(fh.read())
    limit = 1536 << 20
    if "asan" not in os.environ.get("LD_PRELOAD", ""):  # ASan reserves terabytes of shadow address space
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    run = _try_spbpe if which == "spbpe" else _try_sentencepiece
    for i in range(start, stop):
        kind, data = mutant(bases, i, seed)
        print(i, kind, run(data), flush=True)
    sys.stdout.flush()


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])


def train_bases(directory: str, small: Dict[str, dict], lines: List[str], real: Sequence[str]) -> List[str]:
    """Paths of the base models: the given real ones plus one small model per
    `small` config, trained here with the official sentencepiece."""
    import io
    import os

    import sentencepiece as spm

    paths = list(real)
    for name, cfg in small.items():
        buf = io.BytesIO()
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(lines), model_writer=buf, model_type="bpe", minloglevel=2, **cfg
        )
        path = os.path.join(directory, f"{name}.model")
        with open(path, "wb") as f:
            f.write(buf.getvalue())
        paths.append(path)
    return paths
