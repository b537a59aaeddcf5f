"""Protobuf wire-format writing helpers shared by the model writer
(trainer_spec.py) and the SentencePieceText writer (sentencepiece_text.py).

>>> varint(300)
b'\\xac\\x02'
"""

__all__ = ["varint", "key", "length_delimited"]


def varint(v: int) -> bytes:
    """Base-128 varint; negative int32/int64 values as their 64-bit two's complement."""
    v &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def key(field: int, wire: int) -> bytes:
    return varint((field << 3) | wire)


def length_delimited(field: int, data: bytes) -> bytes:
    return key(field, 2) + varint(len(data)) + data
