"""The plumbing of sentencepiece's Python API, shared by the public classes.

* ``args.py``: option values converted as sentencepiece's pybind11 binding does.
* ``decode.py``: SentencePieceProcessor's decode (a mixin): dispatch, protos, offsets.
* ``encode_variants.py``: EncodeAs*/SampleEncodeAs*/ParallelEncode* (a mixin), and
  the ``sp._processor`` view sentencepiece's own tests use.
* ``vocab.py``: SentencePieceProcessor's vocabulary lookups (a mixin).
* ``train_log.py``: the trainer's progress log for ``logstream=``.
"""
