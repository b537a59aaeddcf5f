"""The optional reference packages some subcommands compare against.

    >>> require("json", "the test").__name__
    'json'

``verify`` needs the official ``sentencepiece``, ``convert --check`` needs
HuggingFace ``tokenizers``; both come with ``pip install 'spbpe[verify]'``.
A missing one is a :class:`~spbpe.errors.CliError` naming the package, the
extra and what needed it, which the command line prints as one line.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from ..errors import CliError

__all__ = ["require", "EXTRA"]

EXTRA = "spbpe[verify]"
_PACKAGES = {"sentencepiece": "sentencepiece", "tokenizers": "tokenizers", "tiktoken": "tiktoken"}


def require(module: str, purpose: str) -> ModuleType:
    """Import ``module`` or raise CliError: "``purpose`` needs ..., install 'spbpe[verify]'"."""
    try:
        return importlib.import_module(module)
    except ImportError:
        package = _PACKAGES.get(module.partition(".")[0], module)
        raise CliError(
            f"{purpose} needs the optional package {package!r}, which is not installed: pip install '{EXTRA}'"
        ) from None
