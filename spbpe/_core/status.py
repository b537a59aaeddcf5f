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

from typing import Any, Dict, Mapping, Optional, Type

from ..errors import STATUS_EXCEPTIONS, InternalError, SpbpeError
from ._spbpe import ffi, lib

__all__ = ["status_error", "raise_for_status", "STATUS_NAMES"]

#: Every spbpe_status value of the compiled core, by C value.
STATUS_NAMES: Dict[int, str] = dict(ffi.typeof("spbpe_status").elements)

_BY_CODE: Dict[int, Type[SpbpeError]] = {getattr(lib, name): cls for name, cls in STATUS_EXCEPTIONS.items()}


def status_error(status: int, err: Any, overrides: Optional[Mapping[str, Type[SpbpeError]]] = None) -> SpbpeError:
    """The exception for a failed call: its class from the status, its text
    the C error message (or spbpe_strerror's when the call left none).

    Args:
        status: the spbpe_status the call returned (not SPBPE_OK).
        err: the call's ``spbpe_error *``, or None.
        overrides: an entry point's own classes for some statuses, by
            status name (errors.TRAINER_STATUS_EXCEPTIONS); the others keep
            the map's class.
    """
    message = ffi.string(err.message).decode("utf-8", "replace") if err is not None else ""
    if not message:
        message = ffi.string(lib.spbpe_strerror(status)).decode()
    cls = _BY_CODE.get(status, InternalError)
    if overrides:
        cls = overrides.get(STATUS_NAMES.get(status, ""), cls)
    return cls(message)


def raise_for_status(status: int, err: Any, overrides: Optional[Mapping[str, Type[SpbpeError]]] = None) -> None:
    """Raise status_error(...) unless status is SPBPE_OK."""
    if status != lib.SPBPE_OK:
        raise status_error(status, err, overrides)
