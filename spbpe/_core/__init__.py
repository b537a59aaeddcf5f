"""The binding: the only Python code that touches the C core through cffi.

* ``build.py``: the cffi build script (extension ``spbpe._core._spbpe``, from csrc/).
* ``native.py``: a loaded model and a standalone normalizer (``NativeModel``,
  ``NativeNormalizer``): encode, decode, normalize, vocabulary.
* ``native_trainer.py``: the C trainer (``NativeTrainer``).
* ``status.py``: C status codes -> spbpe exceptions (through the map in spbpe.errors).
* ``results.py`` and ``_pylists.c`` (extension ``spbpe._core._pylists``): how results
  cross between C buffers and Python objects.
* ``text.py``: str/bytes in, byte offsets out turned into character offsets.

Everything above this package gets plain Python values (ints, lists, bytes,
arrays) and never sees ``ffi`` or ``lib``.
"""
