"""SentencePieceProcessor: sentencepiece's Python API on spbpe's C core.

>>> sp = SentencePieceProcessor(model_file="tokenizer.model")  # doctest: +SKIP
>>> sp.encode("Hello world")                                    # doctest: +SKIP
[15043, 3186]

Behaviour follows sentencepiece 0.2.3's Python package: the same ids,
pieces and text, the same positional order of every argument
(``encode(input, add_bos, add_eos, reverse, emit_unk_piece, enable_sampling,
nbest_size, alpha, num_threads, thread_pool, return_type, out_type,
return_bytes)``), the same option checks (spbpe._api.args converts values as
sentencepiece's pybind11 binding does), the same return types (lists,
numpy arrays, SentencePieceText protos, offset mappings) and the same
exceptions, each of them also an :class:`spbpe.SpbpeError`: ``IndexError``
for ids out of range, ``ValueError`` for a missing bos/eos/unk,
``TypeError`` for wrong input types, ``RuntimeError`` for a processor
without a model, a model that cannot be loaded and the proto API's refused
options.  Decode is in spbpe._api.decode, the encode variants in
spbpe._api.encode_variants, the vocabulary in spbpe._api.vocab.
"""

from __future__ import annotations

import os
import re
from array import array
from concurrent.futures import ThreadPoolExecutor
from typing import Any, List, Optional, Tuple, Union

from ._api.args import as_bool, as_float, as_int, resolve_return_type, with_defaults
from ._api.decode import DecodeAPI
from ._api.encode_variants import EncodeVariants, binding_view
from ._api.files import read_file
from ._api.vocab import (  # noqa: F401 - the piece types stay importable from here
    PIECE_BYTE,
    PIECE_CONTROL,
    PIECE_NORMAL,
    PIECE_UNKNOWN,
    PIECE_UNUSED,
    PIECE_USER_DEFINED,
    VocabAPI,
)
from ._core.native import NativeModel, VectorBuffer
from ._core.text import byte_to_char_offsets, normalize_with, to_bytes
from ._proto import sentencepiece_text
from ._proto.sniff import not_a_model_message
from .columnar import ColumnarSentencePiece
from .errors import (
    ArgumentCheckError,
    InputError,
    ModelFormatError,
    ModelNotLoadedError,
    UnimplementedError,
    UnsupportedError,
)
from .lattice_api import LatticeMixin
from .random_seed import next_seed
from .settings import pool_threads

__all__ = ["SentencePieceProcessor"]


_NO_OPTIONS = (None,) * 10
_PROTO_TYPES = ("proto", "serialized_proto", "offset_mapping")
_PROTO_OPTIONS_REFUSED = "UNIMPLEMENTED: add_bos, add_eos, reverse, and emit_unk_piece is not supported in proto API"
_NOT_INITIALIZED = "INTERNAL: Model is not initialized."
_SAMPLING_OPTIONS = (
    'When enable_sampling is True, We must specify "nbest_size > 1" or "nbest_size = -1", '
    'and "alpha". "nbest_size" is enabled only on unigram mode ignored in BPE-dropout. '
    'when "nbest_size = -1" , this method samples from all candidates on the lattice '
    "instead of nbest segmentations."
)


class SentencePieceProcessor(VocabAPI, DecodeAPI, EncodeVariants, LatticeMixin, ColumnarSentencePiece):
    """Load a SentencePiece model (BPE, unigram, char or word) and encode/decode with it."""

    def __init__(
        self,
        model_file: Optional[Union[str, os.PathLike]] = None,
        model_proto: Optional[bytes] = None,
        out_type: Any = None,
        add_bos: bool = False,
        add_eos: bool = False,
        reverse: bool = False,
        emit_unk_piece: bool = False,
        enable_sampling: bool = False,
        nbest_size: int = -1,
        alpha: float = 0.1,
        num_threads: int = -1,
        return_type: Any = None,
    ):
        self._model: Optional[NativeModel] = None
        self._proto: Optional[bytes] = None
        self._out_type = resolve_return_type(return_type, out_type, int)
        self._add_bos, self._add_eos, self._reverse = add_bos, add_eos, reverse
        self._emit_unk_piece, self._enable_sampling = emit_unk_piece, enable_sampling
        self._nbest_size, self._alpha, self._num_threads = nbest_size, alpha, num_threads
        # Constructor options that leave encode() at its plain default.
        self._plain = self._out_type is int and not (add_bos or add_eos or reverse or emit_unk_piece or enable_sampling)
        if model_file or model_proto:
            self.load(model_file=model_file, model_proto=model_proto)

    # ------------------------------------------------------------- loading
    @classmethod
    def from_file(cls, model_file, **kwargs) -> SentencePieceProcessor:
        if "model_file" in kwargs or "model_proto" in kwargs:
            raise ValueError("model_file and model_proto cannot be passed via kwargs when using from_file classmethod.")
        processor = cls(**kwargs)
        processor.load_from_file(model_file)
        return processor

    @classmethod
    def from_proto(cls, model_proto: bytes, **kwargs) -> SentencePieceProcessor:
        if "model_file" in kwargs or "model_proto" in kwargs:
            raise ValueError(
                "model_file and model_proto cannot be passed via kwargs when using from_proto classmethod."
            )
        processor = cls(**kwargs)
        processor.load_from_serialized_proto(model_proto)
        return processor

    def load(self, model_file=None, model_proto=None) -> bool:
        """Load a model from a path or from serialized bytes.

        Raises:
            ModelFileError: the file cannot be read (ModelFileNotFoundError
                when it does not exist); also an OSError and a RuntimeError.
            ModelFormatError: the bytes are not a valid SentencePiece model.
            UnsupportedError: a valid model of a type other than BPE.
        """
        if model_file and model_proto:
            raise ValueError("model_file and model_proto must be exclusive.")
        if model_proto:
            return self.load_from_serialized_proto(model_proto)
        if model_file:
            return self.load_from_file(model_file)
        raise ValueError("Either model_file or model_proto must be specified.")

    def load_from_file(self, filename) -> bool:
        if not isinstance(filename, (str, bytes, os.PathLike)):
            raise TypeError(f"filename must be str, not {type(filename).__name__}")
        path = os.fsdecode(os.fspath(filename))
        data = read_file(path)
        try:
            return self.load_from_serialized_proto(data)
        except (ModelFormatError, UnsupportedError):
            # Say what the file is instead (a text file, a tiktoken rank file such as
            # Llama 3's tokenizer.model, ...), the same words as the CLI's.
            message = not_a_model_message(path, data)
            if message is None:
                raise
            raise ModelFormatError(message) from None

    def load_from_serialized_proto(self, serialized) -> bool:
        if hasattr(serialized, "SerializeToString"):
            serialized = serialized.SerializeToString()
        if not isinstance(serialized, (bytes, bytearray, memoryview)):
            raise TypeError(f"model_proto must be bytes, not {type(serialized).__name__}")
        model = NativeModel(bytes(serialized))
        self._model, self._proto = model, bytes(serialized)
        return True

    def serialized_model_proto(self) -> bytes:
        return self._proto if self._proto is not None else b""

    @property
    def _m(self) -> NativeModel:
        if self._model is None:
            raise ModelNotLoadedError(_NOT_INITIALIZED)
        return self._model

    @property
    def _processor(self) -> Any:
        """sentencepiece's binding object, for the few private entry points
        its own tests call (see spbpe._api.encode_variants.binding_view)."""
        return binding_view(self)

    # ------------------------------------------------------------- encoding
    def encode(
        self,
        input,
        add_bos=None,
        add_eos=None,
        reverse=None,
        emit_unk_piece=None,
        enable_sampling=None,
        nbest_size=None,
        alpha=None,
        num_threads=None,
        thread_pool=None,
        return_type=None,
        out_type=None,
        return_bytes=None,
    ):
        """Encode a str/bytes (or a list of them) to ids, pieces, protos or offsets.

        >>> sp.encode("Hello world", return_type=str)  # doctest: +SKIP
        ['▁Hello', '▁world']
        """
        if (
            type(input) is str
            and self._plain
            and self._model is not None
            and (
                return_type,
                out_type,
                add_bos,
                add_eos,
                reverse,
                emit_unk_piece,
                enable_sampling,
                return_bytes,
                num_threads,
                thread_pool,
            )
            == _NO_OPTIONS
        ):
            # Fast path for the most common call: one str, default options
            # (one tuple comparison costs less than ten tests).
            try:
                return self._model.encode(input.encode())
            except UnicodeEncodeError:
                pass  # the full path below raises the documented error
        # The checks in sentencepiece's order: its Python wrapper's, then
        # its binding's argument conversion, then the call's own.
        rtype = resolve_return_type(return_type, out_type, self._out_type)
        if return_bytes is not None and rtype != "offset_mapping":
            raise ValueError("return_bytes is only supported when return_type='offset_mapping'")
        add_bos, add_eos, reverse, emit_unk_piece, enable_sampling, nbest_size, alpha, num_threads = with_defaults(
            self,
            add_bos=add_bos,
            add_eos=add_eos,
            reverse=reverse,
            emit_unk_piece=emit_unk_piece,
            enable_sampling=enable_sampling,
            nbest_size=nbest_size,
            alpha=alpha,
            num_threads=num_threads,
        )
        if enable_sampling is True and (nbest_size is None or nbest_size in (0, 1) or alpha is None):
            raise ValueError(_SAMPLING_OPTIONS)
        if num_threads is None or not isinstance(num_threads, int):
            raise TypeError("num_threads must be int")
        sampling = as_bool("enable_sampling", enable_sampling)
        nbest_size = as_int("nbest_size", nbest_size)
        alpha = as_float("alpha", alpha)
        add_bos, add_eos = as_bool("add_bos", add_bos), as_bool("add_eos", add_eos)
        reverse = as_bool("reverse", reverse)
        # Only the calls that print pieces take emit_unk_piece (and check it).
        emit_unk_piece = as_bool("emit_unk_piece", emit_unk_piece) if rtype not in (int, "numpy") else False
        if rtype == "offset_mapping" and return_bytes is not None:
            as_bytes = as_bool("return_bytes", return_bytes)
        elif rtype == "offset_mapping":
            as_bytes = isinstance(input, bytes) or bool(
                isinstance(input, list) and input and isinstance(input[0], bytes)
            )
        else:
            as_bytes = rtype is bytes
        if rtype in _PROTO_TYPES and (add_bos or add_eos or reverse or emit_unk_piece):
            # sentencepiece refuses these before looking at the input or the model.
            raise UnimplementedError(_PROTO_OPTIONS_REFUSED)
        opts = (rtype, add_bos, add_eos, reverse, emit_unk_piece, sampling, alpha, as_bytes)
        if not isinstance(input, list):
            if not isinstance(input, (str, bytes)):
                raise TypeError("Input must be str or bytes")
            if sampling and self._m.info.model_type != 2:
                return self._sample_one(to_bytes(input), opts, nbest_size)
            return self._encode_one(to_bytes(input), *opts)
        if not input:
            return []  # sentencepiece needs the model (and its bos_id, eos_id) only to encode an item
        threads = pool_threads(thread_pool, num_threads)
        if self._model is not None and not sampling and rtype is int and not (reverse or add_bos or add_eos):
            try:
                return self._model.encode_batch(input, threads)
            except (TypeError, UnicodeEncodeError):
                pass  # bad items: the checks below report them
        if not all(isinstance(x, (str, bytes)) for x in input):
            raise TypeError("List elements must be str or bytes")
        self._m  # noqa: B018 - no model: sentencepiece's RuntimeError before any item is encoded
        items = [to_bytes(x) for x in input]
        if sampling and self._m.info.model_type != 2:
            return [self._sample_one(d, opts, nbest_size) for d in items]
        if not sampling and rtype in (int, str, bytes):
            self._check_rewrite(add_bos, add_eos, emit_unk_piece and rtype is not int)
            return self._encode_batch(items, threads, *opts)
        if threads > 1 and len(items) > 1:
            with ThreadPoolExecutor(min(threads, len(items))) as pool:
                return list(pool.map(lambda d: self._encode_one(d, *opts), items))
        return [self._encode_one(d, *opts) for d in items]

    def _check_rewrite(self, add_bos: bool, add_eos: bool, emit_unk_piece: bool) -> None:
        """sentencepiece's RewriteIds checks (a ValueError, absl's text)."""
        info = self._m.info
        if add_bos and info.bos_id == -1:
            raise InputError("INVALID_ARGUMENT: BOS token is not defined as a control symbol in this model.")
        if add_eos and info.eos_id == -1:
            raise InputError("INVALID_ARGUMENT: EOS token is not defined as a control symbol in this model.")
        if emit_unk_piece and info.unk_id == -1:
            raise InputError("INVALID_ARGUMENT: UNK token is not defined in this model.")

    def _dropout(self, sampling: bool, alpha: float) -> float:
        if not sampling:
            return 0.0
        if alpha < 0.0:
            raise ArgumentCheckError("INTERNAL: [(alpha) >= (0.0)] alpha must not be negative")
        return alpha

    def _encode_batch(
        self, items, threads, rtype, add_bos, add_eos, reverse, emit_unk_piece, sampling, alpha, as_bytes
    ):
        """Deterministic batch encode in one C call; pieces come from the
        vocabulary table, except for items with unknown tokens, whose
        pieces are the text they cover (rare: re-encoded one by one)."""
        m = self._m
        info = m.info
        batch = m.encode_batch(items, threads)
        if rtype is int:
            if reverse or add_bos or add_eos:
                for ids in batch:
                    _wrap(ids, reverse, info.bos_id if add_bos else None, info.eos_id if add_eos else None)
            return batch
        table = m.pieces_bytes() if as_bytes else m.pieces()
        unk_index = m.unk_index
        out = []
        for data, ids in zip(items, batch):
            if (unk_index >= 0 and unk_index in ids) or emit_unk_piece:
                out.append(
                    self._encode_one(data, rtype, add_bos, add_eos, reverse, emit_unk_piece, False, 0.0, as_bytes)
                )
                continue
            bos = table[info.bos_id] if add_bos else None
            out.append(_wrap([table[i] for i in ids], reverse, bos, table[info.eos_id] if add_eos else None))
        return out

    def _encode_one(
        self, data: bytes, rtype, add_bos, add_eos, reverse, emit_unk_piece, sampling, alpha, as_bytes, nbest_size=None
    ):
        """One text; nbest_size is given only for unigram sampling (lattice_api.py), where it picks the method."""
        m = self._m
        info = m.info
        drop = self._dropout(sampling, alpha)
        seed = next_seed() if drop > 0 or nbest_size is not None else 0
        if rtype in ("proto", "serialized_proto"):
            blob = sentencepiece_text.encode_proto(m, data, drop, seed, serialized=True, nbest_size=nbest_size)
            return blob if rtype == "serialized_proto" else sentencepiece_text.SentencePieceText.FromString(blob)
        if rtype == "numpy":
            if add_bos or add_eos or reverse:
                self._check_rewrite(add_bos, add_eos, False)
                bos, eos = info.bos_id if add_bos else None, info.eos_id if add_eos else None
                buf = VectorBuffer(
                    array(
                        "i", _wrap(m.encode_ids(data, drop, seed, nbest_size=nbest_size), reverse, bos, eos)
                    ).tobytes()
                )
            else:
                buf = VectorBuffer(m.encode_ids(data, drop, seed, int32=True, nbest_size=nbest_size))
            return _numpy_ids(buf)
        if rtype is int:
            ids = m.encode_ids(data, drop, seed, nbest_size=nbest_size)
            self._check_rewrite(add_bos, add_eos, False)
            return _wrap(ids, reverse, info.bos_id if add_bos else None, info.eos_id if add_eos else None)
        offset_mapping = rtype == "offset_mapping"
        ids, spans = m.encode_spans(data, drop, seed, only_for_unknown=not offset_mapping, nbest_size=nbest_size)
        table = m.pieces_bytes() if as_bytes else m.pieces()
        pieces = [table[i] for i in ids]
        unk_index = m.unk_index
        if spans is not None and unk_index >= 0 and unk_index in ids:
            # An unknown token's piece is the text it covers, not "<unk>".
            norm, norm_begin, norm_end = spans.normalized, spans.norm_begin, spans.norm_end
            for k, i in enumerate(ids):
                if i == unk_index:
                    surface = norm[norm_begin[k] : norm_end[k]]
                    pieces[k] = surface if as_bytes else surface.decode("utf-8")
        if offset_mapping:
            assert spans is not None  # always copied for offsets
            return _offset_mapping(data, ids, pieces, list(zip(spans.orig_begin, spans.orig_end)), as_bytes)
        self._check_rewrite(add_bos, add_eos, emit_unk_piece)
        if emit_unk_piece:
            # As sentencepiece's Python binding: a piece becomes the unk piece
            # when its text maps to unk_id, so an unknown run spelling a
            # control or unused piece keeps its text.
            unk = info.unk_id
            unk_piece = table[unk]
            for k, i in enumerate(ids):
                if (i == unk or i == unk_index) and m.piece_to_id(to_bytes(pieces[k])) == unk:
                    pieces[k] = unk_piece
        return _wrap(pieces, reverse, table[info.bos_id] if add_bos else None, table[info.eos_id] if add_eos else None)

    def encode_with_offsets(self, input) -> Union[List[Tuple[int, int, int]], List[List[Tuple[int, int, int]]]]:
        """[(id, start, end)] per token: character offsets into a str input,
        byte offsets into bytes; the spans of return_type="offset_mapping" (see
        spbpe/_proto/sentencepiece_text.py for byte-fallback and dummy-prefix spans).

        >>> sp.encode_with_offsets("Hello wörld")  # doctest: +SKIP
        [(15043, 0, 5), (281, 5, 7), (9618, 7, 11)]
        """
        if isinstance(input, list):
            return [sentencepiece_text.encode_with_offsets(self._m, x) for x in input]
        return sentencepiece_text.encode_with_offsets(self._m, input)

    # ---------------------------------------------------------- normalizing
    def normalize(self, input, with_offsets=None):
        """The normalized form of the text, as it goes into BPE ("" when no
        model is loaded, as sentencepiece)."""
        if isinstance(input, list):
            return [self.normalize(x, with_offsets) for x in input]
        if not isinstance(input, (str, bytes)):
            raise TypeError("Input must be str or bytes")
        if self._model is None and not with_offsets:
            return b"" if isinstance(input, bytes) else ""
        return normalize_with(self._m.normalize, input, bool(with_offsets))

    # -------------------------------------------------------------- pickling
    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_model", None)
        return state

    def __setstate__(self, state):
        if not isinstance(state, dict):  # pickles of old sentencepiece: the model bytes alone
            state = {"_proto": state}
        if "model_proto" in state:  # sentencepiece's own pickles
            state = dict(state, _proto=state.pop("model_proto"))
        SentencePieceProcessor.__init__(self)
        self.__dict__.update(state)
        self._model = NativeModel(self._proto) if self._proto else None


def _wrap(seq: list, reverse: bool, bos, eos) -> list:
    """sentencepiece's RewriteIds: reverse first, then bos in front and eos
    at the end (bos/eos are None when not asked for)."""
    if reverse:
        seq.reverse()
    if bos is not None:
        seq.insert(0, bos)
    if eos is not None:
        seq.append(eos)
    return seq


def _numpy_ids(buf: VectorBuffer) -> Any:
    """A read-only int32 numpy array over `buf`, no copy (as sentencepiece)."""
    import numpy as np

    return np.frombuffer(memoryview(buf).toreadonly(), dtype=np.int32)


def _offset_mapping(data: bytes, ids, pieces, spans, return_bytes: bool):
    if return_bytes:
        return {"ids": ids, "pieces": pieces, "offsets": spans}
    table = byte_to_char_offsets(data)
    return {"ids": ids, "pieces": pieces, "offsets": [(table[b], table[e]) for b, e in spans]}


def _add_camel_case(cls) -> None:
    """sentencepiece exposes both EncodeAsIds and encode_as_ids."""
    for klass in reversed(cls.__mro__[:-1]):
        for name in list(vars(klass)):
            if name.startswith("_") or not callable(getattr(cls, name)):
                continue
            camel = re.sub(r"(?:^|_)([a-z])", lambda mo: mo.group(1).upper(), name)
            camel = camel.replace("Nbest", "NBest")
            if camel != name and not hasattr(cls, camel):
                setattr(cls, camel, getattr(cls, name))


_add_camel_case(SentencePieceProcessor)
SentencePieceProcessor.IdToPiece = SentencePieceProcessor.id_to_piece
SentencePieceProcessor.PieceToId = SentencePieceProcessor.piece_to_id
SentencePieceProcessor.Tokenize = SentencePieceProcessor.tokenize = SentencePieceProcessor.encode
SentencePieceProcessor.Detokenize = SentencePieceProcessor.detokenize = SentencePieceProcessor.decode
