"""Reading a model or rule file as sentencepiece reports its failures.

>>> read_file("/nonexistent.model")
Traceback (most recent call last):
...
spbpe.errors.ModelFileNotFoundError: NOT_FOUND: "/nonexistent.model": No such file or directory
"""

from __future__ import annotations

import os
from typing import Any

from ..errors import ModelFileError, ModelFileNotFoundError

__all__ = ["read_file"]


def read_file(path: Any) -> bytes:
    """A file's bytes; a missing file is sentencepiece's NOT_FOUND RuntimeError
    (ModelFileNotFoundError, also a FileNotFoundError), another OS error a
    ModelFileError (an OSError and a RuntimeError)."""
    name = os.fsdecode(os.fspath(path))
    try:
        with open(name, "rb") as f:
            return f.read()
    except FileNotFoundError as e:
        raise ModelFileNotFoundError(e.errno, e.strerror, name) from None
    except OSError as e:
        raise ModelFileError(e.errno, e.strerror, name) from None
