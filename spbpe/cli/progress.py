"""A tiny progress bar on stderr (no dependency): ``[#####.....]  48%  1.2 MB  3.4 MB/s``.

    >>> p = Progress("verify", total=100, enabled=False)
    >>> p.advance(50); p.close()

Enabled by default only when the stream is a terminal, and redrawn at most
ten times a second, so it costs nothing on CI logs.
"""

from __future__ import annotations

import sys
import time
from typing import Optional, TextIO

__all__ = ["Progress"]


class Progress:
    """Counts bytes processed; draws a bar when ``total`` is known, a counter otherwise."""

    def __init__(
        self,
        label: str,
        total: int = 0,
        enabled: Optional[bool] = None,
        stream: Optional[TextIO] = None,
        width: int = 30,
    ) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.label, self.total, self.width = label, total, width
        self.done = 0
        self.start = self.last = time.monotonic()
        self.drawn = False

    def advance(self, n: int) -> None:
        self.done += n
        now = time.monotonic()
        if self.enabled and now - self.last >= 0.1:
            self.last = now
            self.draw(now)

    def draw(self, now: float) -> None:
        rate = self.done / max(now - self.start, 1e-9) / 1e6
        text = f"{self.label} {self.done / 1e6:,.1f} MB  {rate:.1f} MB/s"
        if self.total:
            frac = min(self.done / self.total, 1.0)
            full = int(frac * self.width)
            text = f"{self.label} [{'#' * full}{'.' * (self.width - full)}] {frac:4.0%}  " + text[len(self.label) + 1 :]
        self.stream.write("\r" + text + "\x1b[K")
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.enabled:
            self.draw(time.monotonic())
            self.stream.write("\n")
            self.stream.flush()
