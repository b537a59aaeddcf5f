import os
import sys

from setuptools import Extension, setup

# Metadata lives in pyproject.toml.  setup.py wires in the cffi extension
# (the C core, spbpe/_core/build.py) and spbpe._core._pylists, a small CPython helper
# that builds the lists of ids cffi cannot build in C (see its opening
# comment).  SPBPE_CFLAGS / SPBPE_LDFLAGS (sanitizer builds) apply to both.
PYLISTS_CFLAGS = ([] if sys.platform == "win32" else ["-O3"]) + os.environ.get("SPBPE_CFLAGS", "").split()
PYLISTS_LDFLAGS = os.environ.get("SPBPE_LDFLAGS", "").split()

setup(
    cffi_modules=["spbpe/_core/build.py:ffibuilder"],
    ext_modules=[
        Extension(
            "spbpe._core._pylists",
            ["spbpe/_core/_pylists.c", "spbpe/_core/utf8_str.c"],
            depends=["spbpe/_core/utf8_str.h"],
            extra_compile_args=PYLISTS_CFLAGS,
            extra_link_args=PYLISTS_LDFLAGS,
        )
    ],
)
