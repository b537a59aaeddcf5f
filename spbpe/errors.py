"""spbpe's exception types.

Every error spbpe raises derives from :class:`SpbpeError`, and each subclass
is also the builtin exception a caller of sentencepiece would catch, so both
``except spbpe.SpbpeError`` and ``except ValueError`` work.

>>> issubclass(ModelFormatError, ValueError)
True
"""

__all__ = ["SpbpeError", "ModelFormatError", "InputError", "OutOfRangeError", "UnsupportedError", "TrainerError",
           "CharsMapError", "CliError"]


class SpbpeError(Exception):
    """Base class of every error raised by spbpe."""


class ModelFormatError(SpbpeError, ValueError):
    """Bytes that are not a valid SentencePiece model, or an invalid edit."""


class InputError(SpbpeError, ValueError):
    """An argument of the right type with a value spbpe cannot use."""


class OutOfRangeError(SpbpeError, IndexError):
    """A piece id outside ``[0, piece_size)``."""


class UnsupportedError(SpbpeError, ValueError):
    """A valid model or option that spbpe does not handle (e.g. unigram)."""


class TrainerError(SpbpeError, ValueError):
    """A training option or input that spbpe cannot train with."""


class CharsMapError(SpbpeError, ValueError):
    """Normalization rules that cannot be compiled (or a blob that cannot be decompiled)."""


class CliError(SpbpeError, ValueError):
    """A bad command line: printed as one line, exit status 1."""

