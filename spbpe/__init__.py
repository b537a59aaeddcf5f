"""spbpe: exact, fast SentencePiece (BPE, unigram, char, word) with a C core.

>>> import spbpe as spm
>>> sp = spm.SentencePieceProcessor(model_file="tokenizer.model")  # doctest: +SKIP
>>> sp.decode(sp.encode("Hello world"))                           # doctest: +SKIP
'Hello world'
"""

from .errors import (
    CharsMapError,
    InputError,
    ModelFormatError,
    OutOfRangeError,
    SpbpeError,
    TrainerError,
    TrainerRefusedError,
    UnimplementedError,
    UnsupportedError,
)
from .model_edit import ModelEditor
from .normalizer import SentencePieceNormalizer
from .processor import SentencePieceProcessor
from .random_seed import SetRandomGeneratorSeed, set_random_generator_seed
from .trainer import SentencePieceTrainer

__version__ = "0.1.0"

__all__ = [
    "SentencePieceProcessor",
    "SentencePieceNormalizer",
    "ModelEditor",
    "SentencePieceTrainer",
    "set_random_generator_seed",
    "SetRandomGeneratorSeed",
    "TrainerError",
    "TrainerRefusedError",
    "SpbpeError",
    "ModelFormatError",
    "InputError",
    "OutOfRangeError",
    "UnsupportedError",
    "UnimplementedError",
    "CharsMapError",
    "__version__",
]
