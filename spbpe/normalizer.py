"""SentencePieceNormalizer: sentencepiece 0.2.3's standalone normalizer.

    >>> from spbpe import SentencePieceNormalizer
    >>> SentencePieceNormalizer(rule_name="nmt_nfkc").normalize("ＡＢＣ  ﬁ")
    '▁ABC▁fi'

It applies a NormalizerSpec (a precompiled_charsmap and the flags
``add_dummy_prefix``, ``remove_extra_whitespaces``, ``escape_whitespaces``)
exactly as sentencepiece's ``SentencePieceNormalizer`` does, through the same
C normalizer the processor uses.  As in sentencepiece, loading a ``.model``
keeps only its ``normalizer_spec``: the model's user-defined symbols and its
``treat_whitespace_as_suffix`` are not applied here (the processor's
``normalize`` applies them).

Failures raise spbpe exceptions that are also the ``RuntimeError``
sentencepiece raises (:class:`ModelFileNotFoundError` for a missing file, also
a ``FileNotFoundError``; :class:`ModelFormatError` for bytes that are not a
model or spec; :class:`ArgumentCheckError` for an unknown rule name), except
:class:`InputError` for ``decompile`` without a charsmap and
:class:`CharsMapError` for bad rules (``ValueError``).
"""

from __future__ import annotations

import os
from typing import Any, List, Optional, Sequence, Tuple, Union

from ._api.files import read_file
from ._charsmap.builder import builtin_charsmap, compile_charsmap, decompile_charsmap, load_rule_tsv
from ._core.native import NativeNormalizer
from ._core.text import normalize_with
from .errors import (
    ArgumentCheckError,
    CharsMapError,
    InputError,
    ModelFormatError,
)

__all__ = ["SentencePieceNormalizer"]


def _builtin_charsmap(name: str) -> bytes:
    try:
        return builtin_charsmap(name)
    except CharsMapError as e:
        raise ArgumentCheckError(f"NOT_FOUND: {e}") from None  # sentencepiece: a RuntimeError


def _read(path: Any) -> bytes:
    return read_file(path)


def _parse_model(data: bytes) -> Any:
    from google.protobuf.message import DecodeError

    from ._proto import model_pb2

    model = model_pb2.ModelProto()
    try:
        model.ParseFromString(bytes(data))
    except DecodeError as e:
        raise ModelFormatError(f"cannot parse the model proto: {e}") from None
    return model


def _map_rules(norm_map: Any) -> dict:
    """A norm_map of (source, target) pairs (str, or UTF-8 bytes) as rules,
    with sentencepiece's LoadFromMap checks (ValueError, absl's text)."""
    rules: dict = {}
    for item in norm_map:
        if not (isinstance(item, (tuple, list)) and len(item) == 2):
            raise TypeError("norm_map must be a sequence of (source, target) pairs of str")
        src, trg = (x.decode("utf-8") if isinstance(x, bytes) else x for x in item)
        if not isinstance(src, str) or not isinstance(trg, str):
            raise TypeError("norm_map must be a sequence of (source, target) pairs of str")
        if not src:
            raise InputError("INVALID_ARGUMENT: Source string cannot be empty.")
        if src == trg:
            raise InputError("INVALID_ARGUMENT: Identity conversion is not allowed.")
        key = tuple(map(ord, src))
        if key in rules:
            raise InputError(f"INVALID_ARGUMENT: Duplicate source string in map: {src}")
        rules[key] = tuple(map(ord, trg))
    return rules


class SentencePieceNormalizer:
    """Normalize text as a SentencePiece model (or rule set) does, without a
    vocabulary.  Exactly one source: a model (file, bytes or a ModelProto), a
    NormalizerSpec, a rule TSV file, a built-in rule name, or a sequence of
    ``(source, target)`` string pairs.  The three flags, when given,
    override the loaded spec's."""

    def __init__(
        self,
        model_file: Optional[Union[str, os.PathLike]] = None,
        model_proto: Any = None,
        normalizer_spec: Any = None,
        rule_tsv: Optional[Union[str, os.PathLike]] = None,
        rule_name: Optional[str] = None,
        norm_map: Optional[Sequence[Tuple[str, str]]] = None,
        add_dummy_prefix: Optional[bool] = None,
        escape_whitespaces: Optional[bool] = None,
        remove_extra_whitespaces: Optional[bool] = None,
    ):
        from ._proto import model_pb2

        spec = model_pb2.NormalizerSpec()
        if model_file:
            spec.CopyFrom(_parse_model(_read(model_file)).normalizer_spec)
        elif model_proto:
            if hasattr(model_proto, "SerializeToString"):
                model_proto = model_proto.SerializeToString()
            spec.CopyFrom(_parse_model(model_proto).normalizer_spec)
        elif normalizer_spec:
            if hasattr(normalizer_spec, "SerializeToString"):
                normalizer_spec = normalizer_spec.SerializeToString()
            try:
                spec.ParseFromString(bytes(normalizer_spec))
            except Exception as e:  # protobuf's DecodeError
                raise ModelFormatError(f"cannot parse the normalizer spec: {e}") from None
        elif rule_tsv:
            path = os.fsdecode(os.fspath(rule_tsv))
            _read(path)  # a missing file: sentencepiece's NOT_FOUND
            spec.normalization_rule_tsv = path
            spec.precompiled_charsmap = compile_charsmap(load_rule_tsv(path))
            spec.name = "user_defined"
        elif rule_name:
            spec.name = rule_name
            spec.precompiled_charsmap = _builtin_charsmap(rule_name)
        elif norm_map:
            spec.precompiled_charsmap = compile_charsmap(_map_rules(norm_map))
        else:
            raise ValueError("no model is specified")
        if add_dummy_prefix is not None:
            spec.add_dummy_prefix = bool(add_dummy_prefix)
        if escape_whitespaces is not None:
            spec.escape_whitespaces = bool(escape_whitespaces)
        if remove_extra_whitespaces is not None:
            spec.remove_extra_whitespaces = bool(remove_extra_whitespaces)
        self._load(spec)

    def _load(self, spec: Any) -> None:
        self._spec = spec
        self._native = NativeNormalizer(
            spec.precompiled_charsmap, spec.add_dummy_prefix, spec.remove_extra_whitespaces, spec.escape_whitespaces
        )

    def normalize(self, input: Any, with_offsets: Optional[bool] = None) -> Any:
        """The normalized text; with offsets, also the position in the input
        of every normalized character plus one end sentinel (characters for
        str input, bytes for bytes input).  A list gives a list.

        >>> SentencePieceNormalizer(rule_name="identity").normalize("a b", with_offsets=True)
        ('▁a▁b', [0, 0, 1, 2, 3])
        """
        if isinstance(input, list):
            return [self.normalize(x, with_offsets) for x in input]
        if not isinstance(input, (str, bytes)):
            raise TypeError("Input must be str or bytes")
        return normalize_with(self._native.normalize, input, bool(with_offsets))

    def decompile(self) -> List[Tuple[str, str]]:
        """Every rule of the charsmap as (source, target) strings, in
        code-point order of the source.

        Raises:
            InputError: the spec has no charsmap (the identity rule).
        """
        if not self._spec.precompiled_charsmap:
            raise InputError("No precompiled charsmap found in model.")
        rules = decompile_charsmap(self._spec.precompiled_charsmap)
        return [("".join(map(chr, k)), "".join(map(chr, v))) for k, v in sorted(rules.items())]

    def serialized_normalizer_spec(self) -> bytes:
        return self._spec.SerializeToString()

    def serialized_model_proto(self) -> bytes:
        from ._proto import model_pb2

        model = model_pb2.ModelProto()
        model.normalizer_spec.CopyFrom(self._spec)
        return model.SerializeToString()

    def __getstate__(self) -> bytes:
        return self.serialized_model_proto()

    def __setstate__(self, state: bytes) -> None:
        self._load(_parse_model(state).normalizer_spec)

    Normalize = normalize
    Decompile = decompile
