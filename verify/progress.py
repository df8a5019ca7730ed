"""Progress lines on stderr for long checks, on the ground floor's :class:`theory.ground.progress.Progress`.

A check calls ``say(message)``; each message becomes one whole line ``[verify +12.3s] message``
(never a ``\\r`` redraw), so a terminal and a log file read the same.
"""

from __future__ import annotations

from typing import TextIO

from theory.ground.progress import Progress as _GroundProgress

__all__ = ["Progress", "as_progress"]


class Progress(_GroundProgress):
    """``say = Progress(enabled)``; ``say("text")`` prints ``[verify +12.3s] text`` when enabled."""

    def __init__(self, enabled: bool = True, prefix: str = "verify", stream: TextIO | None = None):
        super().__init__(None, prefix, stream=stream, enabled=bool(enabled))
        self.prefix = prefix

    def __call__(self, message: str) -> None:
        if self.enabled:
            self.message(f"[{self.prefix} +{self.elapsed:6.1f}s] {message}")


def as_progress(progress: bool | Progress) -> Progress:
    """Accept ``True``/``False`` or an existing :class:`Progress`."""
    return progress if isinstance(progress, Progress) else Progress(bool(progress))
