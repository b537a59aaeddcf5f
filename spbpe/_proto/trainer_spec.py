"""sentencepiece's training options: parsing and the ModelProto bytes.

Options arrive as sentencepiece takes them: keyword arguments (every value
turned into a string, lists into one CSV line) or one "--key=value ..."
string.  Each key is parsed with the rules of sentencepiece's SetProtoField
(absl SimpleAtoi / SimpleAtob / SimpleAtod, upper-cased enums, CSV lists) and
remembered in the order of the proto fields, so the written model carries
exactly the fields the caller set, as sentencepiece's does.
"""

import csv
import io
import re
import struct
from typing import Any, Dict, List, Tuple

from ..errors import TrainerError, TrainerRefusedError
from .wire import key, length_delimited, varint

__all__ = ["TRAINER_FIELDS", "NORMALIZER_FIELDS", "parse_args", "to_text", "encode_model"]


# name -> (field number, kind).  Kinds: str, bytes, int32, uint64, float,
# bool, enum, rstr (repeated string).  From sentencepiece_model.proto (0.2.3).
TRAINER_FIELDS: Dict[str, Tuple[int, str]] = {
    "input": (1, "rstr"),
    "model_prefix": (2, "str"),
    "model_type": (3, "enum"),
    "vocab_size": (4, "int32"),
    "input_format": (7, "str"),
    "character_coverage": (10, "float"),
    "input_sentence_size": (11, "uint64"),
    "seed_sentencepiece_size": (14, "int32"),
    "shrinking_factor": (15, "float"),
    "num_threads": (16, "int32"),
    "num_sub_iterations": (17, "int32"),
    "max_sentence_length": (18, "int32"),
    "shuffle_input_sentence": (19, "bool"),
    "max_sentencepiece_length": (20, "int32"),
    "split_by_unicode_script": (21, "bool"),
    "split_by_whitespace": (22, "bool"),
    "split_by_number": (23, "bool"),
    "treat_whitespace_as_suffix": (24, "bool"),
    "split_digits": (25, "bool"),
    "allow_whitespace_only_pieces": (26, "bool"),
    "control_symbols": (30, "rstr"),
    "user_defined_symbols": (31, "rstr"),
    "vocabulary_output_piece_score": (32, "bool"),
    "hard_vocab_limit": (33, "bool"),
    "use_all_vocab": (34, "bool"),
    "byte_fallback": (35, "bool"),
    "required_chars": (36, "str"),
    "unk_id": (40, "int32"),
    "bos_id": (41, "int32"),
    "eos_id": (42, "int32"),
    "pad_id": (43, "int32"),
    "unk_surface": (44, "str"),
    "unk_piece": (45, "str"),
    "bos_piece": (46, "str"),
    "eos_piece": (47, "str"),
    "pad_piece": (48, "str"),
    "pretokenization_delimiter": (53, "str"),
    "seed_sentencepieces_file": (54, "str"),
    "auto_character_coverage": (55, "bool"),
}
NORMALIZER_FIELDS: Dict[str, Tuple[int, str]] = {
    "name": (1, "str"),
    "precompiled_charsmap": (2, "bytes"),
    "add_dummy_prefix": (3, "bool"),
    "remove_extra_whitespaces": (4, "bool"),
    "escape_whitespaces": (5, "bool"),
    "normalization_rule_tsv": (6, "str"),
}
# Accepted and dropped by 0.2.3 (deprecated fields).
DEPRECATED = {
    "accept_language",
    "self_test_sample_size",
    "mining_sentence_size",
    "training_sentence_size",
    "train_extremely_large_corpus",
    "enable_differential_privacy",
    "differential_privacy_noise_level",
    "differential_privacy_clipping_threshold",
}
MODEL_TYPES = {"UNIGRAM": 1, "BPE": 2, "WORD": 3, "CHAR": 4}
DEFAULTS: Dict[str, Any] = {
    "model_type": 1,
    "vocab_size": 8000,
    "character_coverage": struct.unpack("<f", struct.pack("<f", 0.9995))[0],
    "input_sentence_size": 0,
    "shuffle_input_sentence": True,
    "max_sentence_length": 4192,
    "num_threads": 16,
    "num_sub_iterations": 2,
    "max_sentencepiece_length": 16,
    "shrinking_factor": struct.unpack("<f", struct.pack("<f", 0.75))[0],
    "seed_sentencepiece_size": 1000000,
    "split_by_unicode_script": True,
    "split_by_number": True,
    "split_by_whitespace": True,
    "treat_whitespace_as_suffix": False,
    "allow_whitespace_only_pieces": False,
    "split_digits": False,
    "pretokenization_delimiter": "",
    "byte_fallback": False,
    "vocabulary_output_piece_score": True,
    "hard_vocab_limit": True,
    "use_all_vocab": False,
    "unk_id": 0,
    "bos_id": 1,
    "eos_id": 2,
    "pad_id": -1,
    "unk_piece": "<unk>",
    "bos_piece": "<s>",
    "eos_piece": "</s>",
    "pad_piece": "<pad>",
    "unk_surface": " \u2047 ",
    "required_chars": "",
    "input": [],
    "control_symbols": [],
    "user_defined_symbols": [],
    "input_format": "",
    "model_prefix": "",
    "seed_sentencepieces_file": "",
    "auto_character_coverage": False,
    "name": "",
    "add_dummy_prefix": True,
    "remove_extra_whitespaces": True,
    "escape_whitespaces": True,
    "normalization_rule_tsv": "",
}

_INT = re.compile(r"^\s*[+-]?[0-9]+\s*$")


def split_csv(text: str) -> List[str]:
    """sentencepiece's StrSplitAsCSV: commas, "..." quoting, "" escapes."""
    out: List[str] = []
    i, n = 0, len(text)
    while i < n:
        if text[i] == '"':
            i += 1
            buf = []
            while i < n:
                if text[i] == '"':
                    i += 1
                    if i >= n or text[i] != '"':
                        break
                buf.append(text[i])
                i += 1
            j = text.find(",", i)
            i = n if j < 0 else j
            out.append("".join(buf).split("\0")[0])
        else:
            j = text.find(",", i)
            j = n if j < 0 else j
            out.append(text[i:j].split("\0")[0])
            i = j
        i += 1
    return out


def _parse(key: str, kind: str, value: str) -> Any:
    bad = TrainerRefusedError(f"cannot parse {key}={value!r}")
    if kind in ("str",):
        return value
    if kind == "bytes":
        return value.encode("utf-8", "surrogateescape")
    if kind == "rstr":
        return split_csv(value)
    if kind == "bool":
        word = value.lower() if value else "true"  # absl's SimpleAtob: no surrounding whitespace
        if word in ("true", "t", "yes", "y", "1"):
            return True
        if word in ("false", "f", "no", "n", "0"):
            return False
        raise bad
    if kind in ("int32", "uint64"):
        if not _INT.match(value):
            raise bad
        n = int(value)
        lo, hi = (-(1 << 31), (1 << 31) - 1) if kind == "int32" else (0, (1 << 64) - 1)
        if not lo <= n <= hi:
            raise bad
        return n
    if kind == "float":
        try:
            f = float(value)
        except ValueError:
            raise bad from None
        return struct.unpack("<f", struct.pack("<f", f))[0]
    if kind == "enum":
        v = MODEL_TYPES.get(value.upper())
        if v is None:
            raise TrainerError(f'"{value}" is not found in TrainerSpec ({key})')
        return v
    raise AssertionError(kind)


def to_text(value: Any) -> str:
    """How sentencepiece's Python wrapper turns a keyword value into text."""
    if isinstance(value, list):
        f = io.StringIO()
        csv.writer(f, lineterminator="").writerow([str(v) for v in value])
        return f.getvalue()
    return str(value)


def split_command(args: str) -> Dict[str, str]:
    """The "--key=value --key2=value2" form; the first occurrence of a key wins."""
    out: Dict[str, str] = {}
    for arg in args.split(" "):
        if arg.startswith("--"):
            arg = arg[2:]
        key, _, value = arg.partition("=")
        out.setdefault(key, value)
    return out


def parse_args(kwargs: Dict[str, str]) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """Text options -> (trainer fields set, normalizer fields set)."""
    trainer: Dict[str, Any] = {}
    normalizer: Dict[str, Any] = {}
    for option, value in kwargs.items():
        if option == "normalization_rule_name":
            normalizer["name"] = value
        elif option == "denormalization_rule_tsv":
            trainer[option] = value  # taken out by the trainer (denormalizer_spec)
        elif option == "minloglevel":
            if not _INT.match(value):
                raise TrainerError(f"cannot parse minloglevel={value!r}")
        elif option in DEPRECATED:
            continue
        elif option in TRAINER_FIELDS:
            trainer[option] = _parse(option, TRAINER_FIELDS[option][1], value)
        elif option in NORMALIZER_FIELDS:
            normalizer[option] = _parse(option, NORMALIZER_FIELDS[option][1], value)
        else:
            raise TrainerError(f"unknown training option: {option}")
    return trainer, normalizer


# ------------------------------------------------------------ proto bytes


def _message(values: Dict[str, Any], fields: Dict[str, Tuple[int, str]]) -> bytes:
    out = bytearray()
    for name in sorted(values, key=lambda k: fields[k][0]):
        num, kind = fields[name]
        v = values[name]
        if kind == "rstr":
            for s in v:
                out += length_delimited(num, s.encode("utf-8", "surrogateescape"))
        elif kind == "str":
            out += length_delimited(num, v.encode("utf-8", "surrogateescape"))
        elif kind == "bytes":
            out += length_delimited(num, v)
        elif kind == "float":
            out += key(num, 5) + struct.pack("<f", v)
        else:  # int32, uint64, bool, enum
            out += key(num, 0) + varint(int(v))
    return bytes(out)


def encode_model(pieces: bytes, trainer: Dict[str, Any], normalizer: Dict[str, Any]) -> bytes:
    """A ModelProto as sentencepiece's SerializeAsString writes it, from its
    already serialized pieces (the trainer's C core writes those)."""
    return (
        pieces
        + length_delimited(2, _message(trainer, TRAINER_FIELDS))
        + length_delimited(3, _message(normalizer, NORMALIZER_FIELDS))
    )


def encode_denormalizer(charsmap: bytes, rule_tsv: str) -> bytes:
    """ModelProto field 5 (denormalizer_spec) as sentencepiece writes it for
    --denormalization_rule_tsv; append it to encode_model's bytes."""
    spec = {
        "name": "user_defined",
        "precompiled_charsmap": charsmap,
        "add_dummy_prefix": False,
        "remove_extra_whitespaces": False,
        "escape_whitespaces": False,
        "normalization_rule_tsv": rule_tsv,
    }
    return length_delimited(5, _message(spec, NORMALIZER_FIELDS))
