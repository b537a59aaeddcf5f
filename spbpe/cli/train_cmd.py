"""``spbpe train``: spm_train's flags, the generated ``--help``, and progress while it runs.

    >>> phase_of({"a.txt": 10}, {"a.txt": 4}, set())
    ('reading', 4)

Training is one call (:meth:`spbpe.SentencePieceTrainer.train`); a watcher
thread reports on it meanwhile.  It learns how far reading has got from the
operating system (on Linux, ``/proc/self/fdinfo`` gives the offset of each
open input file), so no hook into the trainer is needed: the phase is
"reading" while input files remain to be read, then "training" (character
coverage and the merges up to ``vocab_size``).  On a terminal it draws a bar
(bytes read of the total, rate, ETA, then merges done of the most the run
can make, read from the native trainer through train's private
``_on_native_trainer`` hook, with rate and ETA);
otherwise it prints sentencepiece-style log lines (``LOG(INFO) ...``) at
each phase.  ``--quiet`` or ``--minloglevel=1`` (or more) prints nothing but
errors.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from difflib import get_close_matches
from typing import Any, Dict, List, Optional, Set, TextIO, Tuple

from .._proto.trainer_spec import DEPRECATED
from ..errors import CliError
from .flags import parse_bool, spm_flags
from .train_help import accepted_options, train_help

__all__ = ["run_train", "phase_of", "TrainWatcher"]


def _open_offsets(paths: Dict[str, int]) -> Optional[Dict[str, int]]:
    """Offset of each of ``paths`` this process has open now (None where /proc is missing)."""
    try:
        fds = os.listdir("/proc/self/fd")
    except OSError:
        return None
    out: Dict[str, int] = {}
    for fd in fds:
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
            if target not in paths:
                continue
            with open(f"/proc/self/fdinfo/{fd}") as f:
                pos = next(int(ln.split()[1]) for ln in f if ln.startswith("pos:"))
            out[target] = max(out.get(target, 0), pos)
        except (OSError, StopIteration, ValueError):
            continue
    return out


def phase_of(sizes: Dict[str, int], now_open: Dict[str, int], seen: Set[str]) -> Tuple[str, int]:
    """("reading" or "training", bytes read): files seen open and now closed count whole."""
    seen.update(now_open)
    done = sum(min(now_open[p], sizes[p]) if p in now_open else sizes[p] for p in seen)
    return ("training" if seen == set(sizes) and not now_open else "reading"), done


class TrainWatcher:
    """A thread that reports on a training run: a bar on a terminal, log lines otherwise."""

    def __init__(self, inputs: List[str], vocab_size: str, stream: Optional[TextIO] = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.sizes = {os.path.realpath(p): os.path.getsize(p) for p in inputs if os.path.isfile(p)}
        self.total = sum(self.sizes.values())
        self.vocab_size = vocab_size
        self.seen: Set[str] = set()
        self.phase, self.done = "reading", 0
        self.merge_start = 0.0
        self.started = False
        self.start = self.read_end = time.monotonic()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.native: Any = None  # the NativeTrainer, once train has made it (its merge count)

    def attach(self, native: Any) -> None:
        """SentencePieceTrainer.train's _on_native_trainer hook."""
        self.native = native

    def log(self, text: str) -> None:
        if self.tty:
            self.stream.write("\r\x1b[K")
        self.stream.write(f"spbpe train: LOG(INFO) {text}\n")
        self.stream.flush()

    def __enter__(self) -> TrainWatcher:
        self.thread.start()
        return self

    def _tick(self) -> None:
        if not self.started:  # not at once: a refused option fails first, with its one error line alone
            self.started = True
            self.log(f"reading {len(self.sizes)} file(s), {self.total / 1e6:,.1f} MB; vocab_size={self.vocab_size}")
        offsets = _open_offsets(self.sizes)
        if offsets is None:  # no /proc: the phase is unknown, show the time only
            self.phase = "training"
        else:
            phase, self.done = phase_of(self.sizes, offsets, self.seen)
            if phase == "training" and self.phase == "reading":
                self.read_end = time.monotonic()
                self.phase = "training"
                secs = self.read_end - self.start
                self.log(f"read {self.total / 1e6:,.1f} MB in {secs:.1f} s; counting done, merging")
        if self.tty:
            self._draw()

    def _merges(self) -> Tuple[int, int]:
        """(merges done, most merges) of the running trainer; (0, 0) before its merge loop."""
        got = self.native.progress() if self.native is not None else None
        if not got:
            return 0, 0
        if got[1] and not self.merge_start:
            self.merge_start = time.monotonic()
        return got

    def _draw(self) -> None:
        now = time.monotonic()
        if self.phase == "reading" and self.total:
            frac = min(self.done / self.total, 1.0)
            rate = self.done / max(now - self.start, 1e-9)
            eta = (self.total - self.done) / rate if rate > 0 else 0.0
            bar = "#" * int(frac * 30) + "." * (30 - int(frac * 30))
            text = (
                f"reading [{bar}] {frac:4.0%} {self.done / 1e6:,.1f} of {self.total / 1e6:,.1f} MB "
                f"{rate / 1e6:.1f} MB/s ETA {eta:.0f} s"
            )
        else:
            done, target = self._merges()
            if target:
                secs = max(now - self.merge_start, 1e-9) if self.merge_start else 1e-9
                rate = done / secs
                eta = (target - done) / rate if rate > 0 else 0.0
                frac = min(done / target, 1.0)
                bar = "#" * int(frac * 30) + "." * (30 - int(frac * 30))
                text = f"merging [{bar}] {frac:4.0%} {done:,} of {target:,} merges {rate:,.0f}/s ETA {eta:.0f} s"
            else:
                text = f"training: character coverage ... {now - self.read_end:.1f} s"
        self.stream.write("\r" + text + "\x1b[K")
        self.stream.flush()

    def _run(self) -> None:
        while not self.stop.wait(0.2):
            self._tick()

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join()
        if self.tty:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def _quiet(flags: Dict[str, str], quiet: bool) -> bool:
    level = flags.get("minloglevel", "0").strip()
    return quiet or (level.lstrip("+-").isdigit() and int(level) >= 1)


def run_train(argv: List[str]) -> int:
    """``spbpe train ARGS``: exit status 0, or an exception the caller prints as one line."""
    from ..trainer import SentencePieceTrainer

    if any(a in ("-h", "--help", "-help", "--helpfull") for a in argv):
        print(train_help())
        return 0
    if not argv:
        raise CliError("train: give --input=FILES --model_prefix=PREFIX --vocab_size=N (see 'spbpe train --help')")
    quiet = False
    rest = []
    for a in argv:  # --quiet is ours, not the trainer's
        key, eq, value = a.partition("=")
        if key in ("--quiet", "-q"):
            quiet = parse_bool(value) if eq else True
        else:
            rest.append(a)
    flags: Dict[str, str] = {}
    known = accepted_options()
    for key, value in spm_flags(rest).items():
        if key not in known and key.startswith("no") and known.get(key[2:]) == "bool":
            key, value = key[2:], "false"  # absl's --noflag
        if key not in known and key not in DEPRECATED:
            close = get_close_matches(key, list(known), n=1)
            hint = f"; did you mean --{close[0]}?" if close else ""
            raise CliError(f"train: unknown option --{key}{hint} (see 'spbpe train --help')")
        flags[key] = value
    flags.setdefault("model_type", "bpe")
    for required in ("input", "model_prefix"):
        if not flags.get(required):
            raise CliError(f"train: --{required} is required (see 'spbpe train --help')")
    inputs = [p for p in flags["input"].split(",") if p]
    for p in inputs:
        if not os.path.exists(p):
            raise FileNotFoundError(2, "No such file or directory", p)
        if os.path.isdir(p):
            raise CliError(f"{p} is a directory; --input takes text files, comma-separated")
    start = time.perf_counter()
    if _quiet(flags, quiet):
        SentencePieceTrainer.train(**flags)
        return 0
    with TrainWatcher(inputs, flags.get("vocab_size", "8000")) as w:
        SentencePieceTrainer.train(**flags, _on_native_trainer=w.attach)
    prefix = flags["model_prefix"]
    w.log(f"trained in {time.perf_counter() - start:.2f} s -> {prefix}.model, {prefix}.vocab")
    return 0
