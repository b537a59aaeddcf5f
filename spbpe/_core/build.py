"""cffi build script: compiles every csrc/**/*.c into the extension module spbpe._core._spbpe.

The cdef is the region of csrc/include/spbpe.h between the CFFI-BEGIN and CFFI-END
markers, and set_source includes that same header, so the C compiler checks
that the declarations cffi sees are the ones the core implements.
"""

import os
import sys
from glob import glob

from cffi import FFI

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the spbpe/ package directory
CSRC = os.path.normpath(os.path.join(HERE, "..", "csrc"))
HEADER = os.path.join(CSRC, "include", "spbpe.h")


def read_cdef(path: str = HEADER) -> str:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    start = text.index("/* CFFI-BEGIN */") + len("/* CFFI-BEGIN */")
    end = text.index("/* CFFI-END */")
    return text[start:end]


def compile_args() -> list:
    if sys.platform == "win32":
        return ["/O2"]
    args = ["-O3", "-std=c11", "-fvisibility=hidden"]
    extra = os.environ.get("SPBPE_CFLAGS")
    if extra:
        args += extra.split()
    return args


def link_args() -> list:
    extra = os.environ.get("SPBPE_LDFLAGS")
    args = ["-pthread"] if sys.platform != "win32" else []
    return args + (extra.split() if extra else [])


ffibuilder = FFI()
ffibuilder.cdef(read_cdef())
ffibuilder.set_source(
    "spbpe._core._spbpe",
    '#include "spbpe.h"',
    sources=sorted(
        os.path.relpath(p, os.path.dirname(HERE)) for p in glob(os.path.join(CSRC, "**", "*.c"), recursive=True)
    ),
    include_dirs=[
        os.path.relpath(os.path.join(CSRC, "include"), os.path.dirname(HERE)),
        os.path.relpath(CSRC, os.path.dirname(HERE)),
    ],
    # Rebuild every object when a header changes (struct layouts are shared).
    depends=sorted(
        os.path.relpath(p, os.path.dirname(HERE)) for p in glob(os.path.join(CSRC, "**", "*.h"), recursive=True)
    ),
    extra_compile_args=compile_args(),
    extra_link_args=link_args(),
)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
