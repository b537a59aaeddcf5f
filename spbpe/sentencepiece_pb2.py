"""sentencepiece's ``sentencepiece_pb2``: the result messages of encode and decode.

``SentencePieceText`` (``text``, ``score``, ``pieces`` with ``piece``, ``id``,
``surface``, ``begin``, ``end``) is what ``encode(..., return_type="proto")``
and ``decode(..., return_type="proto")`` return, and
``NBestSentencePieceText`` (``nbests``) holds n-best results.  Same fields,
numbers and wire bytes as sentencepiece's; the schema lives in the protobuf
package ``spbpe`` so that it never clashes with sentencepiece's own module.

>>> from spbpe.sentencepiece_pb2 import SentencePieceText
>>> SentencePieceText(text="a").SerializeToString()
b'\\n\\x01a'
"""

from ._proto.sentencepiece_text import NBestSentencePieceText, SentencePieceText

__all__ = ["SentencePieceText", "NBestSentencePieceText"]
