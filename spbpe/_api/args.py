"""Argument normalisation for sentencepiece's Python API, as its binding does it.

sentencepiece 0.2.3 passes every option through pybind11, so what it
accepts is pybind11's conversion with ``convert`` on: a ``bool`` option
takes True/False, None (False) and anything numeric (``1``, ``np.bool_``,
``np.int64``) but refuses a ``str`` or a list with TypeError; an ``int``
option takes anything with ``__index__`` but refuses a float; a ``float``
option takes anything with ``__float__``.  Ids come as one int-like value
or as a sequence or buffer of them (numpy arrays, 1-D, integer dtype, any
stride), clamped to int32 as sentencepiece's ``CastToIntSpanOrVector`` does.

>>> as_bool("add_bos", 1), as_int("nbest_size", True)
(True, 1)
"""

from __future__ import annotations

import operator
from array import array
from typing import Any, Sequence, Tuple

__all__ = [
    "with_defaults",
    "as_bool",
    "as_int",
    "as_float",
    "as_id",
    "ids_of",
    "is_sequence",
    "resolve_return_type",
    "RETURN_TYPES",
]

RETURN_TYPES = (int, str, bytes, "proto", "serialized_proto", "numpy", "offset_mapping")
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1
_NOT_IDS = "Input must be an integer buffer, list of integers, or a sequence of integers."


def with_defaults(owner: Any, **options: Any) -> Tuple[Any, ...]:
    """The call's options in the order given, each left at None taking the
    processor's default (``owner._<name>``, set by its constructor), as
    sentencepiece's wrapper fills them in before converting any.

    >>> class P: _add_bos, _reverse = True, False
    >>> with_defaults(P(), add_bos=None, reverse=True)
    (True, True)
    """
    return tuple(getattr(owner, "_" + name) if value is None else value for name, value in options.items())


def as_bool(name: str, value: Any) -> bool:
    """pybind11's bool conversion: numbers and None convert, others are refused."""
    if value is True or value is False:
        return value
    if value is None:
        return False
    if getattr(type(value), "__bool__", None) is None or isinstance(value, (str, bytes, list, tuple, dict)):
        raise TypeError(f"{name} must be bool, not {type(value).__name__}")
    return bool(value)


def as_int(name: str, value: Any) -> int:
    """pybind11's int conversion: ints and __index__ objects, never a float."""
    if type(value) is int:
        return value
    if isinstance(value, float) or isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be int, not {type(value).__name__}")
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be int, not {type(value).__name__}") from None


def as_float(name: str, value: Any) -> float:
    """pybind11's float conversion: anything with __float__ or __index__."""
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be float, not {type(value).__name__}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be float, not {type(value).__name__}") from None


def is_sequence(x: Any) -> bool:
    """sentencepiece's _is_sequence: has a length and is not str/bytes."""
    return hasattr(x, "__len__") and not isinstance(x, (str, bytes))


def as_id(value: Any) -> Any:
    """One id (an int or __index__ object: numpy and torch scalars), or None
    when `value` is not one (then it is a batch of ids)."""
    if type(value) is int:
        return value
    if isinstance(value, (float, str, bytes, list, tuple)):
        return None
    try:
        return operator.index(value)  # also 0-d numpy arrays and torch tensors, as pybind11's int
    except TypeError:
        return None


def _clamp(v: int) -> int:
    return _INT32_MIN if v < _INT32_MIN else _INT32_MAX if v > _INT32_MAX else v


def ids_of(obj: Any) -> Sequence[int]:
    """A sequence of ids as ints (a list, or an int32 array), as sentencepiece
    reads one: a buffer (numpy array, array.array, memoryview; not bytes)
    must be 1-D of an integer type and its values are clamped to int32; any
    other sequence must hold ints (or __index__ objects).  Ids beyond int32
    come back as they are: out of range for the caller's check."""
    if type(obj) is list or type(obj) is tuple:
        try:
            return array("i", obj)  # C speed; refuses floats and non-ints
        except OverflowError:
            pass  # an id beyond int32: the slow path keeps it
        except TypeError:
            raise TypeError(_NOT_IDS) from None
    elif not isinstance(obj, (bytes, bytearray, str)):
        try:
            view = memoryview(obj)
        except TypeError:
            view = None
        if view is not None:
            fmt = view.format[-1:] if view.format else ""
            if not fmt or fmt not in "bhilqnBHILQN":
                raise TypeError("Buffer must be of integer type")
            if view.ndim != 1:
                raise TypeError("Buffer must be 1-dimensional")
            return [_clamp(int(v)) for v in (obj.tolist() if hasattr(obj, "tolist") else view.tolist())]
    if isinstance(obj, (str, bytes)) or not hasattr(obj, "__iter__") and not hasattr(obj, "__getitem__"):
        raise TypeError(_NOT_IDS)
    out = []
    try:
        for v in obj:
            i = v if type(v) is int else None if isinstance(v, float) else operator.index(v)
            if i is None:
                raise TypeError
            out.append(i)
    except TypeError:
        raise TypeError(_NOT_IDS) from None
    return out


def resolve_return_type(return_type: Any, out_type: Any, default: Any) -> Any:
    """sentencepiece's _resolve_return_type: out_type is return_type's old name."""
    if out_type is not None:
        if return_type is not None:
            raise ValueError("Cannot specify both out_type and return_type. Use return_type instead.")
        return_type = out_type
    if return_type is None:
        return_type = default
    if return_type == "immutable_proto":
        raise ValueError("immutable_proto is deprecated and no longer supported. Use return_type='proto' instead.")
    if return_type not in RETURN_TYPES:
        raise ValueError(f"Invalid return_type: {return_type}. Must be one of {RETURN_TYPES}")
    return return_type
