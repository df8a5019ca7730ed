"""Argument checks: each returns the checked value or raises ``TypeError``/``ValueError`` whose
message names the argument and the allowed range. Standard library only (NumPy scalars are
``numbers.Integral``/``numbers.Real`` and pass)."""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any, Iterable

__all__ = ["check_int", "check_real", "check_choice", "check_seed", "MAX_SEED"]

#: Largest seed accepted (NumPy's ``default_rng`` takes any non-negative int; 2**63 - 1 keeps
#: seeds printable and portable).
MAX_SEED = 2**63 - 1


def _range_text(low, high, low_open=False, high_open=False) -> str:
    left = "(" if low_open else "["
    right = ")" if high_open else "]"
    low_text = "-inf" if low == -math.inf else repr(low)
    high_text = "inf" if high is None or high == math.inf else repr(high)
    return f"{left}{low_text}, {high_text}{right}"


def check_int(value: Any, name: str, low: int | None = None, high: int | None = None) -> int:
    """``value`` as an ``int`` in ``[low, high]`` (either end ``None`` for unbounded); ``bool`` is
    refused."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name}: expected an integer, got {type(value).__name__} {value!r}")
    value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        lo = -math.inf if low is None else low
        raise ValueError(f"{name}: must be an integer in {_range_text(lo, high)}, got {value}")
    return value


def check_real(
    value: Any,
    name: str,
    low: float = -math.inf,
    high: float = math.inf,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """``value`` as a finite ``float`` in the interval from ``low`` to ``high`` (open ends on
    request); ``bool``, NaN and infinities are refused."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name}: expected a real number, got {type(value).__name__} {value!r}")
    value = float(value)
    interval = _range_text(low, high, low_open, high_open)
    if not math.isfinite(value):
        raise ValueError(f"{name}: must be a finite number in {interval}, got {value}")
    below = value <= low if low_open else value < low
    above = value >= high if high_open else value > high
    if below or above:
        raise ValueError(f"{name}: must be in {interval}, got {value!r}")
    return value


def check_choice(value: Any, name: str, choices: Iterable[Any]) -> Any:
    """``value`` if it is one of ``choices``, else ``ValueError`` listing them."""
    choices = tuple(choices)
    if value not in choices:
        raise ValueError(f"{name}: must be one of {', '.join(map(str, choices))}; got {value!r}")
    return value


def check_seed(seed: Any, name: str = "seed") -> int:
    """A seed: an integer in ``[0, 2**63 - 1]``."""
    return check_int(seed, name, 0, MAX_SEED)
