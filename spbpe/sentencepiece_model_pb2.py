"""sentencepiece's ``sentencepiece_model_pb2``: the ``.model`` schema.

``ModelProto``, ``TrainerSpec``, ``NormalizerSpec`` and ``SelfTestData``, as
the tools written for sentencepiece import them (Hugging Face's
``convert_slow_tokenizer`` does ``from sentencepiece import
sentencepiece_model_pb2``).  Same fields, numbers, defaults and wire bytes as
sentencepiece's; the messages live in the protobuf package ``spbpe``.

>>> from spbpe.sentencepiece_model_pb2 import ModelProto
>>> ModelProto.SentencePiece.Type.Name(ModelProto.SentencePiece.BYTE)
'BYTE'
"""

from ._proto.model_pb2 import ModelProto, NormalizerSpec, SelfTestData, TrainerSpec

__all__ = ["ModelProto", "TrainerSpec", "NormalizerSpec", "SelfTestData"]
