# Type stub for spbpe/processor.py.  It exists because processor.py makes
# sentencepiece's CamelCase names (EncodeAsIds, IdToPiece, ...) at import
# time, which type checkers cannot see; every one is listed here as an alias
# of its snake_case method.  tests/test_typing.py checks that this stub and
# the class name the same attributes, and .ci/run runs mypy's stubtest on it.
import os
from typing import Any, Callable, ClassVar, Iterable, List, Optional, Sequence, Tuple, Union, overload

from .columnar import TokenArrays
from .settings import ThreadPool

__all__ = ["SentencePieceProcessor"]

PIECE_NORMAL: int
PIECE_UNKNOWN: int
PIECE_CONTROL: int
PIECE_USER_DEFINED: int
PIECE_UNUSED: int
PIECE_BYTE: int

_Text = Union[str, bytes]
_Texts = Sequence[_Text]
_Ids = Sequence[int]
_Pieces = Sequence[_Text]
#: int, str, bytes, "numpy", "offset_mapping", "proto" or "serialized_proto"
_OutType = Any
_Offsets = List[Tuple[int, int, int]]

class SentencePieceProcessor:
    """Load a SentencePiece BPE model and encode/decode with it."""

    def __init__(
        self,
        model_file: Optional[Union[str, os.PathLike[str]]] = None,
        model_proto: Optional[bytes] = None,
        out_type: _OutType = None,
        add_bos: bool = False,
        add_eos: bool = False,
        reverse: bool = False,
        emit_unk_piece: bool = False,
        enable_sampling: bool = False,
        nbest_size: int = -1,
        alpha: float = 0.1,
        num_threads: int = -1,
        return_type: _OutType = None,
    ) -> None: ...

    # loading
    @classmethod
    def from_file(cls, model_file: Union[str, os.PathLike[str]], **kwargs: Any) -> SentencePieceProcessor: ...
    @classmethod
    def from_proto(cls, model_proto: bytes, **kwargs: Any) -> SentencePieceProcessor: ...
    def load(
        self, model_file: Optional[Union[str, os.PathLike[str]]] = None, model_proto: Optional[bytes] = None
    ) -> bool: ...
    def load_from_file(self, filename: Union[str, os.PathLike[str]]) -> bool: ...
    def load_from_serialized_proto(self, serialized: Union[bytes, bytearray, memoryview, Any]) -> bool: ...
    def serialized_model_proto(self) -> bytes: ...

    # encoding: ids by default (or the constructor's return_type); pieces
    # with return_type=str (or out_type=str); one list per text for a list
    # of texts.  Positional order as sentencepiece's.
    @overload
    def encode(
        self,
        input: _Text,
        add_bos: Optional[bool] = None,
        add_eos: Optional[bool] = None,
        reverse: Optional[bool] = None,
        emit_unk_piece: Optional[bool] = None,
        enable_sampling: Optional[bool] = None,
        nbest_size: Optional[int] = None,
        alpha: Optional[float] = None,
        num_threads: Optional[int] = None,
        thread_pool: Optional[ThreadPool] = None,
        *,
        return_type: type[int],
        out_type: None = None,
        return_bytes: Optional[bool] = None,
    ) -> List[int]: ...
    @overload
    def encode(
        self,
        input: _Text,
        add_bos: Optional[bool] = None,
        add_eos: Optional[bool] = None,
        reverse: Optional[bool] = None,
        emit_unk_piece: Optional[bool] = None,
        enable_sampling: Optional[bool] = None,
        nbest_size: Optional[int] = None,
        alpha: Optional[float] = None,
        num_threads: Optional[int] = None,
        thread_pool: Optional[ThreadPool] = None,
        return_type: None = None,
        *,
        out_type: type[int],
        return_bytes: Optional[bool] = None,
    ) -> List[int]: ...
    @overload
    def encode(
        self,
        input: _Text,
        add_bos: Optional[bool] = None,
        add_eos: Optional[bool] = None,
        reverse: Optional[bool] = None,
        emit_unk_piece: Optional[bool] = None,
        enable_sampling: Optional[bool] = None,
        nbest_size: Optional[int] = None,
        alpha: Optional[float] = None,
        num_threads: Optional[int] = None,
        thread_pool: Optional[ThreadPool] = None,
        *,
        return_type: type[str],
        out_type: None = None,
        return_bytes: Optional[bool] = None,
    ) -> List[str]: ...
    @overload
    def encode(
        self,
        input: _Text,
        add_bos: Optional[bool] = None,
        add_eos: Optional[bool] = None,
        reverse: Optional[bool] = None,
        emit_unk_piece: Optional[bool] = None,
        enable_sampling: Optional[bool] = None,
        nbest_size: Optional[int] = None,
        alpha: Optional[float] = None,
        num_threads: Optional[int] = None,
        thread_pool: Optional[ThreadPool] = None,
        return_type: None = None,
        *,
        out_type: type[str],
        return_bytes: Optional[bool] = None,
    ) -> List[str]: ...
    @overload
    def encode(
        self,
        input: Union[_Text, _Texts],
        add_bos: Optional[bool] = None,
        add_eos: Optional[bool] = None,
        reverse: Optional[bool] = None,
        emit_unk_piece: Optional[bool] = None,
        enable_sampling: Optional[bool] = None,
        nbest_size: Optional[int] = None,
        alpha: Optional[float] = None,
        num_threads: Optional[int] = None,
        thread_pool: Optional[ThreadPool] = None,
        return_type: _OutType = None,
        out_type: _OutType = None,
        return_bytes: Optional[bool] = None,
    ) -> Any: ...
    def tokenize(
        self,
        input: Union[_Text, _Texts],
        add_bos: Optional[bool] = None,
        add_eos: Optional[bool] = None,
        reverse: Optional[bool] = None,
        emit_unk_piece: Optional[bool] = None,
        enable_sampling: Optional[bool] = None,
        nbest_size: Optional[int] = None,
        alpha: Optional[float] = None,
        num_threads: Optional[int] = None,
        thread_pool: Optional[ThreadPool] = None,
        return_type: _OutType = None,
        out_type: _OutType = None,
        return_bytes: Optional[bool] = None,
    ) -> Any: ...
    @overload
    def encode_with_offsets(self, input: _Text) -> _Offsets: ...
    @overload
    def encode_with_offsets(self, input: List[_Text]) -> List[_Offsets]: ...
    @overload
    def encode_as_ids(self, input: _Text, **kwargs: Any) -> List[int]: ...
    @overload
    def encode_as_ids(self, input: _Texts, **kwargs: Any) -> List[List[int]]: ...
    @overload
    def encode_as_pieces(self, input: _Text, **kwargs: Any) -> List[str]: ...
    @overload
    def encode_as_pieces(self, input: _Texts, **kwargs: Any) -> List[List[str]]: ...
    def encode_as_numpy(self, input: Union[_Text, _Texts], **kwargs: Any) -> Any: ...
    def encode_as_proto(self, input: Union[_Text, _Texts], **kwargs: Any) -> Any: ...
    def encode_as_offset_mapping(self, input: Union[_Text, _Texts], **kwargs: Any) -> Any: ...
    def sample_encode_as_ids(
        self,
        input: Union[_Text, _Texts],
        nbest_size: Optional[int] = None,
        alpha: Optional[float] = None,
        **kwargs: Any,
    ) -> Any: ...
    def sample_encode_as_pieces(
        self,
        input: Union[_Text, _Texts],
        nbest_size: Optional[int] = None,
        alpha: Optional[float] = None,
        **kwargs: Any,
    ) -> Any: ...
    def sample_encode_as_numpy(
        self,
        input: Union[_Text, _Texts],
        nbest_size: Optional[int] = None,
        alpha: Optional[float] = None,
        **kwargs: Any,
    ) -> Any: ...
    def sample_encode_as_proto(
        self,
        input: Union[_Text, _Texts],
        nbest_size: Optional[int] = None,
        alpha: Optional[float] = None,
        **kwargs: Any,
    ) -> Any: ...
    def parallel_encode(
        self,
        input: Union[_Text, _Texts],
        add_bos: Optional[bool] = None,
        add_eos: Optional[bool] = None,
        reverse: Optional[bool] = None,
        emit_unk_piece: Optional[bool] = None,
        chunk_len: Optional[int] = None,
        num_threads: Optional[int] = None,
        thread_pool: Optional[ThreadPool] = None,
        return_type: _OutType = None,
        out_type: _OutType = None,
    ) -> Any: ...
    def parallel_encode_as_ids(self, input: Union[_Text, _Texts], **kwargs: Any) -> Any: ...
    def parallel_encode_as_pieces(self, input: Union[_Text, _Texts], **kwargs: Any) -> Any: ...
    def parallel_encode_as_numpy(self, input: Union[_Text, _Texts], **kwargs: Any) -> Any: ...
    def parallel_encode_as_proto(self, input: Union[_Text, _Texts], **kwargs: Any) -> Any: ...

    # decoding: str by default (bytes for bytes pieces), bytes with
    # return_type=bytes, protos and offset mappings; a list of texts for a
    # list of sequences.
    def decode(
        self,
        input: Union[int, _Text, _Ids, _Pieces, Sequence[_Ids], Sequence[_Pieces], Any],
        return_type: Any = None,
        out_type: Any = None,
        num_threads: Optional[int] = None,
        thread_pool: Optional[ThreadPool] = None,
        return_bytes: Optional[bool] = None,
    ) -> Any: ...
    def detokenize(
        self,
        input: Union[int, _Text, _Ids, _Pieces, Sequence[_Ids], Sequence[_Pieces], Any],
        return_type: Any = None,
        out_type: Any = None,
        num_threads: Optional[int] = None,
        thread_pool: Optional[ThreadPool] = None,
        return_bytes: Optional[bool] = None,
    ) -> Any: ...
    def decode_ids(self, input: Union[_Ids, Sequence[_Ids], Any], return_type: Any = None, **kwargs: Any) -> Any: ...
    def decode_pieces(
        self, input: Union[_Pieces, Sequence[_Pieces]], return_type: Any = None, **kwargs: Any
    ) -> Any: ...
    def decode_ids_as_proto(self, input: Union[_Ids, Sequence[_Ids], Any], **kwargs: Any) -> Any: ...
    def decode_pieces_as_proto(self, input: Union[_Pieces, Sequence[_Pieces]], **kwargs: Any) -> Any: ...

    # columnar (spbpe.columnar)
    def encode_to_arrays(
        self, texts: Iterable[Union[str, bytes]], num_threads: Optional[int] = None
    ) -> TokenArrays: ...

    # normalizing
    def normalize(self, input: Union[_Text, List[_Text]], with_offsets: Optional[bool] = None) -> Any: ...

    # vocabulary
    def get_piece_size(self) -> int: ...
    vocab_size = get_piece_size
    piece_size = get_piece_size
    def __len__(self) -> int: ...
    @overload
    def piece_to_id(self, piece: _Text) -> int: ...  # type: ignore[overload-overlap]  # a str is also a Sequence[str]
    @overload
    def piece_to_id(self, piece: Sequence[_Text]) -> List[int]: ...
    def __getitem__(self, piece: _Text) -> int: ...
    @overload
    def id_to_piece(self, id: int) -> str: ...
    @overload
    def id_to_piece(self, id: Sequence[int]) -> List[str]: ...
    @overload
    def get_score(self, id: int) -> float: ...
    @overload
    def get_score(self, id: Sequence[int]) -> List[float]: ...
    @overload
    def is_unknown(self, id: int) -> bool: ...
    @overload
    def is_unknown(self, id: Sequence[int]) -> List[bool]: ...
    @overload
    def is_control(self, id: int) -> bool: ...
    @overload
    def is_control(self, id: Sequence[int]) -> List[bool]: ...
    @overload
    def is_unused(self, id: int) -> bool: ...
    @overload
    def is_unused(self, id: Sequence[int]) -> List[bool]: ...
    @overload
    def is_byte(self, id: int) -> bool: ...
    @overload
    def is_byte(self, id: Sequence[int]) -> List[bool]: ...
    def unk_id(self) -> int: ...
    def bos_id(self) -> int: ...
    def eos_id(self) -> int: ...
    def pad_id(self) -> int: ...

    # pickling
    # n-best, sampling with scores and entropy (unigram models; lattice_api.LatticeMixin)
    def nbest_encode(
        self,
        input: Union[_Text, _Texts],
        add_bos: Optional[bool] = None,
        add_eos: Optional[bool] = None,
        reverse: Optional[bool] = None,
        emit_unk_piece: Optional[bool] = None,
        nbest_size: Optional[int] = None,
        return_type: _OutType = None,
        out_type: _OutType = None,
    ) -> Any: ...
    def nbest_encode_as_pieces(
        self, input: Union[_Text, _Texts], nbest_size: Optional[int] = None, **kwargs: Any
    ) -> Any: ...
    def nbest_encode_as_ids(
        self, input: Union[_Text, _Texts], nbest_size: Optional[int] = None, **kwargs: Any
    ) -> Any: ...
    def nbest_encode_as_numpy(
        self, input: Union[_Text, _Texts], nbest_size: Optional[int] = None, **kwargs: Any
    ) -> Any: ...
    def nbest_encode_as_proto(
        self, input: Union[_Text, _Texts], nbest_size: Optional[int] = None, **kwargs: Any
    ) -> Any: ...
    def nbest_encode_as_serialized_proto(
        self, input: Union[_Text, _Texts], nbest_size: Optional[int] = None, **kwargs: Any
    ) -> Any: ...
    def sample_encode_and_score(
        self,
        input: Union[_Text, _Texts],
        out_type: _OutType = None,
        add_bos: Optional[bool] = None,
        add_eos: Optional[bool] = None,
        reverse: Optional[bool] = None,
        emit_unk_piece: Optional[bool] = None,
        num_samples: Optional[int] = None,
        alpha: Optional[float] = None,
        wor: Optional[bool] = None,
        include_best: Optional[bool] = None,
    ) -> Any: ...
    def sample_encode_and_score_as_pieces(
        self,
        input: Union[_Text, _Texts],
        num_samples: Optional[int] = None,
        alpha: Optional[float] = None,
        **kwargs: Any,
    ) -> Any: ...
    def sample_encode_and_score_as_ids(
        self,
        input: Union[_Text, _Texts],
        num_samples: Optional[int] = None,
        alpha: Optional[float] = None,
        **kwargs: Any,
    ) -> Any: ...
    def sample_encode_and_score_as_serialized_proto(
        self,
        input: Union[_Text, _Texts],
        num_samples: Optional[int] = None,
        alpha: Optional[float] = None,
        **kwargs: Any,
    ) -> Any: ...
    def calculate_entropy(
        self, input: Union[_Text, _Texts], alpha: float, num_threads: Optional[int] = None
    ) -> Union[float, List[float]]: ...
    def __getstate__(self) -> dict[str, Any]: ...
    def __setstate__(self, state: Union[dict[str, Any], bytes]) -> None: ...

    # sentencepiece's CamelCase names (made by _add_camel_case at import),
    # and its four extra aliases.
    BosId = bos_id
    Decode = decode
    DecodeIds = decode_ids
    DecodePieces = decode_pieces
    Encode = encode
    EncodeAsIds = encode_as_ids
    EncodeAsOffsetMapping = encode_as_offset_mapping
    EncodeAsPieces = encode_as_pieces
    EncodeWithOffsets = encode_with_offsets
    EosId = eos_id
    # class methods stored bound, as plain attributes
    FromFile: ClassVar[Callable[..., SentencePieceProcessor]]
    FromProto: ClassVar[Callable[..., SentencePieceProcessor]]
    GetPieceSize = get_piece_size
    GetScore = get_score
    IsByte = is_byte
    IsControl = is_control
    IsUnknown = is_unknown
    IsUnused = is_unused
    Load = load
    LoadFromFile = load_from_file
    LoadFromSerializedProto = load_from_serialized_proto
    Normalize = normalize
    EncodeToArrays = encode_to_arrays
    PadId = pad_id
    PieceSize = get_piece_size
    SampleEncodeAsIds = sample_encode_as_ids
    SampleEncodeAsPieces = sample_encode_as_pieces
    SerializedModelProto = serialized_model_proto
    UnkId = unk_id
    VocabSize = get_piece_size
    IdToPiece = id_to_piece
    PieceToId = piece_to_id
    Tokenize = encode
    Detokenize = decode
    DecodeIdsAsProto = decode_ids_as_proto
    DecodePiecesAsProto = decode_pieces_as_proto
    EncodeAsNumpy = encode_as_numpy
    EncodeAsProto = encode_as_proto
    SampleEncodeAsNumpy = sample_encode_as_numpy
    SampleEncodeAsProto = sample_encode_as_proto
    ParallelEncode = parallel_encode
    ParallelEncodeAsIds = parallel_encode_as_ids
    ParallelEncodeAsPieces = parallel_encode_as_pieces
    ParallelEncodeAsNumpy = parallel_encode_as_numpy
    ParallelEncodeAsProto = parallel_encode_as_proto
    NBestEncode = nbest_encode
    NBestEncodeAsPieces = nbest_encode_as_pieces
    NBestEncodeAsIds = nbest_encode_as_ids
    NBestEncodeAsNumpy = nbest_encode_as_numpy
    NBestEncodeAsProto = nbest_encode_as_proto
    NBestEncodeAsSerializedProto = nbest_encode_as_serialized_proto
    SampleEncodeAndScore = sample_encode_and_score
    SampleEncodeAndScoreAsPieces = sample_encode_and_score_as_pieces
    SampleEncodeAndScoreAsIds = sample_encode_and_score_as_ids
    SampleEncodeAndScoreAsSerializedProto = sample_encode_and_score_as_serialized_proto
    CalculateEntropy = calculate_entropy

def _wrap(seq: list[Any], reverse: bool, bos: Any, eos: Any) -> list[Any]: ...
def _numpy_ids(buf: Any) -> Any: ...
def _offset_mapping(data: bytes, ids: Any, pieces: Any, spans: Any, return_bytes: bool) -> Any: ...
def _add_camel_case(cls: type) -> None: ...
