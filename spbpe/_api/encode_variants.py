"""sentencepiece's encode variants, as a mixin of SentencePieceProcessor.

``EncodeAsIds``/``EncodeAsPieces``/``EncodeAsNumpy``/``EncodeAsProto``/
``EncodeAsOffsetMapping``, ``SampleEncodeAs*`` and ``ParallelEncode*`` are
``encode`` with one option fixed, exactly as in sentencepiece 0.2.3's
Python package.  ``ParallelEncode`` splits one long text into chunks for
sentencepiece's threads and gives the same result as ``Encode``; spbpe's
encoder needs no chunks, so it checks the same options (``chunk_len`` a
positive int) and encodes the text whole.

``binding_view`` stands in for sentencepiece's private binding object
(``sp._processor``) for the batch decode entry points its own tests call.
"""

from __future__ import annotations

from typing import Any

from ..errors import UnimplementedError
from .args import resolve_return_type, with_defaults

__all__ = ["EncodeVariants", "binding_view"]


class EncodeVariants:
    """The encode variants (a mixin: they call the processor's ``encode``)."""

    encode: Any
    decode: Any
    _add_bos: Any
    _add_eos: Any
    _reverse: Any
    _emit_unk_piece: Any
    _num_threads: Any
    _out_type: Any

    def encode_as_pieces(self, input, **kwargs):
        return self.encode(input=input, return_type=str, **kwargs)

    def encode_as_ids(self, input, **kwargs):
        return self.encode(input=input, return_type=int, **kwargs)

    def encode_as_numpy(self, input, **kwargs):
        return self.encode(input=input, return_type="numpy", **kwargs)

    def encode_as_proto(self, input, **kwargs):
        return self.encode(input=input, return_type="proto", **kwargs)

    def encode_as_offset_mapping(self, input, **kwargs):
        return self.encode(input=input, return_type="offset_mapping", **kwargs)

    def sample_encode_as_pieces(self, input, nbest_size=None, alpha=None, **kwargs):
        return self.encode(
            input=input, nbest_size=nbest_size, alpha=alpha, return_type=str, enable_sampling=True, **kwargs
        )

    def sample_encode_as_ids(self, input, nbest_size=None, alpha=None, **kwargs):
        return self.encode(
            input=input, nbest_size=nbest_size, alpha=alpha, return_type=int, enable_sampling=True, **kwargs
        )

    def sample_encode_as_numpy(self, input, nbest_size=None, alpha=None, **kwargs):
        return self.encode(
            input=input, nbest_size=nbest_size, alpha=alpha, return_type="numpy", enable_sampling=True, **kwargs
        )

    def sample_encode_as_proto(self, input, nbest_size=None, alpha=None, **kwargs):
        return self.encode(
            input=input, nbest_size=nbest_size, alpha=alpha, return_type="proto", enable_sampling=True, **kwargs
        )

    def parallel_encode(
        self,
        input,
        add_bos=None,
        add_eos=None,
        reverse=None,
        emit_unk_piece=None,
        chunk_len=None,
        num_threads=None,
        thread_pool=None,
        return_type=None,
        out_type=None,
    ):
        """encode() of each text, with sentencepiece's ParallelEncode checks.

        >>> sp.parallel_encode("Hello world", chunk_len=1000) == sp.encode("Hello world")  # doctest: +SKIP
        True
        """
        rtype = resolve_return_type(return_type, out_type, self._out_type)
        add_bos, add_eos, reverse, emit_unk_piece, num_threads = with_defaults(
            self,
            add_bos=add_bos,
            add_eos=add_eos,
            reverse=reverse,
            emit_unk_piece=emit_unk_piece,
            num_threads=num_threads,
        )
        if num_threads is None or not isinstance(num_threads, int):
            raise TypeError("num_threads must be int")
        if chunk_len is None or not isinstance(chunk_len, int) or chunk_len <= 0:
            raise ValueError("chunk_len must be positive.")
        if rtype == "offset_mapping":
            raise ValueError(f"unknown return_type={rtype}")
        if rtype in ("proto", "serialized_proto") and (add_bos or add_eos or reverse or emit_unk_piece):
            raise UnimplementedError(
                "UNIMPLEMENTED: add_bos, add_eos, reverse, and emit_unk_piece is not supported in proto API"
            )

        def one(text):
            if not isinstance(text, (str, bytes)):
                raise TypeError("Input must be str or bytes")
            return self.encode(
                text,
                add_bos=add_bos,
                add_eos=add_eos,
                reverse=reverse,
                emit_unk_piece=emit_unk_piece if rtype not in (int, "numpy") else None,
                enable_sampling=False,
                num_threads=num_threads,
                thread_pool=thread_pool,
                return_type=rtype,
            )

        if isinstance(input, list):
            return [one(x) for x in input]
        return one(input)

    def parallel_encode_as_pieces(self, input, **kwargs):
        return self.parallel_encode(input=input, return_type=str, **kwargs)

    def parallel_encode_as_ids(self, input, **kwargs):
        return self.parallel_encode(input=input, return_type=int, **kwargs)

    def parallel_encode_as_numpy(self, input, **kwargs):
        return self.parallel_encode(input=input, return_type="numpy", **kwargs)

    def parallel_encode_as_proto(self, input, **kwargs):
        return self.parallel_encode(input=input, return_type="proto", **kwargs)


class _BindingView:
    """The batch decode entry points of sentencepiece's ``sp._processor``
    that its test suite calls directly.  Each reads its batch's length
    once (``__len__`` may change between calls) and its items by index."""

    def __init__(self, processor: Any) -> None:
        self._sp = processor

    def _DecodePiecesBatch(self, ins, num_threads, thread_pool):  # noqa: N802
        return self._sp._decode_pieces_batch(ins, str, False)

    def _DecodePiecesAsBytesBatch(self, ins, num_threads, thread_pool):  # noqa: N802
        return self._sp._decode_pieces_batch(ins, bytes, False)

    def _DecodePiecesAsSerializedProtoBatch(self, ins, num_threads, thread_pool):  # noqa: N802
        return self._sp._decode_pieces_batch(ins, "serialized_proto", False)

    def _DecodeAsOffsetMappingBatch(self, ins, num_threads, thread_pool, return_bytes):  # noqa: N802
        return self._sp._decode_offsets_batch(ins, bool(return_bytes))


def binding_view(processor: Any) -> _BindingView:
    return _BindingView(processor)
