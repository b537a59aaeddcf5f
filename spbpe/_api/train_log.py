"""The trainer's progress log, written to ``logstream`` as sentencepiece writes its own.

sentencepiece's trainer logs to stderr, which its ``logstream=`` argument
redirects; spbpe's trainer writes a shorter log of the same shape to the
``logstream`` object (anything with ``write``): the command, the options it
trains with, the corpus, and the files it writes.  INFO lines are hidden
when ``minloglevel`` (the option, or ``SetMinLogLevel``) is 1 or more, as in
sentencepiece; without a logstream nothing is written.

>>> import io; out = io.StringIO()
>>> log = TrainLog(out, None); log.info("trainer_interface.cc", "Saving model: m.model")
>>> out.getvalue()
'trainer_interface.cc LOG(INFO) Saving model: m.model\\n'
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from .. import settings

__all__ = ["TrainLog"]

_HIDDEN = ("charsmap", "precompiled_charsmap")


class TrainLog:
    """Writes INFO lines to a stream, or nothing."""

    def __init__(self, stream: Any, minloglevel: Optional[str]) -> None:
        level = settings.current("min_log_level")
        if minloglevel is not None and minloglevel.lstrip("-").isdigit():
            level = int(minloglevel)
        self._stream = stream if level <= 0 else None

    def info(self, source: str, message: str) -> None:
        if self._stream is not None:
            self._stream.write(f"{source} LOG(INFO) {message}\n")
            if hasattr(self._stream, "flush"):
                self._stream.flush()

    def command(self, arg: Optional[str], options: Dict[str, str]) -> None:
        if arg is None:
            arg = " ".join(f"--{k}={v}" for k, v in options.items())
        self.info("sentencepiece_trainer.cc", f"Running command: {arg}")

    def spec(self, options: Dict[str, Any]) -> None:
        if self._stream is None:
            return
        lines = [f"  {k}: {v!r}" for k, v in sorted(options.items()) if k not in _HIDDEN]
        self.info("sentencepiece_trainer.cc", "Starts training with : \ntrainer_spec {\n" + "\n".join(lines) + "\n}")
