"""Progress lines on stderr for long checks."""

from __future__ import annotations

import sys
import time


class Progress:
    """Prints ``[verify +12.3s] message`` to stderr when enabled."""

    def __init__(self, enabled: bool = True, prefix: str = "verify"):
        self.enabled = enabled
        self.prefix = prefix
        self.start = time.perf_counter()

    def __call__(self, message: str) -> None:
        if self.enabled:
            elapsed = time.perf_counter() - self.start
            print(f"[{self.prefix} +{elapsed:6.1f}s] {message}", file=sys.stderr, flush=True)


def as_progress(progress: bool | Progress) -> Progress:
    """Accept ``True``/``False`` or an existing :class:`Progress`."""
    return progress if isinstance(progress, Progress) else Progress(bool(progress))
