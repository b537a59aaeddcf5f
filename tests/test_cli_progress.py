"""Progress on long work: train's log lines and bar, bytes done for encode/verify on a terminal; --quiet silences."""

import io
import os
import pty
import select

import pytest

from spbpe.cli.train_cmd import TrainWatcher, phase_of
from tests.helpers.cli_helpers import run_spbpe
from tests.helpers.models import ROOT

BOTCHAN = ROOT / "spbpe" / "data" / "botchan.txt"


class _Tty(io.StringIO):
    def isatty(self):
        return True


def test_phase_of_counts_closed_files_whole():
    sizes = {"a": 10, "b": 20}
    seen = set()
    assert phase_of(sizes, {"a": 4}, seen) == ("reading", 4)
    assert phase_of(sizes, {"b": 5}, seen) == ("reading", 15)
    assert phase_of(sizes, {}, seen) == ("training", 30)


@pytest.mark.skipif(not os.path.isdir("/proc/self/fdinfo"), reason="no /proc: the watcher shows the time only")
def test_watcher_reads_the_offset_of_the_open_input(tmp_path):
    f = tmp_path / "in.txt"
    f.write_bytes(b"x" * 1000 + b"\n")
    out = _Tty()
    w = TrainWatcher([str(f)], "2000", stream=out)
    with open(f, "rb", buffering=0) as fh:
        fh.read(500)  # unbuffered position of the descriptor: what the OS reports
        w._tick()
        assert "reading [" in out.getvalue() and "50%" in out.getvalue() and "ETA" in out.getvalue()
    w._tick()  # the file is closed: reading is done
    text = out.getvalue()
    assert "LOG(INFO) reading 1 file(s)" in text and "LOG(INFO) read 0.0 MB" in text
    assert "training: character coverage" in text  # no trainer attached: no merge count yet


class _Native:
    def __init__(self, progress):
        self.now = progress

    def progress(self):
        return self.now


def test_watcher_shows_merges_done_of_the_most_possible(tmp_path):
    out = _Tty()
    w = TrainWatcher([], "2000", stream=out)
    w.phase = "training"
    w.attach(_Native((0, 0)))
    w._draw()
    assert "training: character coverage" in out.getvalue()
    w.native.now = (500, 1000)
    w._draw()
    assert "merging [" in out.getvalue() and "50%" in out.getvalue() and "500 of 1,000 merges" in out.getvalue()
    w.native.now = None  # train closed its trainer
    w._draw()


def test_native_trainer_reports_merges_while_training():
    # The real counter, read from another thread while train runs (the hook the CLI's watcher uses).
    import io
    import threading
    import time

    from spbpe.trainer import SentencePieceTrainer

    box, seen = {}, []

    def poll():
        while "stop" not in box:
            native = box.get("native")
            got = native.progress() if native is not None else None
            if got:
                seen.append(got)
            time.sleep(0)  # the training thread is in C without the GIL: poll as fast as possible

    t = threading.Thread(target=poll)
    t.start()
    try:
        SentencePieceTrainer.train(
            input=str(BOTCHAN),
            model_writer=io.BytesIO(),
            vocab_size=2000,
            model_type="bpe",
            minloglevel=2,
            _on_native_trainer=lambda n: box.__setitem__("native", n),
        )
    finally:
        box["stop"] = 1
        t.join()
    assert seen, "the watcher never read the trainer"
    done = [d for d, _ in seen]
    assert done == sorted(done)  # never goes back
    target = max(m for _, m in seen)
    assert 0 < target < 2000 and all(d <= target for d in done)
    assert box["native"].progress() is None  # closed after train: no read of a freed handle


def test_train_logs_when_not_a_terminal_and_quiet_silences(tmp_path):
    args = ["train", f"--input={BOTCHAN}", "--vocab_size=300"]
    p = run_spbpe(*args, f"--model_prefix={tmp_path / 'a'}")
    err = p.stderr.decode()
    assert "spbpe train: LOG(INFO) trained in" in err and "\r" not in err and (tmp_path / "a.model").exists()
    for quiet in ("--quiet", "--minloglevel=1"):
        p = run_spbpe(*args, f"--model_prefix={tmp_path / 'b'}", quiet)
        assert p.stderr == b"" and (tmp_path / "b.model").exists()
    assert (tmp_path / "a.vocab").read_bytes() == (tmp_path / "b.vocab").read_bytes()


def _run_on_a_terminal(*args):
    """Run spbpe with stderr on a pseudo-terminal; (exit status, what the terminal got)."""
    import subprocess
    import sys

    master, slave = pty.openpty()
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    p = subprocess.Popen(
        [sys.executable, "-m", "spbpe", *map(str, args)], stdout=subprocess.DEVNULL, stderr=slave, env=env
    )
    os.close(slave)
    got = b""
    while True:
        r, _, _ = select.select([master], [], [], 60)
        if not r:
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        got += chunk
    os.close(master)
    return p.wait(), got.decode("utf-8", "replace")


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    import spbpe

    d = tmp_path_factory.mktemp("progress")
    spbpe.SentencePieceTrainer.train(input=str(BOTCHAN), model_prefix=str(d / "m"), vocab_size=400, model_type="bpe")
    return d / "m.model"


@pytest.mark.parametrize("command", ["encode", "decode", "normalize"])
def test_line_commands_show_bytes_done_on_a_terminal(command, model):
    status, text = _run_on_a_terminal(command, f"--model={model}", BOTCHAN)
    assert status == 0
    assert f"{command} [##############################] 100%" in text and "MB/s" in text
    status, text = _run_on_a_terminal(command, f"--model={model}", "--quiet", BOTCHAN)
    assert status == 0 and "100%" not in text


def test_train_draws_on_a_terminal(model, tmp_path):
    status, text = _run_on_a_terminal(
        "train", f"--input={BOTCHAN}", "--vocab_size=300", f"--model_prefix={tmp_path / 'm'}"
    )
    assert status == 0 and "LOG(INFO) trained in" in text


def test_verify_shows_bytes_done_on_a_terminal(model):
    pytest.importorskip("sentencepiece")
    status, text = _run_on_a_terminal("verify", f"--model={model}", "--input", BOTCHAN, "--checks=ids")
    assert status == 0 and "verify [##############################] 100%" in text
