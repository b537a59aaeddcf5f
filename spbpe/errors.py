"""Exceptions raised by spbpe.

Every exception spbpe raises on purpose derives from :class:`SpbpeError`; the
subclasses also derive from the matching builtin, so callers may catch either.

Example: ``except ModelFormatError as e: print(e)`` (also caught by ``except ValueError``)
"""

from __future__ import annotations

__all__ = ["SpbpeError", "ModelFormatError"]


class SpbpeError(Exception):
    """Base class of all spbpe errors.

    Example: ``try: ... except SpbpeError: ...``
    """


class ModelFormatError(SpbpeError, ValueError):
    """A ``.model`` file (or an edit of one) that sentencepiece would not load.

    The message says what is wrong, in the words sentencepiece 0.2.3 uses where it
    has a check of its own (e.g. ``"▁the is already defined."``).

    Example: ``raise ModelFormatError("piece 5: piece must not be empty.")``
    """
