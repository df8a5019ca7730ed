r"""Progress output that behaves on a terminal and in a log file.

On a terminal (``stream.isatty()``) :class:`Progress` redraws one line with ``\r``; anywhere else
it prints whole lines, at most one every :attr:`Progress.log_interval` seconds (and the last),
so a log file gets a few readable lines instead of a flood of carriage returns. Messages that
must stand on their own line (warnings, errors) go through :meth:`Progress.message`, which
first ends a half-drawn bar.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["Progress"]


class Progress:
    """Report ``done/total`` for a named piece of work.

    ``Progress(total, label, stream=None, enabled=True)``; call :meth:`update` with the number
    done (or :meth:`advance` by one), :meth:`message` for a line of its own, :meth:`close` at the
    end (also as a context manager). ``stream`` defaults to ``sys.stderr``.
    """

    #: Seconds between two lines when the stream is not a terminal.
    log_interval: float = 10.0
    #: Seconds between two redraws on a terminal.
    redraw_interval: float = 0.1

    def __init__(self, total: int | None, label: str, stream: TextIO | None = None, enabled: bool = True):
        self.total = total
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.done = 0
        self.start = time.monotonic()
        self._last = -float("inf")
        self._bar_open = False
        try:
            self.terminal = bool(self.stream.isatty())
        except (AttributeError, ValueError):
            self.terminal = False

    @property
    def elapsed(self) -> float:
        """Seconds since the reporter was created."""
        return time.monotonic() - self.start

    def _text(self) -> str:
        count = f"{self.done}/{self.total}" if self.total is not None else f"{self.done}"
        return f"{self.label}: {count} ({self.elapsed:.1f} s)"

    def update(self, done: int, *, force: bool = False) -> None:
        """Set the number of finished items and report when due."""
        self.done = done
        if not self.enabled:
            return
        now = time.monotonic()
        finished = self.total is not None and done >= self.total
        interval = self.redraw_interval if self.terminal else self.log_interval
        if not (force or finished or now - self._last >= interval):
            return
        self._last = now
        if self.terminal:
            self.stream.write("\r" + self._text())
            self._bar_open = True
        else:
            self.stream.write(self._text() + "\n")
        self.stream.flush()

    def advance(self, count: int = 1) -> None:
        """Add ``count`` finished items."""
        self.update(self.done + count)

    def message(self, text: str) -> None:
        """Print ``text`` on a line of its own (ending a half-drawn bar first)."""
        if self._bar_open:
            self.stream.write("\n")
            self._bar_open = False
        self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        """Print the final state and end the line."""
        if not self.enabled:
            return
        if self.terminal:
            self.stream.write("\r" + self._text() + "\n")
            self._bar_open = False
        elif self._last == -float("inf") or self.total is None or self.done < (self.total or 0):
            self.stream.write(self._text() + "\n")
        self.stream.flush()

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
