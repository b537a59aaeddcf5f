"""C status codes -> exceptions, for every entry point of the binding.

The map itself is :data:`spbpe.errors.STATUS_EXCEPTIONS`, keyed by the names
of csrc's ``spbpe_status`` values; here the names become the C values once,
at import (a name the compiled core lacks fails the import, so the two
cannot drift apart), and a failed call's status and error struct become
one exception carrying the C message.

>>> str(status_error(lib.SPBPE_ERR_OUT_OF_RANGE, None))
'out of range'
"""

from __future__ import annotations

from typing import Any, Dict, FrozenSet, Optional, Type

from ..errors import CALLER_STATUSES, STATUS_EXCEPTIONS, InternalError, SpbpeError
from ._spbpe import ffi, lib

__all__ = ["status_error", "raise_for_status", "STATUS_NAMES"]

#: Every spbpe_status value of the compiled core, by C value.
STATUS_NAMES: Dict[int, str] = dict(ffi.typeof("spbpe_status").elements)

_BY_CODE: Dict[int, Type[SpbpeError]] = {getattr(lib, name): cls for name, cls in STATUS_EXCEPTIONS.items()}
_CALLER_CODES: FrozenSet[int] = frozenset(getattr(lib, name) for name in CALLER_STATUSES)


def status_error(status: int, err: Any, caller_error: Optional[Type[SpbpeError]] = None) -> SpbpeError:
    """The exception for a failed call: its class from the status, its text
    the C error message (or spbpe_strerror's when the call left none).

    Args:
        status: the spbpe_status the call returned (not SPBPE_OK).
        err: the call's ``spbpe_error *``, or None.
        caller_error: the class an entry point raises for statuses that mean
            the caller asked for something wrong (errors.CALLER_STATUSES);
            None keeps the map's class.
    """
    message = ffi.string(err.message).decode("utf-8", "replace") if err is not None else ""
    if not message:
        message = ffi.string(lib.spbpe_strerror(status)).decode()
    if caller_error is not None and status in _CALLER_CODES:
        return caller_error(message)
    return _BY_CODE.get(status, InternalError)(message)


def raise_for_status(status: int, err: Any, caller_error: Optional[Type[SpbpeError]] = None) -> None:
    """Raise status_error(...) unless status is SPBPE_OK."""
    if status != lib.SPBPE_OK:
        raise status_error(status, err, caller_error)
