from setuptools import setup

# Metadata lives in pyproject.toml; setup.py only wires in the cffi extension.
setup(cffi_modules=["spbpe/_build.py:ffibuilder"])
