"""sentencepiece's process-wide settings and its ThreadPool handle.

``SetMinLogLevel``, ``SetNBestTimeout`` and ``SetDataDir`` set values for the
whole process, as in sentencepiece (they are plain module state on the Python
side; the C core has none).  spbpe's trainer reads the log level (its
progress log is INFO, hidden from level 1 up); the n-best timeout is kept for
the unigram engine; the data directory is accepted for compatibility (spbpe's
normalization rules are built in).  ``ThreadPool(n)`` names a thread count
that ``encode``/``decode``/``parallel_encode`` take as ``thread_pool=``.

>>> ThreadPool(8).num_threads()
8
"""

from __future__ import annotations

import os
from typing import Any, Dict

from ._api.args import as_int
from .errors import ArgumentCheckError

__all__ = [
    "ThreadPool",
    "SetMinLogLevel",
    "SetNBestTimeout",
    "SetDataDir",
    "set_min_log_level",
    "set_nbest_timeout",
    "set_data_dir",
    "current",
]

_SETTINGS: Dict[str, Any] = {"min_log_level": 0, "nbest_timeout": 0, "data_dir": ""}


def current(name: str) -> Any:
    """The value of one setting: "min_log_level", "nbest_timeout" or "data_dir"."""
    return _SETTINGS[name]


def resolve_threads(num_threads: int) -> int:
    """sentencepiece's GetNumThreads: a negative count means every CPU; 1..1024."""
    if num_threads < 0:
        num_threads = os.cpu_count() or 1
    return max(1, min(num_threads, 1024))


def pool_threads(thread_pool: Any, num_threads: int) -> int:
    """The thread count of a batch call: the pool's, else num_threads
    resolved.  A thread_pool that is not a ThreadPool is sentencepiece's
    RuntimeError (pybind11's failed cast)."""
    if thread_pool is None:
        return resolve_threads(num_threads)
    if not isinstance(thread_pool, ThreadPool):
        raise ArgumentCheckError(f"Unable to cast Python instance of type {type(thread_pool)} to ThreadPool")
    return thread_pool.num_threads()


class ThreadPool:
    """A number of worker threads for batch calls (``thread_pool=``)."""

    def __init__(self, num_threads: int) -> None:
        self._num_threads = resolve_threads(as_int("num_threads", num_threads))

    def num_threads(self) -> int:
        return self._num_threads


def SetMinLogLevel(v: int) -> None:
    """0 shows INFO logs (the trainer's progress log), 1 and up hides them."""
    _SETTINGS["min_log_level"] = as_int("v", v)


def SetNBestTimeout(timeout_ms: int) -> None:
    """Milliseconds after which a unigram n-best search (nbest_encode, and
    sampling with nbest_size > 1) stops and gives the Viterbi best alone, as
    sentencepiece's; 0 or less: no limit.  An int32, as sentencepiece's."""
    v = as_int("timeout_ms", timeout_ms)
    if not -(1 << 31) <= v < 1 << 31:
        raise TypeError("timeout_ms must fit in an int32")
    _SETTINGS["nbest_timeout"] = v


def SetDataDir(data_dir: str) -> None:
    """Accepted for compatibility; spbpe's normalization rules are built in."""
    if not isinstance(data_dir, str):
        raise TypeError("data_dir must be str")
    _SETTINGS["data_dir"] = data_dir


set_min_log_level = SetMinLogLevel
set_nbest_timeout = SetNBestTimeout
set_data_dir = SetDataDir
