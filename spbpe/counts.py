"""Word counts: train on text counted anywhere, in any number of pieces.

    >>> import spbpe
    >>> a = spbpe.count_words(["hello world"], split_digits=True)
    >>> b = spbpe.count_words(["hello there"], split_digits=True)
    >>> c = spbpe.merge_counts(a, b)
    >>> c["\u2581hello"]
    2
    >>> spbpe.train_from_counts(c, model_prefix="m", vocab_size=30)  # doctest: +SKIP

The trainer reads nothing but a table of distinct words and their counts:
each sentence is normalized, its meta pieces are cut out, it is split into
words (at U+2581 as the split options say) and every word's count grows by
the sentence's frequency.  BPE never merges across two words, and the
character counts that ``character_coverage`` needs are the sums over the
words (every character of a normalized sentence, the dummy-prefix U+2581
included, lands in exactly one word; a cut-out meta piece becomes U+001F in
its word and is counted as the whole trainer counts it).  So counts of any
shards, added up, train exactly the BPE model the whole text trains.  (Not
so for unigram: sentencepiece's unigram trainer reads whole sentences, and
spm_train itself trains another unigram model on the word-count tsv than on
the text, so train_from_counts refuses model types other than bpe.)

What belongs where:

* ``count_words`` takes the options that decide the words (the *counting
  options*: normalization, ``max_sentence_length`` -- applied to raw
  sentences here, as the trainer does --, the whitespace and delimiter
  options, the meta pieces and ``byte_fallback``) and remembers them;
  ``train_from_counts`` trains with them and refuses a different value.
* ``input_sentence_size`` (sampling) is refused on both sides: a sample
  drawn shard by shard is not the sample of the whole, so sample the lines
  before counting.
* ``WordCounts.write_tsv`` writes sentencepiece's ``--input_format=tsv``
  (``sentence<TAB>count``, each line a text that normalizes and splits back
  to exactly one word), so ``spm_train --input_format=tsv`` with the same
  options is an oracle; it checks that by reading the file back.
"""

import sys
from array import array
from itertools import islice
from typing import Any, Dict, Iterable, Iterator, List, Optional, Tuple, Union

from ._proto.trainer_spec import DEFAULTS, parse_args, to_text
from .errors import TrainerError

__all__ = ["WordCounts", "count_words", "merge_counts", "train_from_counts", "check_model_type", "COUNT_OPTIONS"]

# The options that decide the word table (the rest only decide training).
COUNT_OPTIONS = (
    "normalization_rule_name",
    "normalization_rule_tsv",
    "add_dummy_prefix",
    "remove_extra_whitespaces",
    "escape_whitespaces",
    "max_sentence_length",
    "split_by_whitespace",
    "treat_whitespace_as_suffix",
    "allow_whitespace_only_pieces",
    "pretokenization_delimiter",
    "control_symbols",
    "user_defined_symbols",
    "unk_id",
    "bos_id",
    "eos_id",
    "pad_id",
    "unk_piece",
    "bos_piece",
    "eos_piece",
    "pad_piece",
    "byte_fallback",
)
_INPUT_OPTIONS = ("input", "input_format", "sentence_iterator", "sentence_reader")
_SPACE = "\u2581"
_BOUNDARY = "\x1f"
_BLOCK_LINES = 4096


def _text(options: Dict[str, Any]) -> Dict[str, str]:
    """Options as the trainer's text form, checked for unknown names."""
    if "normalizer" in options:
        raise TrainerError("normalizer= is not supported for word counts: pass normalization_rule_name/_tsv")
    text = {k: to_text(v) for k, v in options.items()}
    parse_args(text)  # unknown names and bad values fail here, as in train
    ts, _ = parse_args({k: v for k, v in text.items() if k == "input_sentence_size"})
    if ts.get("input_sentence_size", 0) > 0:
        raise TrainerError(
            "input_sentence_size cannot be used with word counts: a sample drawn shard by shard is not "
            "the sample of the whole; sample the lines before counting them (input_sentence_size)"
        )
    return text


def _resolved(text: Dict[str, str]) -> Tuple[Tuple[str, Any], ...]:
    """The counting options' values, defaults filled in (for comparisons)."""
    ts, ns = parse_args({k: v for k, v in text.items() if k in COUNT_OPTIONS})
    out = []
    for k in COUNT_OPTIONS:
        if k == "normalization_rule_name":
            v = ns.get("name") or "nmt_nfkc"
        elif k in ns:
            v = ns[k]
        else:
            v = ts.get(k, DEFAULTS[k])
        out.append((k, tuple(v) if isinstance(v, list) else v))
    return tuple(out)


def _le(a: "array[int]") -> bytes:
    if sys.byteorder == "big":
        a = array(a.typecode, a)
        a.byteswap()
    return a.tobytes()


def _from_le(typecode: str, b: bytes) -> "array[int]":
    a = array(typecode)
    a.frombytes(b)
    if sys.byteorder == "big":
        a.byteswap()
    return a


class WordCounts:
    """Distinct normalized words with their counts, and the counting options
    they were made with.  Sorted by bytes, so equal inputs give equal
    objects (and equal pickles) in any order or sharding.  Words hold U+2581
    where the text had spaces and U+001F where a meta piece was cut out.

    Compact: the words back to back in one bytes object, lengths and counts
    in two arrays; pickles as those bytes.
    """

    __slots__ = ("_words", "_lens", "_counts", "_options")

    def __init__(self, words: bytes, lens: "array[int]", counts: "array[int]", options: Dict[str, str]) -> None:
        if len(lens) != len(counts) or sum(lens) != len(words):
            raise ValueError("inconsistent WordCounts arrays")
        self._words = bytes(words)
        self._lens = lens
        self._counts = counts
        self._options = dict(options)

    @property
    def options(self) -> Dict[str, str]:
        """The counting options given to count_words (text form)."""
        return dict(self._options)

    def __len__(self) -> int:
        return len(self._lens)

    @property
    def total(self) -> int:
        """Sum of all counts (word occurrences)."""
        return sum(self._counts)

    @property
    def nbytes(self) -> int:
        return len(self._words) + 4 * len(self._lens) + 8 * len(self._counts)

    def items(self) -> Iterator[Tuple[str, int]]:
        """(word, count) in byte order."""
        off = 0
        w = self._words
        for n, c in zip(self._lens, self._counts):
            yield w[off : off + n].decode("utf-8"), c
            off += n

    def to_dict(self) -> Dict[str, int]:
        return dict(self.items())

    def __getitem__(self, word: str) -> int:
        for w, c in self.items():
            if w == word:
                return c
        raise KeyError(word)

    def arrays(self) -> Tuple[bytes, "array[int]", "array[int]"]:
        """(words back to back, lengths array('I'), counts array('q'))."""
        return self._words, self._lens, self._counts

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, WordCounts):
            return NotImplemented
        return (
            self._words == other._words
            and self._lens == other._lens
            and self._counts == other._counts
            and _resolved(self._options) == _resolved(other._options)
        )

    def __hash__(self) -> int:
        return hash((self._words, self._lens.tobytes(), self._counts.tobytes()))

    def __repr__(self) -> str:
        return f"<WordCounts {len(self)} words, {self.total} occurrences, options={self._options}>"

    def __reduce__(self) -> Tuple[Any, Tuple[Any, ...]]:
        return (_restore, (self._words, _le(self._lens), _le(self._counts), tuple(sorted(self._options.items()))))

    # ------------------------------------------------------------- tsv

    def _tsv_texts(self) -> Iterator[str]:
        for line in self._tsv_lines():
            yield line[: line.rindex("\t")]

    def _tsv_lines(self) -> Iterator[str]:
        o = dict(_resolved(self._options))
        cut = _cut_piece(o)
        strip = o["add_dummy_prefix"]
        suffix = o["treat_whitespace_as_suffix"]
        for w, c in self.items():
            s = w
            if strip and not suffix and s.startswith(_SPACE):
                s = s[1:]
            elif strip and suffix and s.endswith(_SPACE):
                s = s[:-1]
            s = s.replace(_SPACE, " ")
            if _BOUNDARY in s:
                if cut is None:
                    raise ValueError(f"word {w!r} holds a cut-out boundary and no meta piece can stand for it")
                s = s.replace(_BOUNDARY, cut)
            if "\t" in s or "\n" in s or "\r" in s:
                raise ValueError(f"word {w!r} cannot be written to a tsv line")
            yield f"{s}\t{c}\n"

    def write_tsv(self, path: str, verify: bool = True) -> None:
        """Write sentencepiece's ``--input_format=tsv``: one line per word,
        ``text<TAB>count``, where text normalizes (with these counting
        options) and splits back to exactly that word: U+2581 written as a
        space, the dummy-prefix U+2581 left to the normalizer, U+001F as a
        meta piece (the unk piece), which the trainer cuts out again.

        Args:
            verify: read the file back with read_tsv and compare (raises
                ValueError when some word has no such text under these
                options, e.g. a leading U+2581 without add_dummy_prefix
                when remove_extra_whitespaces strips it).
        """
        longest = 0
        with open(path, "w", encoding="utf-8", errors="surrogateescape", newline="") as f:
            for line in self._tsv_lines():
                f.write(line)
                longest = max(longest, len(line))
        limit = dict(_resolved(self._options))["max_sentence_length"]
        if longest > limit // 4 and max(len(s.encode("utf-8", "surrogateescape")) for s in self._tsv_texts()) > limit:
            raise ValueError(
                f"{path}: a word (normalization can lengthen text) is longer than max_sentence_length={limit} "
                "bytes, and spm_train drops such tsv lines: train on this file with a larger "
                "max_sentence_length (only the recorded value then differs)"
            )
        if verify:
            back = WordCounts.read_tsv(path, **self._options)
            if back != self:
                mine, theirs = self.to_dict(), back.to_dict()
                bad = sorted(set(mine.items()) ^ set(theirs.items()))[:3]
                raise ValueError(f"{path}: these options cannot write every word as a tsv line (e.g. {bad})")

    @classmethod
    def read_tsv(cls, path: str, **options: Any) -> "WordCounts":
        """Count a sentencepiece ``--input_format=tsv`` file (``text<TAB>count``
        per line): every text is a sentence with that frequency, counted with
        the given counting options, as spm_train reads it."""
        return count_words(None, input=path, input_format="tsv", **options)


def _restore(words: bytes, lens: bytes, counts: bytes, options: Tuple[Tuple[str, str], ...]) -> WordCounts:
    return WordCounts(words, _from_le("I", lens), _from_le("q", counts), dict(options))


def _cut_piece(o: Dict[str, Any]) -> Optional[str]:
    """A meta piece the trainer cuts out of a sentence (any gives U+001F)."""
    for name in ("unk", "bos", "eos", "pad"):
        if o[name + "_id"] >= 0:
            return str(o[name + "_piece"])
    syms = list(o["control_symbols"]) + list(o["user_defined_symbols"])
    if syms:
        return str(syms[0])
    return "<0x00>" if o["byte_fallback"] else None


class _Sink:
    def write(self, data: bytes) -> None:  # count_words never trains
        pass


def _blocks(lines: Iterable[Union[str, bytes]]) -> Iterator[Tuple[bool, bytes]]:
    """(is_block, data): blocks of '\\n'-joined lines, or one sentence that
    holds a '\\n' itself (fed alone, as sentence_iterator feeds it)."""
    it = iter(lines)
    while True:
        chunk: List[Union[str, bytes]] = list(islice(it, _BLOCK_LINES))
        if not chunk:
            return
        if all(type(s) is str for s in chunk):
            joined = "\n".join(chunk)  # type: ignore[arg-type]
            if joined.count("\n") == len(chunk) - 1:
                yield True, joined.encode("utf-8", "surrogateescape")
                continue
        plain: List[bytes] = []
        for s in chunk:
            b = s if isinstance(s, bytes) else str(s).encode("utf-8", "surrogateescape")
            if b"\n" in b:
                if plain:
                    yield True, b"\n".join(plain)
                    plain = []
                yield False, b
            else:
                plain.append(b)
        if plain:
            yield True, b"\n".join(plain)


def count_words(lines: Optional[Iterable[Union[str, bytes]]] = None, **options: Any) -> WordCounts:
    """Count the words of sentences as SentencePieceTrainer.train would.

    Args:
        lines: sentences (str or bytes; one item is one sentence, as with
            sentence_iterator), or None to read ``input=`` files (text or,
            with ``input_format="tsv"``, ``text<TAB>count``).
        **options: trainer options.  The counting options (COUNT_OPTIONS)
            decide the words and are kept in the result; ``num_threads``
            and ``vocab_size`` are used; other training options are checked
            and ignored, so one option dict can serve both calls.

    Raises:
        TrainerError: an unknown option, input_sentence_size, normalizer=.
    """
    text = _text(options)
    extra = {k: v for k, v in text.items() if k in _INPUT_OPTIONS or k in ("num_threads", "vocab_size")}
    if lines is not None and ("input" in extra or "sentence_iterator" in extra):
        raise TrainerError("count_words takes lines or input=, not both")
    if lines is None and "input" not in extra:
        raise TrainerError("count_words needs lines or input=")
    kept = {k: v for k, v in text.items() if k in COUNT_OPTIONS}
    out: List[WordCounts] = []

    def hook(native: Any, o: Dict[str, Any]) -> bool:
        if lines is None:
            from ._core.native_trainer import iter_blocks
            from .trainer import _feed

            _feed(native, o, None, 0, iter_blocks, native.add_sentence)
        else:
            for is_block, data in _blocks(lines):
                if is_block:
                    native.add_lines(data)
                else:
                    native.add_sentence(data, 1)
        words, lens, counts = native.count_export()
        out.append(WordCounts(words, lens, counts, kept))
        return False

    from .trainer import SentencePieceTrainer

    kwargs: Dict[str, Any] = dict(kept)
    kwargs.update(extra)
    kwargs["model_type"] = "bpe"
    SentencePieceTrainer.train(model_writer=_Sink(), _counts_hook=hook, **kwargs)
    return out[0]


def _table() -> Any:
    """A trainer used only as a word table (identity normalizer)."""
    from ._core.native_trainer import NativeTrainer

    o = dict(DEFAULTS)
    o["charsmap"] = b""
    o["num_threads"] = 1
    return NativeTrainer(o)


def merge_counts(a: WordCounts, b: WordCounts, *more: WordCounts) -> WordCounts:
    """The counts of a and b (and more) together: word-wise sums.
    Associative and commutative; the counting options must agree.

    Raises:
        TrainerError: counts made with different counting options.
    """
    parts = (a, b) + more
    want = _resolved(a._options)
    for p in parts[1:]:
        if _resolved(p._options) != want:
            raise TrainerError(f"cannot merge word counts made with different options: {a._options} vs {p._options}")
    t = _table()
    try:
        for p in parts:
            t.add_counts(p._words, p._lens, p._counts)
        words, lens, counts = t.count_export()
    finally:
        t.close()
    return WordCounts(words, lens, counts, a._options)


def check_model_type(options: Dict[str, Any]) -> None:
    """Refuse what word counts cannot train: only BPE reads nothing but the
    word table.  sentencepiece's unigram trainer reads whole sentences (its
    seed pieces come from a suffix array over them, in input order): the
    official spm_train gives a different unigram model on the word-count tsv
    than on the text, so counts are not a sufficient statistic there."""
    ts, _ = parse_args({k: to_text(v) for k, v in options.items() if k == "model_type"})
    if ts.get("model_type", DEFAULTS["model_type"]) != 2:
        raise TrainerError(
            "word counts train model_type=bpe only (pass model_type='bpe'; sentencepiece's default is unigram, "
            "whose trainer reads whole sentences, so word counts do not determine its model: train it on the text)"
        )


def train_from_counts(counts: WordCounts, **options: Any) -> Optional[bool]:
    """SentencePieceTrainer.train on word counts instead of text: the same
    model as training on the text they were counted from with the same
    options (only the trainer spec's input differs).  The counting options
    come from the counts; giving one again with another value is an error.

    Raises:
        TrainerError: a counting option that differs, input=, input_format=,
            sentence_iterator= or input_sentence_size; a model_type other than
            bpe (see check_model_type); whatever train raises.
    """
    for k in _INPUT_OPTIONS:
        if k in options:
            raise TrainerError(f"train_from_counts takes its input from the counts, not {k}=")
    check_model_type(options)
    text = _text(options)
    mine = dict(_resolved(counts._options))
    theirs = dict(_resolved(text))
    for k in COUNT_OPTIONS:
        if k in text and mine[k] != theirs[k]:
            raise TrainerError(f"{k}={text[k]!r} differs from the value the words were counted with ({mine[k]!r})")
    kwargs: Dict[str, Any] = dict(counts._options)
    kwargs.update(options)

    def hook(native: Any, o: Dict[str, Any]) -> bool:
        native.add_counts(counts._words, counts._lens, counts._counts)
        return True

    from .trainer import SentencePieceTrainer

    return SentencePieceTrainer.train(_counts_hook=hook, **kwargs)
