"""Binding of the C trainer (csrc/train/train_bpe.c): the spbpe_trainer handle.

The only trainer code that touches cffi's lib.  Every C call releases the
GIL (cffi does so for each call), so training runs beside other threads.
A C trainer is for one thread at a time: a second thread that calls into
the same NativeTrainer while a call is running gets a TrainerError instead
of corrupting it.
"""

import threading
from array import array
from contextlib import contextmanager
from typing import Any, Dict, Iterable, Iterator, List, Optional, Tuple

from ..errors import TRAINER_STATUS_EXCEPTIONS, TrainerError
from ._spbpe import ffi, lib
from .status import raise_for_status

__all__ = ["NativeTrainer"]


def _check(status: int, err: Any) -> None:
    """Raise the exception of a failed trainer call: the one status map,
    with the trainer's own classes for what the caller asked wrong
    (TrainerRefusedError for checks sentencepiece makes too, TrainerError
    for options spbpe does not train with)."""
    if status:
        raise_for_status(status, err, TRAINER_STATUS_EXCEPTIONS)


class NativeTrainer:
    """Owns one spbpe_trainer.  opts holds plain Python values (see trainer.py)."""

    def __init__(self, opts: Dict[str, Any]) -> None:
        o = ffi.new("spbpe_trainer_options *")
        keep: List[Any] = []

        def buf(b: bytes) -> Tuple[Any, int]:
            c = ffi.from_buffer(b)
            keep.append((b, c))
            return c, len(b)

        for name in (
            "vocab_size",
            "max_sentence_length",
            "max_sentencepiece_length",
            "unk_id",
            "bos_id",
            "eos_id",
            "pad_id",
        ):
            setattr(o, name, opts[name])
        o.character_coverage = opts["character_coverage"]
        o.num_threads = max(1, int(opts.get("num_threads", 1)))
        o.model_type = int(opts.get("model_type", 2))
        o.use_all_vocab = 1 if opts.get("use_all_vocab") else 0
        o.em_threads = max(1, int(opts.get("em_threads", opts.get("num_threads", 1))))
        o.seed_sentencepiece_size = int(opts.get("seed_sentencepiece_size", 1000000))
        o.shrinking_factor = float(opts.get("shrinking_factor", 0.75))
        o.num_sub_iterations = int(opts.get("num_sub_iterations", 2))
        o.input_tsv = 1 if opts.get("input_format") == "tsv" else 0
        for name in (
            "split_by_unicode_script",
            "split_by_number",
            "split_by_whitespace",
            "split_digits",
            "treat_whitespace_as_suffix",
            "allow_whitespace_only_pieces",
            "byte_fallback",
            "hard_vocab_limit",
            "auto_character_coverage",
            "add_dummy_prefix",
            "remove_extra_whitespaces",
            "escape_whitespaces",
        ):
            setattr(o, name, 1 if opts[name] else 0)
        for name in ("unk_piece", "bos_piece", "eos_piece", "pad_piece", "required_chars", "pretokenization_delimiter"):
            p, n = buf(opts[name].encode("utf-8", "surrogateescape"))
            setattr(o, name, p)
            setattr(o, name + "_len", n)
        p, n = buf(opts["charsmap"])
        o.charsmap, o.charsmap_len = p, n
        syms = [s.encode("utf-8", "surrogateescape") for s in opts["control_symbols"] + opts["user_defined_symbols"]]
        p, _ = buf(b"".join(syms))
        lens = ffi.new("size_t[]", [len(s) for s in syms] or [0])
        keep.append(lens)
        o.symbols, o.symbol_lens = p, lens
        o.control_symbol_count = len(opts["control_symbols"])
        o.user_symbol_count = len(opts["user_defined_symbols"])

        self._err = ffi.new("spbpe_error *")
        h = lib.spbpe_trainer_new(o, self._err)
        if h == ffi.NULL:
            _check(self._err.status or lib.SPBPE_ERR_INVALID_ARGUMENT, self._err)
        self._h = ffi.gc(h, lib.spbpe_trainer_free)
        self._kept_int = ffi.new("int *")
        self._kept_u64 = ffi.new("uint64_t *")
        self._busy = threading.Lock()
        self._alive = threading.Lock()  # progress() from another thread never reads a freed handle

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        if not self._busy.acquire(blocking=False):
            raise TrainerError(
                "this trainer is already in use by another thread: "
                "a trainer is for one thread at a time (use one trainer per thread)"
            )
        try:
            if self._h is None:
                raise TrainerError("this trainer is closed")
            yield
        finally:
            self._busy.release()

    def add_sentence(self, sentence: bytes, freq: int = 1) -> bool:
        with self._exclusive():
            _check(
                lib.spbpe_trainer_add_sentence(self._h, sentence, len(sentence), freq, self._kept_int, self._err),
                self._err,
            )
            return bool(self._kept_int[0])

    def prepare(self, sentence: bytes) -> Optional[bytes]:
        """The sentence normalized with its meta pieces cut out (each
        becomes U+001F), what a pretokenizer sees; None when the filters
        drop it."""
        with self._exclusive():
            out, n = ffi.new("const uint8_t **"), ffi.new("size_t *")
            _check(
                lib.spbpe_trainer_prepare(self._h, sentence, len(sentence), out, n, self._kept_int, self._err),
                self._err,
            )
            if not self._kept_int[0]:
                return None
            return ffi.unpack(ffi.cast("const char *", out[0]), n[0]) if n[0] else b""

    def add_prepared(self, text: bytes, freq: int = 1) -> None:
        """Count the words of a pretokenized text (chunks joined by U+001F)."""
        with self._exclusive():
            _check(lib.spbpe_trainer_add_prepared(self._h, text, len(text), freq, self._err), self._err)

    def add_lines(self, block: bytes) -> int:
        with self._exclusive():
            _check(lib.spbpe_trainer_add_lines(self._h, block, len(block), self._kept_u64, self._err), self._err)
            return int(self._kept_u64[0])

    def count_export(self) -> Tuple[bytes, "array[int]", "array[int]"]:
        """The word table so far, sorted bytewise: (words back to back,
        their byte lengths as array('I'), their counts as array('q'))."""
        with self._exclusive():
            nw, nb = ffi.new("size_t *"), ffi.new("size_t *")
            _check(lib.spbpe_trainer_count_size(self._h, nw, nb, self._err), self._err)
            arena = bytearray(nb[0])
            lens = array("I", bytes(4 * nw[0]))
            counts = array("q", bytes(8 * nw[0]))
            _check(
                lib.spbpe_trainer_count_export(
                    self._h,
                    ffi.from_buffer("uint8_t[]", arena),
                    nb[0],
                    ffi.from_buffer("uint32_t[]", lens),
                    ffi.from_buffer("int64_t[]", counts),
                    nw[0],
                    self._err,
                ),
                self._err,
            )
            return bytes(arena), lens, counts

    def add_counts(self, words: bytes, lens: "array[int]", counts: "array[int]") -> None:
        """Add normalized words with their counts as they are (see
        spbpe_trainer_add_counts)."""
        if len(lens) != len(counts):
            raise ValueError("lens and counts differ in length")
        with self._exclusive():
            _check(
                lib.spbpe_trainer_add_counts(
                    self._h,
                    ffi.from_buffer(words),
                    len(words),
                    ffi.from_buffer("uint32_t[]", lens),
                    ffi.from_buffer("int64_t[]", counts),
                    len(lens),
                    self._err,
                ),
                self._err,
            )

    def train(self) -> List[Tuple[bytes, float, int]]:
        with self._exclusive():
            return self._train()

    def train_files(self, with_score: bool) -> Tuple[int, bytes, bytes]:
        """Train; (piece count, the ModelProto's serialized pieces, the
        .vocab text), built in C."""
        with self._exclusive():
            _check(lib.spbpe_trainer_train(self._h, self._err), self._err)
            pp, pn = ffi.new("const uint8_t **"), ffi.new("size_t *")
            vp, vn = ffi.new("const uint8_t **"), ffi.new("size_t *")
            _check(lib.spbpe_trainer_serialize(self._h, int(with_score), pp, pn, vp, vn, self._err), self._err)
            return (
                lib.spbpe_trainer_piece_count(self._h),
                ffi.unpack(ffi.cast("const char *", pp[0]), pn[0]),
                ffi.unpack(ffi.cast("const char *", vp[0]), vn[0]),
            )

    def _train(self) -> List[Tuple[bytes, float, int]]:
        _check(lib.spbpe_trainer_train(self._h, self._err), self._err)
        pa, pal = ffi.new("const uint8_t **"), ffi.new("size_t *")
        po, pl = ffi.new("const uint64_t **"), ffi.new("const uint32_t **")
        ps, pt = ffi.new("const float **"), ffi.new("const int32_t **")
        n = lib.spbpe_trainer_export(self._h, pa, pal, po, pl, ps, pt)
        if n == 0:
            return []
        arena = ffi.unpack(ffi.cast("const char *", pa[0]), pal[0])
        return [
            (arena[o : o + ln], sc, ty)
            for o, ln, sc, ty in zip(
                ffi.unpack(po[0], n), ffi.unpack(pl[0], n), ffi.unpack(ps[0], n), ffi.unpack(pt[0], n)
            )
        ]

    def close(self) -> None:
        if self._h is None:
            return
        with self._exclusive(), self._alive:
            ffi.release(self._h)
            self._h = None

    def progress(self) -> Optional[Tuple[int, int]]:
        """(merges made, most merges this run can make) while train runs on
        another thread; (0, 0) before the merge loop, None once closed."""
        with self._alive:
            if self._h is None:
                return None
            done, target = ffi.new("uint64_t *"), ffi.new("uint64_t *")
            lib.spbpe_trainer_progress(self._h, done, target)
            return int(done[0]), int(target[0])


def iter_blocks(f: Any, size: int = 1 << 23) -> Iterable[bytes]:
    """Read a binary file in blocks that end at a line break (the last may not)."""
    rest = b""
    while True:
        chunk = f.read(size)
        if not chunk:
            if rest:
                yield rest
            return
        data = rest + chunk
        cut = data.rfind(b"\n")
        if cut < 0:
            rest = data
            continue
        rest = data[cut + 1 :]
        yield data[: cut + 1]
