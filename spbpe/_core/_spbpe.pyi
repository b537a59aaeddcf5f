# Stub for the cffi extension built by spbpe/_core/build.py: its ffi and lib
# objects are typed by cffi at run time only.
from typing import Any

ffi: Any
lib: Any
