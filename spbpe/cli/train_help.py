"""``spbpe train --help``: every trainer option with its default and a one-line meaning.

    >>> "--vocab_size=N" in train_help()
    True

The option names, kinds and defaults come from the trainer's own table
(:mod:`spbpe._proto.trainer_spec`: ``TRAINER_FIELDS``, ``NORMALIZER_FIELDS``,
``DEFAULTS``); this module adds only a group and a meaning per option, and
``tests/test_cli_help.py`` checks that the two name the same options, so the
help cannot drift from what the trainer accepts.  Groups follow the order in
which spm_train's flags are defined (src/spm_train_main.cc), its ``--help``
printing them as one list.
"""

from __future__ import annotations

import struct
from typing import Any, Dict, List, Tuple

from .._proto.trainer_spec import DEFAULTS, DEPRECATED, NORMALIZER_FIELDS, TRAINER_FIELDS

__all__ = ["GROUPS", "OPTIONS", "accepted_options", "train_help"]

GROUPS = [
    "input and output",
    "vocabulary",
    "sentences and sampling",
    "how pieces are cut",
    "symbols",
    "normalization",
    "special pieces and ids",
    "spbpe and logging",
]

# option -> (group index, meaning).  Defaults are not written here: they come from DEFAULTS.
OPTIONS: Dict[str, Tuple[int, str]] = {
    "input": (0, "comma-separated input files, one sentence per line (required)"),
    "input_format": (0, "'text' (one sentence per line) or 'tsv' (sentence<TAB>frequency)"),
    "model_prefix": (0, "write PREFIX.model and PREFIX.vocab (required)"),
    "model_type": (
        1,
        "unigram, bpe, word or char (spbpe train defaults to bpe; SentencePieceTrainer to unigram, as sentencepiece)",
    ),
    "vocab_size": (1, "number of pieces in the vocabulary, specials included"),
    "character_coverage": (1, "share of characters the vocabulary covers (rarer ones: unk or byte fallback)"),
    "auto_character_coverage": (1, "choose character_coverage from the data (needs byte_fallback)"),
    "byte_fallback": (1, "add the 256 byte pieces <0x00>..<0xFF> so unknown characters become bytes"),
    "vocabulary_output_piece_score": (1, "write scores in the .vocab file (else 0)"),
    "hard_vocab_limit": (1, "fail when vocab_size cannot be reached (false: keep what was found)"),
    "use_all_vocab": (1, "word/char only: every word or character becomes a piece (refused for BPE)"),
    "seed_sentencepiece_size": (1, "unigram only: size of the seed vocabulary"),
    "seed_sentencepieces_file": (1, "unigram only: file of seed pieces"),
    "shrinking_factor": (1, "unigram only: share of pieces kept in each pruning step"),
    "num_sub_iterations": (1, "unigram only: EM sub-iterations"),
    "input_sentence_size": (2, "use at most this many sentences, sampled (0 = all)"),
    "shuffle_input_sentence": (2, "sample input_sentence_size sentences at random (else the first ones)"),
    "max_sentence_length": (2, "skip sentences longer than this many bytes"),
    "num_threads": (2, "threads that read and count words (capped at the CPU count; same result for any)"),
    "max_sentencepiece_length": (3, "longest piece, in characters"),
    "split_by_unicode_script": (3, "no piece spans two Unicode scripts"),
    "split_by_number": (3, "no piece joins digits with other characters"),
    "split_by_whitespace": (3, "pieces do not cross whitespace (false: pieces may span words)"),
    "split_digits": (3, "every digit is a piece of its own"),
    "pretokenization_delimiter": (3, "split sentences at this string before training; it never joins a piece"),
    "treat_whitespace_as_suffix": (3, "put ▁ at the end of words instead of the start"),
    "allow_whitespace_only_pieces": (3, "allow pieces made only of ▁ (runs of spaces)"),
    "control_symbols": (4, "comma-separated control pieces (never made from text; decode to nothing)"),
    "user_defined_symbols": (4, "comma-separated pieces always kept whole wherever they appear"),
    "required_chars": (4, "characters always in the vocabulary, whatever their frequency"),
    "normalization_rule_name": (5, "nmt_nfkc, nfkc, nmt_nfkc_cf, nfkc_cf or identity"),
    "normalization_rule_tsv": (5, "file of normalization rules (source<TAB>target code points), instead of the name"),
    "denormalization_rule_tsv": (5, "file of rules applied when decoding"),
    "add_dummy_prefix": (5, "add a ▁ before the text, so the first word is like the others"),
    "remove_extra_whitespaces": (5, "drop leading, trailing and repeated spaces"),
    "escape_whitespaces": (5, "write spaces as ▁ (false is refused for BPE)"),
    "precompiled_charsmap": (5, "empty = the rule name's table (a non-empty value is refused)"),
    "unk_id": (6, "id of the unknown piece"),
    "bos_id": (6, "id of the beginning-of-sentence piece (-1: none)"),
    "eos_id": (6, "id of the end-of-sentence piece (-1: none)"),
    "pad_id": (6, "id of the padding piece (-1: none)"),
    "unk_piece": (6, "text of the unknown piece"),
    "bos_piece": (6, "text of the beginning-of-sentence piece"),
    "eos_piece": (6, "text of the end-of-sentence piece"),
    "pad_piece": (6, "text of the padding piece"),
    "unk_surface": (6, "text that decode gives for the unknown piece"),
    "seed": (7, "spbpe: seed of the input_sentence_size sampling (sentencepiece samples differently each run)"),
    "minloglevel": (7, "0 shows progress and log lines on stderr, 1 or more is quiet (like --quiet)"),
}

# Defaults of the options that are not fields of the trainer's proto tables.
_EXTRA_DEFAULTS: Dict[str, Any] = {
    "normalization_rule_name": "nmt_nfkc",
    "denormalization_rule_tsv": "",
    "seed": 12345678,
    "minloglevel": 0,
    "model_type": "bpe",  # spbpe train's default (sentencepiece's is unigram)
}
_KINDS = {"int32": "N", "uint64": "N", "float": "X", "bool": "BOOL", "enum": "TYPE", "rstr": "A,B,..."}


def accepted_options() -> Dict[str, str]:
    """Every option the trainer parses (deprecated ones aside) -> its kind, from the trainer's tables."""
    out = {k: kind for k, (_, kind) in TRAINER_FIELDS.items()}
    out.update({k: kind for k, (_, kind) in NORMALIZER_FIELDS.items() if k != "name"})
    out.update(normalization_rule_name="str", denormalization_rule_tsv="str", seed="int32", minloglevel="int32")
    return out


def _default(name: str) -> str:
    value = _EXTRA_DEFAULTS[name] if name in _EXTRA_DEFAULTS else DEFAULTS.get(name, "")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "%g" % struct.unpack("<f", struct.pack("<f", value))[0]
    if isinstance(value, list):
        return ",".join(value) if value else '""'
    text = str(value)
    return f'"{text}"' if text != text.strip() or not text else text


def train_help() -> str:
    """The text of ``spbpe train --help``."""
    kinds = accepted_options()
    out: List[str] = [
        "usage: spbpe train --input=FILES --model_prefix=PREFIX --vocab_size=N [option=value ...]",
        "",
        "Train a SentencePiece BPE model, as spm_train --model_type=bpe does (same .model and .vocab bytes).",
        "Options take --name=value or --name value; booleans also --name / --name=false.",
        "Progress goes to stderr (a bar on a terminal, log lines otherwise); --quiet or --minloglevel=1 hides it.",
    ]
    for g, title in enumerate(GROUPS):
        out += ["", f"{title}:"]
        for name in sorted((n for n, (gi, _) in OPTIONS.items() if gi == g), key=list(OPTIONS).index):
            flag = f"--{name}=" + _KINDS.get(kinds.get(name, "str"), "TEXT")
            out.append(f"  {flag:<36} {OPTIONS[name][1]} (default: {_default(name)})")
    out += [
        "  --quiet                              no progress display or log lines",
        "",
        f"accepted and ignored (deprecated in sentencepiece): {', '.join(sorted(DEPRECATED))}",
    ]
    return "\n".join(out)
