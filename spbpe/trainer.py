"""SentencePieceTrainer: `spm_train` of sentencepiece 0.2.3 for bpe and unigram.

    >>> from spbpe.trainer import SentencePieceTrainer
    >>> SentencePieceTrainer.train(input="botchan.txt", model_prefix="m",
    ...                            model_type="bpe", vocab_size=2000)  # doctest: +SKIP

Same options as sentencepiece (keyword arguments or one "--key=value ..."
string), same pieces, scores, types and order, and the same `.model` and
`.vocab` bytes.  Differences, on purpose:

* `input_sentence_size` with shuffling samples with a seeded reservoir
  (option `seed`, default 12345678): deterministic here, while sentencepiece
  0.2.3 salts its generator and samples differently on every run.
* `num_threads` is the number of threads that normalize sentences and count
  words (capped at the CPU count); the vocabulary is the same for any value.
* `logstream=` takes any object with ``write`` (sentencepiece needs a real
  file: it redirects file descriptor 2); spbpe writes its own, shorter
  progress log there (see spbpe._api.train_log), and nothing to stderr when no
  logstream is given.
* `normalizer=` (a SentencePieceNormalizer) trains with that normalizer's
  spec, refusing the normalizer options beside it, as sentencepiece does.
* unigram (the default model_type): the 0.2.3 wheel's model bit for bit
  (pieces, scores, order) on English, Japanese, Korean, Hindi, German,
  French, Greek, Arabic and Hebrew text, split_digits and repeated
  sentences included, any num_threads: the E-step and pruning keep
  sentencepiece's num_threads partition, so num_threads changes the model
  as it does in sentencepiece.
* `model_type` word and char train as sentencepiece's word and char
  trainers (same pieces, scores and order); `pretokenizer=` (a callable
  str -> list of str) is applied to each normalized sentence as
  sentencepiece 0.2.3 applies it (see `_pretokenizing`), for bpe and
  unigram (word and char refuse it, as in sentencepiece).
* Not supported yet (raise TrainerError naming the option):
  `seed_sentencepieces_file`, and a non-empty
  `precompiled_charsmap` option (an empty one means the rule name's table,
  as in sentencepiece).
"""

import os
import random
from typing import Any, Dict, Iterable, List, Optional, Tuple

from ._api.train_log import TrainLog
from ._proto.trainer_spec import DEFAULTS, encode_denormalizer, encode_model, parse_args, split_command, to_text
from .errors import CharsMapError, TrainerError, TrainerRefusedError

__all__ = ["SentencePieceTrainer", "TrainerError", "TrainerRefusedError"]

_UNK_BYTES = "\u2585".encode()


def _charsmap(name: str) -> bytes:
    from ._charsmap.builder import builtin_charsmap

    try:
        return builtin_charsmap(name)
    except CharsMapError as e:
        raise TrainerError(f"{e} (normalization_rule_name)") from None


def _compile_tsv(path: str, option: str = "normalization_rule_tsv") -> bytes:
    """sentencepiece's LoadCharsMap + CompileCharsMap for a rule TSV."""
    from ._charsmap.builder import compile_charsmap, load_rule_tsv

    try:
        return compile_charsmap(load_rule_tsv(path))
    except OSError as e:
        raise TrainerError(f"{option}={path}: {e}") from None
    except CharsMapError as e:  # rules sentencepiece refuses too
        raise TrainerRefusedError(f"{option}={path}: {e}") from None


def _check_spec(ts: Dict[str, Any], ns: Dict[str, Any]) -> Dict[str, Any]:
    """VerifySpec and the unsupported cases; returns every option with defaults."""
    o = dict(DEFAULTS)
    o.update(ts)
    o.update(ns)
    if o["auto_character_coverage"]:  # VerifySpec's checks, in its order
        if not o["byte_fallback"]:
            raise TrainerRefusedError("--auto_character_coverage requires --byte_fallback=true.")
        if o["required_chars"]:
            raise TrainerRefusedError(
                "--auto_character_coverage cannot be used together with --required_chars or --required_chars_file."
            )
    if o["use_all_vocab"] and o["model_type"] in (1, 2):
        raise TrainerRefusedError("--use_all_vocab=true is valid for WORD/CHAR model.")
    if ns.get("precompiled_charsmap"):  # "" means the rule name's table, as in sentencepiece
        raise TrainerError("a non-empty precompiled_charsmap cannot be passed as an option")
    if o["seed_sentencepieces_file"]:
        if o["model_type"] != 1:
            raise TrainerError("seed_sentencepieces_file is only supported for UNIGRAM model.")
        raise TrainerError("seed_sentencepieces_file is not supported yet")
    checks = [
        ("vocab_size", o["vocab_size"] > 0),
        ("character_coverage", 0.98 <= o["character_coverage"] <= 1.0),
        ("max_sentencepiece_length", 1 <= o["max_sentencepiece_length"] <= 512),
        ("num_sub_iterations", 1 <= o["num_sub_iterations"] <= 10),
        ("num_threads", 1 <= o["num_threads"] <= 1024),
        ("shrinking_factor", 0.5 <= o["shrinking_factor"] <= 0.95),
        ("max_sentence_length", 10 <= o["max_sentence_length"] <= 1073741824),
        ("input_sentence_size", o["input_sentence_size"] <= 0 or o["input_sentence_size"] > 100),
    ]
    for key, ok in checks:
        if not ok:
            raise TrainerError(f"{key}={o[key]} is out of the allowed range")
    for key in ("unk_piece", "bos_piece", "eos_piece", "pad_piece"):
        if not o[key]:
            raise TrainerError(f"{key} must not be empty")
    if o["input_format"] not in ("", "text", "tsv"):
        raise TrainerError("Supported formats are 'text' and 'tsv'. (input_format)")
    if not o["escape_whitespaces"]:
        raise TrainerError("escape_whitespaces=false is not supported by BPE or unigram training")
    return o


# The NormalizerSpec options a normalizer= replaces (sentencepiece refuses them beside it).
_SPEC_FLAGS = ("add_dummy_prefix", "remove_extra_whitespaces", "escape_whitespaces")
_SPEC_OPTIONS = _SPEC_FLAGS + ("normalization_rule_name", "normalization_rule_tsv")


def _normalizer_spec(normalizer: Any, text: Dict[str, str]) -> Any:
    """The NormalizerSpec of a normalizer= argument (a SentencePieceNormalizer)."""
    from ._proto import model_pb2

    for key in _SPEC_OPTIONS:
        if key in text:
            raise TrainerRefusedError(
                "INVALID_ARGUMENT: Cannot specify both _serialized_normalizer_spec and "
                f"normalizer-specific argument: {key}"
            )
    if not hasattr(normalizer, "serialized_normalizer_spec"):
        raise TypeError("normalizer must be a SentencePieceNormalizer")
    return model_pb2.NormalizerSpec.FromString(normalizer.serialized_normalizer_spec())


def _keep(sentence: bytes, max_len: int) -> bool:
    return bool(sentence) and len(sentence) <= max_len and _UNK_BYTES not in sentence


class SentencePieceTrainer:
    """sentencepiece's SentencePieceTrainer API (unigram, BPE, word and char models)."""

    @staticmethod
    def train(arg: Optional[str] = None, logstream: Any = None, **kwargs: Any) -> Optional[bool]:
        """Train a unigram (default) or BPE model; see the module docstring.  Returns True for the
        string form (``train("--input=... --model_prefix=m")``) and None for
        keyword arguments, as sentencepiece.

        Raises:
            TrainerError: an option spbpe does not know or support, or one
                sentencepiece would reject (also a ValueError and a
                RuntimeError); TrainerRefusedError for what sentencepiece
                refuses too.
        """
        iterator = kwargs.pop("sentence_iterator", None)
        if iterator is None:
            iterator = kwargs.pop("sentence_reader", None)
        writer = kwargs.pop("model_writer", None)
        # Private: called with the NativeTrainer once it exists, so a watcher
        # thread (spbpe train's progress bar) can read its merge count.
        on_native = kwargs.pop("_on_native_trainer", None)
        # Private (spbpe.counts): feeds the NativeTrainer in place of the
        # input and returns whether to train (False: it only took the counts).
        counts_hook = kwargs.pop("_counts_hook", None)
        normalizer = kwargs.pop("normalizer", None)
        pretokenizer = kwargs.pop("pretokenizer", None)
        allow_inconsistent = bool(kwargs.pop("allow_inconsistent_pretokenization", False))
        if isinstance(arg, str):
            text = split_command(arg)
        else:
            text = {k: to_text(v) for k, v in kwargs.items()}
        seed = int(text.pop("seed", "12345678"))
        log = TrainLog(logstream, text.get("minloglevel"))
        log.command(arg if isinstance(arg, str) else None, text)
        ts, ns = parse_args(text)
        spec = _normalizer_spec(normalizer, text) if normalizer else None
        if spec is not None:
            ns.update({k: getattr(spec, k) for k in _SPEC_FLAGS if spec.HasField(k)})
        o = _check_spec(ts, ns)
        _check_pretokenizer(o, pretokenizer)
        if counts_hook is None and (iterator is None) == (not o["input"]):
            raise TrainerError("SentenceIterator and trainer_spec.input() must be exclusive. (input)")
        if (writer is None) == (not o["model_prefix"]):
            raise TrainerError("ModelProto and trainer_spec.model_prefix() must be exclusive. (model_prefix)")
        name = ns.get("name") or "nmt_nfkc"
        if spec is not None:
            o["charsmap"] = spec.precompiled_charsmap
        elif o["normalization_rule_tsv"]:
            name, o["charsmap"] = "user_defined", _compile_tsv(o["normalization_rule_tsv"])
        else:
            o["charsmap"] = _charsmap(name)
        denorm_tsv = ts.pop("denormalization_rule_tsv", "")
        denormalizer = _compile_tsv(denorm_tsv, "denormalization_rule_tsv") if denorm_tsv else b""
        # Feeding threads: never more than the machine has (sentencepiece's
        # default of 16 would only add per-thread tables); same result for any.
        # The unigram E-step and pruning partition sentences by sentencepiece's
        # num_threads, which decides the floats (em_threads keeps it).
        o["em_threads"] = o["num_threads"]
        o["num_threads"] = max(1, min(o["num_threads"], os.cpu_count() or 1))

        from ._core.native_trainer import NativeTrainer, iter_blocks

        log.spec(o)
        native = NativeTrainer(_native_options(o))
        if on_native is not None:
            on_native(native)
        try:
            log.info(
                "trainer_interface.cc", "Loading corpus: " + ", ".join(o["input"]) if o["input"] else "Loading corpus"
            )
            add = native.add_sentence
            if pretokenizer is not None:
                add = _pretokenizing(native, pretokenizer, allow_inconsistent)
            if counts_hook is None:
                _feed(native, o, iterator, seed, iter_blocks, add)
            elif not counts_hook(native, o):
                return None
            count, pieces, vocab = native.train_files(o["vocabulary_output_piece_score"])
        finally:
            native.close()
        log.info("trainer_interface.cc", f"Trained {count} pieces")

        if not o["hard_vocab_limit"] or o["use_all_vocab"] or o["model_type"] == 4:
            ts["vocab_size"] = count  # what sentencepiece's Serialize writes then
        normalizer = {k: v for k, v in ns.items()}
        normalizer["name"] = name
        normalizer["precompiled_charsmap"] = o["charsmap"]
        model = encode_model(pieces, ts, normalizer)
        if denormalizer:
            model += encode_denormalizer(denormalizer, denorm_tsv)
        if writer is not None:
            writer.write(model)
            log.info("trainer_interface.cc", "Writing the model to model_writer")
            return None
        log.info("trainer_interface.cc", f"Saving model: {o['model_prefix']}.model")
        with open(o["model_prefix"] + ".model", "wb") as f:
            f.write(model)
        log.info("trainer_interface.cc", f"Saving vocabs: {o['model_prefix']}.vocab")
        with open(o["model_prefix"] + ".vocab", "wb") as f:
            f.write(vocab)
        return True if isinstance(arg, str) else None

    Train = train


def _sentences(o: Dict[str, Any], iterator: Any) -> Iterable[Tuple[bytes, int]]:
    """(sentence, frequency) of every input line, before the filters."""
    tsv = o["input_format"] == "tsv"
    if iterator is not None:
        for s in iterator:
            yield (s if isinstance(s, bytes) else str(s).encode("utf-8", "surrogateescape")), 1
        return
    for path in o["input"]:
        try:
            f = open(path, "rb")
        except OSError as e:
            raise TrainerError(f"{path}: {e.strerror} (input)") from None
        with f:
            for line in f:
                if line.endswith(b"\n"):
                    line = line[:-1]
                if not tsv:
                    yield line, 1
                    continue
                fields = line.split(b"\t")
                if len(fields) != 2:
                    raise TrainerError(f"Input format must be: word <tab> freq. {line!r}")
                freq = fields[1].strip()
                if not freq.lstrip(b"+-").isdigit() or not 1 <= int(freq) < 1 << 63:  # an int64, as absl parses
                    raise TrainerRefusedError(f"Could not parse the frequency: {fields[1]!r}")
                yield fields[0], int(freq)


def _check_pretokenizer(o: Dict[str, Any], pretokenizer: Any) -> None:
    """VerifySpec's checks on pretokenizer= and pretokenization_delimiter."""
    if pretokenizer is None and not o["pretokenization_delimiter"]:
        return
    if o["model_type"] not in (1, 2):
        raise TrainerRefusedError("PretokenizerForTraining is only supported in UNIGRAM or BPE mode.")
    if pretokenizer is not None and o["pretokenization_delimiter"]:
        raise TrainerRefusedError("pretokenizer callback and pretokenization_delimiter cannot be set simultaneously.")
    if pretokenizer is not None and not callable(pretokenizer):
        raise TypeError("pretokenizer must be a callable: str -> list of str")


def _native_options(o: Dict[str, Any]) -> Dict[str, Any]:
    """The options the C trainer gets: a word model also cuts out every
    user-defined symbol with U+2581 in front (InitMetaPieces adds that piece
    after the symbol, for word models only)."""
    if o["model_type"] != 3:
        return o
    symbols: List[str] = []
    for u in o["user_defined_symbols"]:
        symbols.append(u)
        if not u.startswith("\u2581"):
            symbols.append("\u2581" + u)
    return dict(o, user_defined_symbols=symbols)


def _pretokenizing(native: Any, pretokenizer: Any, allow_inconsistent: bool) -> Any:
    """add(sentence, freq) through a pretokenizer= callable, as sentencepiece
    0.2.3 applies it: to each loaded sentence once normalized and with its
    meta pieces cut out (U+2581 and U+001F included), the chunks it returns
    joined by U+001F, which no piece may cross.  Unless allow_inconsistent,
    the chunks must join back to the text."""
    index = 0

    def add(sentence: bytes, freq: int = 1) -> bool:
        nonlocal index
        text = native.prepare(sentence)
        if text is None:
            return False
        i, index = index, index + 1
        original = text.decode("utf-8")
        try:
            chunks = [c if isinstance(c, bytes) else _as_str(c).encode("utf-8") for c in pretokenizer(original)]
        except Exception as e:
            raise TrainerError(f"Pretokenizer failed: {e}") from e
        joined = b"".join(chunks)
        if not allow_inconsistent and joined != text:
            raise TrainerRefusedError(
                f"Pretokenized output mismatch at sample {i}: joined='{joined.decode('utf-8', 'replace')}', "
                f"original='{original}'. Set allow_inconsistent_pretokenization=true in TrainerComponents to bypass."
            )
        native.add_prepared(b"\x1f".join(chunks), freq)
        return True

    return add


def _as_str(chunk: Any) -> str:
    if not isinstance(chunk, str):
        raise TypeError(f"a pretokenizer chunk must be str, not {type(chunk).__name__}")
    return chunk


def _feed(native: Any, o: Dict[str, Any], iterator: Any, seed: int, iter_blocks: Any, add: Any) -> None:
    max_len = o["max_sentence_length"]
    size = o["input_sentence_size"]
    if size == 0 and iterator is None and o["input_format"] != "tsv" and add == native.add_sentence:
        for path in o["input"]:  # fast path: whole blocks of lines into C
            try:
                f = open(path, "rb")
            except OSError as e:
                raise TrainerError(f"{path}: {e.strerror} (input)") from None
            with f:
                for block in iter_blocks(f):
                    native.add_lines(block)
        return
    if size == 0:
        for s, freq in _sentences(o, iterator):
            if _keep(s, max_len):
                add(s, freq)
        return
    kept: List[Tuple[bytes, int]] = []
    if not o["shuffle_input_sentence"]:
        for s, freq in _sentences(o, iterator):
            if _keep(s, max_len):
                kept.append((s, freq))
                if len(kept) >= size:
                    break
    else:
        rng = random.Random(seed)
        total = 0
        for s, freq in _sentences(o, iterator):
            if not _keep(s, max_len):
                continue
            total += 1
            if len(kept) < size:
                kept.append((s, freq))
            else:
                n = rng.randrange(total)
                if n < size:
                    kept[n] = (s, freq)
    for s, freq in kept:
        add(s, freq)
