"""The GPT family: byte-level BPE tokenizers.

minbpe's tokenizers (:class:`BasicTokenizer`, :class:`RegexTokenizer`,
:class:`GPT4Tokenizer`), with training and encode in the C core.

>>> from spbpe.gpt import RegexTokenizer
>>> tok = RegexTokenizer()
>>> tok.train("hello world, hello there", 256 + 4)
>>> tok.decode(tok.encode("hello there"))
'hello there'
"""

from .minbpe import (
    GPT2_SPLIT_PATTERN,
    GPT4_SPECIAL_TOKENS,
    GPT4_SPLIT_PATTERN,
    BasicTokenizer,
    GPT4Tokenizer,
    RegexTokenizer,
    Tokenizer,
)

__all__ = [
    "Tokenizer",
    "BasicTokenizer",
    "RegexTokenizer",
    "GPT4Tokenizer",
    "GPT2_SPLIT_PATTERN",
    "GPT4_SPLIT_PATTERN",
    "GPT4_SPECIAL_TOKENS",
]
