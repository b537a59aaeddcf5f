"""SentencePieceProcessor: sentencepiece's Python API on spbpe's C core.

>>> sp = SentencePieceProcessor(model_file="tokenizer.model")  # doctest: +SKIP
>>> sp.encode("Hello world")                                    # doctest: +SKIP
[15043, 3186]

Behaviour follows sentencepiece 0.2.3: the same ids, pieces and text, the
same option handling (``add_bos``/``add_eos``/``reverse``/``emit_unk_piece``,
BPE-dropout through ``enable_sampling``/``alpha``), and the same kinds of
exceptions (``IndexError`` for ids out of range, ``ValueError`` for a
missing bos/eos/unk, ``TypeError`` for wrong input types), each of them also
an :class:`spbpe.SpbpeError`.
"""

from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any, List, Optional, Tuple, Union

from ._core.native import _SHORT_DECODE, NativeModel
from ._core.text import byte_to_char_offsets, normalize_with, to_bytes
from ._proto import sentencepiece_text
from .errors import InputError, OutOfRangeError, UnimplementedError
from .lattice_api import LatticeMixin
from .random_seed import next_seed

__all__ = ["SentencePieceProcessor"]

PIECE_NORMAL, PIECE_UNKNOWN, PIECE_CONTROL, PIECE_USER_DEFINED, PIECE_UNUSED, PIECE_BYTE = 1, 2, 3, 4, 5, 6
_OUT_TYPES = (int, str, bytes, "numpy", "offset_mapping", "proto", "serialized_proto")
_NO_OPTIONS = (None,) * 9
# Out types whose results carry offsets: sentencepiece's "proto API", which
# refuses add_bos, add_eos, reverse and emit_unk_piece (absl's status text).
_PROTO_OUT_TYPES = ("proto", "serialized_proto", "offset_mapping")
_PROTO_OPTIONS_REFUSED = "UNIMPLEMENTED: add_bos, add_eos, reverse, and emit_unk_piece is not supported in proto API"


class SentencePieceProcessor(LatticeMixin):
    """Load a SentencePiece model (unigram, BPE, char or word) and encode/decode with it."""

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
        self._out_type = self._resolve_out_type(return_type, out_type, int)
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
        return cls(model_file=model_file, **kwargs)

    @classmethod
    def from_proto(cls, model_proto: bytes, **kwargs) -> SentencePieceProcessor:
        return cls(model_proto=model_proto, **kwargs)

    def load(self, model_file=None, model_proto=None) -> bool:
        """Load a model from a path or from serialized bytes.

        Raises:
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
        with open(os.fspath(filename), "rb") as f:
            return self.load_from_serialized_proto(f.read())

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
            raise InputError("no model is loaded; call load() first")
        return self._model

    # ------------------------------------------------------------- encoding
    @staticmethod
    def _resolve_out_type(return_type, out_type, default):
        if out_type is not None:
            if return_type is not None:
                raise ValueError("Cannot specify both out_type and return_type. Use return_type instead.")
            return_type = out_type
        if return_type is None:
            return_type = default
        if return_type == "immutable_proto":
            raise ValueError("immutable_proto is deprecated and no longer supported. Use return_type='proto' instead.")
        if return_type not in _OUT_TYPES:
            raise ValueError(f"Invalid return_type: {return_type!r}. Must be one of {_OUT_TYPES}")
        return return_type

    def encode(
        self,
        input,
        out_type=None,
        add_bos=None,
        add_eos=None,
        reverse=None,
        emit_unk_piece=None,
        enable_sampling=None,
        nbest_size=None,
        alpha=None,
        num_threads=None,
        return_type=None,
        return_bytes=None,
    ):
        """Encode a str/bytes (or a list of them) to ids, pieces or offsets.

        >>> sp.encode("Hello world", out_type=str)  # doctest: +SKIP
        ['▁Hello', '▁world']
        """
        if (
            type(input) is str
            and self._plain
            and self._model is not None
            and (
                out_type,
                return_type,
                add_bos,
                add_eos,
                reverse,
                emit_unk_piece,
                enable_sampling,
                return_bytes,
                num_threads,
            )
            == _NO_OPTIONS
        ):
            # Fast path for the most common call: one str, default options
            # (one tuple comparison costs less than nine tests).
            try:
                return self._model.encode(input.encode())
            except UnicodeEncodeError:
                pass  # the full path below raises the documented error
        out_type = self._resolve_out_type(return_type, out_type, self._out_type)
        if return_bytes is not None and out_type != "offset_mapping":
            raise ValueError("return_bytes is only supported when return_type='offset_mapping'")
        add_bos = self._add_bos if add_bos is None else add_bos
        add_eos = self._add_eos if add_eos is None else add_eos
        reverse = self._reverse if reverse is None else reverse
        emit_unk_piece = self._emit_unk_piece if emit_unk_piece is None else emit_unk_piece
        enable_sampling = self._enable_sampling if enable_sampling is None else enable_sampling
        nbest_size = self._nbest_size if nbest_size is None else nbest_size
        alpha = self._alpha if alpha is None else alpha
        num_threads = self._num_threads if num_threads is None else num_threads
        if enable_sampling is True and (nbest_size is None or nbest_size in (0, 1) or alpha is None):
            raise ValueError(
                'When enable_sampling is True, specify "nbest_size > 1" or "nbest_size = -1", and '
                '"alpha" (nbest_size is ignored by BPE-dropout).'
            )
        if not isinstance(num_threads, int):
            raise TypeError("num_threads must be int")
        if out_type in _PROTO_OUT_TYPES and (add_bos or add_eos or reverse or emit_unk_piece):
            # sentencepiece refuses these before looking at the input or the model.
            raise UnimplementedError(_PROTO_OPTIONS_REFUSED)
        if isinstance(input, list) and not input:
            return []  # sentencepiece needs the model (and its bos_id, eos_id) only to encode an item
        m = self._m
        info = m.info
        if add_bos and info.bos_id == -1:
            raise InputError("BOS token is not defined as a control symbol in this model.")
        if add_eos and info.eos_id == -1:
            raise InputError("EOS token is not defined as a control symbol in this model.")
        if emit_unk_piece and out_type in (str, bytes) and info.unk_id == -1:
            raise InputError("UNK token is not defined in this model.")
        if return_bytes is None:
            first = input[0] if isinstance(input, list) and input else input
            return_bytes = isinstance(first, (bytes, bytearray))
        drop = float(alpha) if enable_sampling else 0.0
        opts = (out_type, add_bos, add_eos, reverse, emit_unk_piece, drop, bool(return_bytes))
        if enable_sampling and info.model_type != 2:
            # Unigram sampling (lattice_api.py): alpha is an inverse temperature, nbest_size picks the method.
            if isinstance(input, list):
                return [self._sample_one(to_bytes(x), *opts, nbest_size) for x in input]
            return self._sample_one(to_bytes(input), *opts, nbest_size)
        if isinstance(input, list):
            threads = (os.cpu_count() or 1) if num_threads < 0 else max(1, num_threads)
            if drop == 0.0 and out_type is int and not (reverse or add_bos or add_eos):
                try:
                    return m.encode_batch(input, threads)
                except (TypeError, UnicodeEncodeError):
                    pass  # bytes or bad items: the general path converts (and reports) item by item
            items = [to_bytes(x) for x in input]
            if drop == 0.0 and out_type in (int, str, bytes):
                return self._encode_batch(items, threads, *opts)
            if threads > 1 and len(items) > 1:
                with ThreadPoolExecutor(min(threads, len(items))) as pool:
                    return list(pool.map(lambda d: self._encode_one(d, *opts), items))
            return [self._encode_one(d, *opts) for d in items]
        return self._encode_one(to_bytes(input), *opts)

    def _encode_batch(self, items, threads, out_type, add_bos, add_eos, reverse, emit_unk_piece, alpha, return_bytes):
        """Deterministic batch encode in one C call; pieces come from the
        vocabulary table, except for items with unknown tokens, whose
        pieces are the text they cover (rare: re-encoded one by one)."""
        m = self._m
        info = m.info
        batch = m.encode_batch(items, threads)
        if out_type is int:
            if reverse or add_bos or add_eos:
                for ids in batch:
                    _wrap(ids, reverse, info.bos_id if add_bos else None, info.eos_id if add_eos else None)
            return batch
        table = m.pieces_bytes() if out_type is bytes else m.pieces()
        unk_index = m.unk_index
        out = []
        for data, ids in zip(items, batch):
            if unk_index >= 0 and unk_index in ids:
                out.append(
                    self._encode_one(data, out_type, add_bos, add_eos, reverse, emit_unk_piece, 0.0, return_bytes)
                )
                continue
            out.append(
                _wrap(
                    [table[i] for i in ids],
                    reverse,
                    table[info.bos_id] if add_bos else None,
                    table[info.eos_id] if add_eos else None,
                )
            )
        return out

    def _encode_one(
        self, data: bytes, out_type, add_bos, add_eos, reverse, emit_unk_piece, alpha, return_bytes, nbest_size=None
    ):
        m = self._m
        info = m.info
        seed = next_seed() if alpha > 0 or nbest_size is not None else 0
        if out_type in ("proto", "serialized_proto"):
            return sentencepiece_text.encode_proto(
                m, data, alpha, seed, serialized=out_type == "serialized_proto", nbest_size=nbest_size
            )
        if out_type == "numpy" and not (add_bos or add_eos or reverse):
            import numpy as np

            ids32 = m.encode_ids(data, alpha, seed, int32=True, nbest_size=nbest_size)
            return np.frombuffer(ids32, dtype=np.int32)  # no list on the way
        if out_type is int or out_type == "numpy":
            ids = _wrap(
                m.encode_ids(data, alpha, seed, nbest_size=nbest_size),
                reverse,
                info.bos_id if add_bos else None,
                info.eos_id if add_eos else None,
            )
            if out_type == "numpy":
                import numpy as np

                return np.asarray(ids, dtype=np.int32)
            return ids
        offset_mapping = out_type == "offset_mapping"
        as_bytes = out_type is bytes or (offset_mapping and return_bytes)
        ids, spans = m.encode_spans(data, alpha, seed, only_for_unknown=not offset_mapping, nbest_size=nbest_size)
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
            return self._offset_mapping(data, ids, pieces, list(zip(spans.orig_begin, spans.orig_end)), return_bytes)
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

    @staticmethod
    def _offset_mapping(data: bytes, ids, pieces, spans, return_bytes: bool):
        if return_bytes:
            return {"ids": ids, "pieces": pieces, "offsets": spans}
        table = byte_to_char_offsets(data)
        return {
            "ids": ids,
            "pieces": pieces,
            "offsets": [(table[b], table[e]) for b, e in spans],
        }

    def encode_with_offsets(self, input) -> Union[List[Tuple[int, int, int]], List[List[Tuple[int, int, int]]]]:
        """[(id, start, end)] per token: character offsets into a str input,
        byte offsets into bytes; the spans of out_type="offset_mapping" (see
        spbpe/_proto/sentencepiece_text.py for byte-fallback and dummy-prefix spans).

        >>> sp.encode_with_offsets("Hello wörld")  # doctest: +SKIP
        [(15043, 0, 5), (281, 5, 7), (9618, 7, 11)]
        """
        if isinstance(input, list):
            return [sentencepiece_text.encode_with_offsets(self._m, x) for x in input]
        return sentencepiece_text.encode_with_offsets(self._m, input)

    def encode_as_ids(self, input, **kwargs):
        return self.encode(input, out_type=int, **kwargs)

    def encode_as_pieces(self, input, **kwargs):
        return self.encode(input, out_type=str, **kwargs)

    def encode_as_offset_mapping(self, input, **kwargs):
        return self.encode(input, out_type="offset_mapping", **kwargs)

    def sample_encode_as_ids(self, input, nbest_size=None, alpha=None, **kwargs):
        return self.encode(input, out_type=int, enable_sampling=True, nbest_size=nbest_size, alpha=alpha, **kwargs)

    def sample_encode_as_pieces(self, input, nbest_size=None, alpha=None, **kwargs):
        return self.encode(input, out_type=str, enable_sampling=True, nbest_size=nbest_size, alpha=alpha, **kwargs)

    # ------------------------------------------------------------- decoding
    def decode(self, input, out_type=None, num_threads=None, return_type=None):
        """Decode ids or pieces (or a batch of either) back to text.

        >>> sp.decode([15043, 3186])  # doctest: +SKIP
        'Hello world'
        """
        if (
            type(input) is list
            and len(input) <= _SHORT_DECODE
            and out_type is None
            and return_type is None
            and num_threads is None
            and (not input or type(input[0]) is int)
        ):
            # The common call, kept short: one list of ids to str.
            text = self._m.decode_short(input)
            if text is not None:
                return str(text, "utf-8")
        rtype = return_type if return_type is not None else (out_type if out_type is not None else str)
        if rtype not in (str, bytes):
            raise ValueError(f"unknown return_type={rtype!r}")
        if input is None or (isinstance(input, (str, bytes)) and len(input) == 0):
            input = []
        if isinstance(input, (str, bytes, int)) or not hasattr(input, "__len__"):
            input = [input]
        if len(input) > 0 and isinstance(input[0], (list, tuple)) or (hasattr(input, "ndim") and input.ndim > 1):
            seqs = input if type(input) is list else [list(x) for x in input]
            try:
                first = next((x for x in seqs if len(x)), None)
            except TypeError:  # items without a length (iterators): read them into lists
                seqs = [list(x) for x in seqs]
                first = next((x for x in seqs if x), None)
            if first is not None and isinstance(first[0], (str, bytes)):
                return [self._decode_one(list(x), rtype) for x in seqs]
            num_threads = self._num_threads if num_threads is None else num_threads
            if not isinstance(num_threads, int):
                raise TypeError("num_threads must be int")
            threads = (os.cpu_count() or 1) if num_threads < 0 else max(1, num_threads)
            return self._m.decode_batch(seqs, threads, as_str=rtype is str)
        return self._decode_one(input if type(input) is list else list(input), rtype)

    def _decode_one(self, seq: list, rtype):
        m = self._m
        if seq and isinstance(seq[0], (str, bytes)):
            raw = m.decode_pieces([to_bytes(p) for p in seq])
        else:
            raw = m.decode_ids(seq)
        return raw if rtype is bytes else raw.decode("utf-8")

    def decode_ids(self, input, **kwargs):
        return self.decode(input, **kwargs)

    def decode_pieces(self, input, **kwargs):
        return self.decode(input, **kwargs)

    # ---------------------------------------------------------- normalizing
    def normalize(self, input, with_offsets: bool = False):
        """The normalized form of the text, as it goes into BPE."""
        if isinstance(input, list):
            return [self.normalize(x, with_offsets) for x in input]
        return normalize_with(self._m.normalize, input, with_offsets)

    # ----------------------------------------------------------- vocabulary
    def get_piece_size(self) -> int:
        return self._m.piece_count

    vocab_size = piece_size = get_piece_size

    def __len__(self) -> int:
        return self._m.piece_count

    def _check_id(self, i) -> int:
        if not isinstance(i, int):
            raise TypeError(f"id must be int, not {type(i).__name__}")
        if i < 0 or i >= self._m.piece_count:
            raise OutOfRangeError(f"piece id is out of range: {i} (piece_size is {self._m.piece_count})")
        return i

    def _map_ids(self, ids, fn):
        if isinstance(ids, int):
            return fn(self._check_id(ids))
        return [fn(self._check_id(i)) for i in ids]

    def piece_to_id(self, piece):
        if isinstance(piece, (str, bytes)):
            return self._m.piece_to_id(to_bytes(piece))
        return [self._m.piece_to_id(to_bytes(p)) for p in piece]

    def __getitem__(self, piece):
        return self.piece_to_id(piece)

    def id_to_piece(self, id):
        pieces = self._m.pieces()
        return self._map_ids(id, lambda i: pieces[i])

    def get_score(self, id):
        return self._map_ids(id, self._m.score)

    def is_unknown(self, id):
        return self._map_ids(id, lambda i: self._m.type(i) == PIECE_UNKNOWN)

    def is_control(self, id):
        return self._map_ids(id, lambda i: self._m.type(i) == PIECE_CONTROL)

    def is_unused(self, id):
        return self._map_ids(id, lambda i: self._m.type(i) == PIECE_UNUSED)

    def is_byte(self, id):
        return self._map_ids(id, lambda i: self._m.type(i) == PIECE_BYTE)

    def unk_id(self) -> int:
        return self._m.info.unk_id

    def bos_id(self) -> int:
        return self._m.info.bos_id

    def eos_id(self) -> int:
        return self._m.info.eos_id

    def pad_id(self) -> int:
        return self._m.info.pad_id

    # -------------------------------------------------------------- pickling
    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_model", None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._model = NativeModel(self._proto) if self._proto is not None else None


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


def _add_camel_case(cls) -> None:
    """sentencepiece exposes both EncodeAsIds and encode_as_ids."""
    for name in list(vars(cls)):
        if name.startswith("_") or not callable(getattr(cls, name)):
            continue
        camel = re.sub(r"(?:^|_)([a-z])", lambda mo: mo.group(1).upper(), name)
        if camel != name and not hasattr(cls, camel):
            setattr(cls, camel, getattr(cls, name))


_add_camel_case(SentencePieceProcessor)
SentencePieceProcessor.IdToPiece = SentencePieceProcessor.id_to_piece
SentencePieceProcessor.PieceToId = SentencePieceProcessor.piece_to_id
SentencePieceProcessor.Tokenize = SentencePieceProcessor.encode
SentencePieceProcessor.Detokenize = SentencePieceProcessor.decode
