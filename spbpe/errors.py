"""spbpe's exception types, and the one map from C status codes to them.

Every error spbpe raises derives from :class:`SpbpeError`, and each subclass
is also the builtin exception a caller of sentencepiece would catch, so both
``except spbpe.SpbpeError`` and ``except ValueError`` work.

>>> issubclass(ModelFormatError, ValueError)
True
>>> STATUS_EXCEPTIONS["SPBPE_ERR_OUT_OF_RANGE"].__name__
'OutOfRangeError'
"""

from typing import Dict, Type

__all__ = [
    "SpbpeError",
    "ModelFormatError",
    "InputError",
    "OutOfRangeError",
    "UnsupportedError",
    "LimitError",
    "OutOfMemoryError",
    "InternalError",
    "TrainerError",
    "TrainerRefusedError",
    "CharsMapError",
    "CliError",
    "UnimplementedError",
    "DisallowedSpecialError",
    "UnknownTokenError",
    "RankFileNotFoundError",
    "RankFileHashError",
    "MinbpeCheckError",
    "ModelNotLoadedError",
    "ArgumentCheckError",
    "ModelFileError",
    "ModelFileNotFoundError",
    "STATUS_EXCEPTIONS",
    "TRAINER_STATUS_EXCEPTIONS",
]


class SpbpeError(Exception):
    """Base class of every error raised by spbpe."""


class ModelFormatError(SpbpeError, ValueError, RuntimeError):
    """Bytes that are not a valid SentencePiece model, or an invalid edit
    (also the RuntimeError sentencepiece raises for a model it cannot load)."""


class InputError(SpbpeError, ValueError):
    """An argument of the right type with a value spbpe cannot use."""


class OutOfRangeError(SpbpeError, IndexError):
    """A piece id outside ``[0, piece_size)``."""


class UnsupportedError(SpbpeError, ValueError, RuntimeError):
    """A valid model or option that spbpe does not handle (e.g. unigram).
    Also a RuntimeError, what sentencepiece raises when it cannot load a model."""


class UnimplementedError(UnsupportedError):
    """Options sentencepiece refuses as UNIMPLEMENTED: add_bos, add_eos,
    reverse or emit_unk_piece with out_type "proto", "serialized_proto" or
    "offset_mapping".  A RuntimeError, as sentencepiece raises."""


class LimitError(InputError, RuntimeError):
    """Input beyond one of the C core's size limits (a ValueError, as a bad
    argument to encode; a RuntimeError, as sentencepiece's trainer raises)."""


class OutOfMemoryError(SpbpeError, MemoryError):
    """The C core could not allocate memory."""


class InternalError(SpbpeError, RuntimeError):
    """An invariant of the C core failed: a bug in spbpe."""


class TrainerError(SpbpeError, ValueError, RuntimeError):
    """A training option or input that spbpe cannot train with.  Also the
    RuntimeError sentencepiece's trainer raises for what it refuses."""


class TrainerRefusedError(TrainerError, RuntimeError):
    """An option or input sentencepiece's trainer refuses too (option text
    absl cannot parse, a space in required_chars, an identity normalization
    rule, a failed trainer check).  Also a RuntimeError, which sentencepiece
    raises for its trainer checks (ValueError for option parsing)."""


class ModelNotLoadedError(InputError, RuntimeError):
    """A processor used before a model is loaded: sentencepiece's
    "INTERNAL: Model is not initialized." RuntimeError (and an InputError,
    which spbpe raised before)."""


class ArgumentCheckError(InputError, RuntimeError):
    """An argument value sentencepiece refuses with a RuntimeError (a
    negative ``alpha`` with sampling, an unknown normalization rule name, a
    ``thread_pool`` that is not a ThreadPool): a ValueError, and that
    RuntimeError."""


class ModelFileError(SpbpeError, OSError, RuntimeError):
    """A model file that cannot be read.  An OSError (with errno and
    filename), and the RuntimeError sentencepiece raises, with its text:
    ``NOT_FOUND: "path": No such file or directory``."""

    def __str__(self) -> str:
        code = {2: "NOT_FOUND", 13: "PERMISSION_DENIED", 21: "FAILED_PRECONDITION"}.get(self.errno or 0, "INTERNAL")
        return f'{code}: "{self.filename}": {self.strerror}'


class ModelFileNotFoundError(ModelFileError, FileNotFoundError):
    """A model path that does not exist (also a FileNotFoundError)."""


class CharsMapError(SpbpeError, ValueError):
    """Normalization rules that cannot be compiled (or a blob that cannot be decompiled)."""


class MinbpeCheckError(InputError, AssertionError):
    """A check minbpe makes with ``assert`` (special token text in encode's
    input with ``allowed_special="none_raise"``, a vocab_size below 256, a
    model file that is not ``minbpe v1``): also an AssertionError, which
    minbpe raises, and a ValueError, as a bad argument."""


class CliError(SpbpeError, ValueError):
    """A bad command line: printed as one line, exit status 1."""


class DisallowedSpecialError(SpbpeError, ValueError):
    """Text holds a special token that encode was told to refuse
    (``spbpe.gpt.Encoding.encode``); a ValueError with tiktoken's message."""


class UnknownTokenError(SpbpeError, KeyError):
    """A token value or token bytes that the byte-level encoding does not
    know; a KeyError, as tiktoken raises."""


class RankFileNotFoundError(SpbpeError, FileNotFoundError):
    """``spbpe.gpt.get_encoding`` found no rank file for the encoding; the
    message says where to get one."""


class RankFileHashError(SpbpeError, ValueError):
    """A rank file whose sha256 is not the official one."""


#: The exception for each ``spbpe_status`` of csrc's public header, by name
#: (the binding, spbpe._core.status, resolves the names to the C values).
#: A status missing here raises InternalError.
STATUS_EXCEPTIONS: Dict[str, Type[SpbpeError]] = {
    "SPBPE_ERR_NOMEM": OutOfMemoryError,
    "SPBPE_ERR_INVALID_ARGUMENT": InputError,
    "SPBPE_ERR_MODEL_FORMAT": ModelFormatError,
    "SPBPE_ERR_UNSUPPORTED": UnsupportedError,
    "SPBPE_ERR_OUT_OF_RANGE": OutOfRangeError,
    "SPBPE_ERR_LIMIT": LimitError,
    "SPBPE_ERR_INTERNAL": InternalError,
}

#: The trainer's own classes for the statuses that mean the caller asked for
#: something wrong; its other statuses keep STATUS_EXCEPTIONS' class.
TRAINER_STATUS_EXCEPTIONS: Dict[str, Type[SpbpeError]] = {
    "SPBPE_ERR_INVALID_ARGUMENT": TrainerRefusedError,  # a check sentencepiece makes too
    "SPBPE_ERR_UNSUPPORTED": TrainerError,  # an option spbpe does not train with
}
