"""The ``spbpe`` command line (``python -m spbpe``); see :mod:`spbpe.cli.main`.

Modules import downward only: ``main`` builds the parser from the
subcommand modules (``model_info``, ``verify``, ``show``, ``convert``), which
use the helpers below them (``flags``, ``verify_corpus``, ``verify_train``,
``progress``) and the public API; none of them imports ``main``.
"""

from ..errors import CliError
from .main import main

__all__ = ["main", "CliError"]
