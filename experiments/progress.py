"""A one-line progress bar with ETA on stderr, shown on a terminal unless told."""

from __future__ import annotations

import math
import sys
import time


def _clock(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "--:--"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def wanted(setting: bool | None) -> bool:
    """Return whether to draw: as told, or (None) when stderr is a terminal."""
    if setting is None:
        return sys.stderr.isatty()
    return setting


class Progress:
    """A progress bar with ETA on stderr (or nothing when not :func:`wanted`).

    Parameters
    ----------
    total
        The count that completes the bar; a bar of 0 is never drawn.
    label
        Text before the bar (the experiment's name).
    enabled
        True = always draw (one line per redraw when stderr is a file), False =
        never, None = only when stderr is a terminal.
    """

    def __init__(
        self, total: int, label: str = "", enabled: bool | None = None, width=30
    ):
        self.total, self.label, self.width = total, label, width
        self.enabled = wanted(enabled) and total > 0
        self.done = 0
        self.start = time.perf_counter()
        self.tty = sys.stderr.isatty()
        # Redraw at most every 0.2 s on a terminal and every 10 s into a log file,
        # so that a long run does not write a line per finished row.
        self.every = 0.2 if self.tty else 10.0
        self.last = -math.inf
        self._draw()

    def update(self, count: int = 1) -> None:
        self.done += count
        self._draw()

    def _draw(self) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if now - self.last < self.every and self.done < self.total:
            return
        self.last = now
        elapsed = now - self.start
        rate = self.done / elapsed if elapsed > 0 else 0.0
        eta = (self.total - self.done) / rate if rate > 0 else math.inf
        filled = self.width * self.done // self.total
        bar = "#" * filled + "." * (self.width - filled)
        start = "\r" if self.tty else ""
        sys.stderr.write(
            f"{start}{self.label} [{bar}] {self.done}/{self.total} "
            f"{100 * self.done / self.total:3.0f}% {_clock(elapsed)} ETA {_clock(eta)} "
        )
        if self.done >= self.total or not self.tty:
            sys.stderr.write("\n")
        sys.stderr.flush()
