"""The examples in the package's docstrings run and give what they show."""

import doctest
import importlib
import pkgutil

import pytest

import spbpe

# Every module of the package and its subpackages, but the compiled ones, the
# cffi build script and __main__ (which runs the command line).
SKIP = ("spbpe._core._spbpe", "spbpe._core._pylists", "spbpe._core.build", "spbpe.__main__")
MODULES = sorted(m.name for m in pkgutil.walk_packages(spbpe.__path__, "spbpe.") if m.name not in SKIP)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module)
    assert result.failed == 0, f"{result.failed} of the examples in {name} fail"


def test_the_package_docstring_example():
    assert doctest.testmod(spbpe).failed == 0
