"""The ``spbpe`` command line (``python -m spbpe``); see :mod:`spbpe.cli.main`.

Modules import downward only: ``main`` builds the parser from the
subcommand modules (``lines``: encode/decode/export-vocab/normalize,
``train_cmd``, ``model_info``, ``verify``, ``show``, ``convert``), which use
the helpers below them (``flags``, ``train_help``, ``encodings``,
``optional``, ``verify_corpus``, ``verify_train``, ``verify_gpt``,
``verify_report``, ``progress``) and the public API; none of them imports
``main``.
"""

from ..errors import CliError
from .main import main

__all__ = ["main", "CliError"]
