"""Protobuf plumbing: sentencepiece's ModelProto schema and the bytes spbpe writes.

* ``sentencepiece_model.proto`` and the generated ``model_pb2`` (+ ``.pyi``): ModelProto.
* ``model_check.py``: parse a ``.model`` and check it as sentencepiece 0.2.3 does at load.
* ``trainer_spec.py``: training options parsed into TrainerSpec/NormalizerSpec fields, and
  the ModelProto bytes the trainer writes.
* ``sentencepiece_text.py``: SentencePieceText results (``out_type="proto"``) and token spans.
* ``wire.py``: protobuf wire-format writing helpers.
"""
