"""spbpe: exact, fast SentencePiece (BPE, unigram, char, word) with a C core.

>>> import spbpe as spm
>>> sp = spm.SentencePieceProcessor(model_file="tokenizer.model")  # doctest: +SKIP
>>> sp.decode(sp.encode("Hello world"))                           # doctest: +SKIP
'Hello world'

The names of sentencepiece 0.2.3's package are here too (the processor,
trainer and normalizer, ``ThreadPool``, the ``Set*`` settings and their
snake_case twins, and the ``sentencepiece_pb2``/``sentencepiece_model_pb2``
submodules), so ``import spbpe as spm`` stands in for ``import sentencepiece
as spm``; README's drop-in section lists what differs.
"""

from . import sentencepiece_model_pb2, sentencepiece_pb2
from .counts import WordCounts, count_words, merge_counts, train_from_counts
from .errors import (
    CharsMapError,
    InputError,
    ModelFileError,
    ModelFileNotFoundError,
    ModelFormatError,
    ModelNotLoadedError,
    OutOfRangeError,
    SpbpeError,
    TrainerError,
    TrainerRefusedError,
    UnimplementedError,
    UnsupportedError,
)
from .flatbuffer import ConvertToFlatbuffer, convert_to_flatbuffer
from .model_edit import ModelEditor
from .normalizer import SentencePieceNormalizer
from .processor import SentencePieceProcessor
from .random_seed import SetRandomGeneratorSeed, set_random_generator_seed
from .settings import (
    SetDataDir,
    SetMinLogLevel,
    SetNBestTimeout,
    ThreadPool,
    set_data_dir,
    set_min_log_level,
    set_nbest_timeout,
)
from .trainer import SentencePieceTrainer

__version__ = "0.1.0"

__all__ = [
    "SentencePieceProcessor",
    "SentencePieceNormalizer",
    "ModelEditor",
    "SentencePieceTrainer",
    "ConvertToFlatbuffer",
    "convert_to_flatbuffer",
    "set_random_generator_seed",
    "SetRandomGeneratorSeed",
    "ThreadPool",
    "SetMinLogLevel",
    "SetNBestTimeout",
    "SetDataDir",
    "set_min_log_level",
    "set_nbest_timeout",
    "set_data_dir",
    "sentencepiece_pb2",
    "sentencepiece_model_pb2",
    "TrainerError",
    "TrainerRefusedError",
    "SpbpeError",
    "ModelFormatError",
    "ModelFileError",
    "ModelFileNotFoundError",
    "ModelNotLoadedError",
    "InputError",
    "OutOfRangeError",
    "UnsupportedError",
    "UnimplementedError",
    "CharsMapError",
    "WordCounts",
    "count_words",
    "merge_counts",
    "train_from_counts",
    "__version__",
]
