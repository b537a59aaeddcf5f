"""The examples in the package's docstrings run and give what they show."""

import doctest
import importlib
import pkgutil

import pytest

import spbpe

MODULES = sorted(m.name for m in pkgutil.iter_modules(spbpe.__path__) if m.name not in ("_spbpe", "_pylists", "__main__"))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(f"spbpe.{name}")
    result = doctest.testmod(module)
    assert result.failed == 0, f"{result.failed} of the examples in spbpe.{name} fail"


def test_the_package_docstring_example():
    assert doctest.testmod(spbpe).failed == 0
