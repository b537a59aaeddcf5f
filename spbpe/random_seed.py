"""``set_random_generator_seed``: seeds spbpe's own generator, as
sentencepiece's ``SetRandomGeneratorSeed`` seeds its own.

Every sampling call (unigram sampling, ``sample_encode_and_score`` and
BPE-dropout) draws its seed from one process-wide C generator (splitmix64,
``spbpe._core.native_unigram.Rng``), never from Python's global ``random``.
Until it is seeded the generator starts from the OS's entropy.

>>> import spbpe
>>> spbpe.set_random_generator_seed(42)
>>> a = next_seed(); spbpe.set_random_generator_seed(42); a == next_seed()
True
"""

from __future__ import annotations

import os
import threading

from ._core.native_unigram import Rng

__all__ = ["set_random_generator_seed", "SetRandomGeneratorSeed", "next_seed"]

_lock = threading.Lock()
_rng = Rng(int.from_bytes(os.urandom(8), "little"))


def set_random_generator_seed(seed: int) -> None:
    """Seed the generator behind sampling and BPE-dropout."""
    global _rng
    if not isinstance(seed, int):
        raise TypeError(f"seed must be int, not {type(seed).__name__}")
    with _lock:
        _rng = Rng(seed)


SetRandomGeneratorSeed = set_random_generator_seed


def next_seed() -> int:
    """The seed of the next sampling call (64 bits)."""
    with _lock:
        return _rng.next()
