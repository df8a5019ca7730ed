"""Argument checks shared by :mod:`numerics.integrate` and :mod:`numerics.blowup`.

Every check raises ``TypeError`` (wrong kind of object) or ``ValueError`` (wrong value) with a
message that names the argument and the allowed range.
"""

from __future__ import annotations

import math
import numbers

import numpy as np


def real_array(x, name: str, ndim: int) -> np.ndarray:
    """``x`` as a C-contiguous float64 array with ``ndim`` dimensions, every entry finite."""
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name}: expected a real array with {ndim} dimension(s), got {type(x).__name__}")
    arr = np.asarray(x)
    if arr.dtype == bool or arr.dtype.kind not in "iuf":
        raise TypeError(f"{name}: expected a real (int or float) array, got dtype {arr.dtype}")
    if arr.ndim != ndim:
        raise ValueError(f"{name}: expected {ndim} dimension(s), got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name}: expected a non-empty array (every width >= 1), got shape {arr.shape}")
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: every entry must be finite (no nan/inf)")
    return arr


def real_number(x, name: str, *, low: float, high: float = math.inf, low_open: bool = False) -> float:
    """``x`` as a float in ``[low, high]`` (``(low, high]`` when ``low_open``)."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{name}: expected a real number, got {type(x).__name__}")
    value = float(x)
    below = value <= low if low_open else value < low
    if not math.isfinite(value) and not (value == math.inf and high == math.inf):
        raise ValueError(f"{name}: expected a finite number, got {x!r}")
    if below or value > high:
        lo = "(" if low_open else "["
        raise ValueError(f"{name}: expected a value in {lo}{low:g}, {high:g}], got {x!r}")
    return value


def tolerances(rtol, atol) -> tuple[float, float]:
    """Relative tolerance in ``[1e-14, 0.5]`` and finite absolute tolerance ``>= 0``."""
    rtol = real_number(rtol, "rtol", low=1e-14, high=0.5)
    atol = real_number(atol, "atol", low=0.0, high=math.inf)
    if atol == math.inf:
        raise ValueError("atol: expected a finite value >= 0, got inf")
    return rtol, atol


def time_grid(t_eval, t_end: float) -> np.ndarray | None:
    """``t_eval`` as an increasing float array inside ``[0, t_end]`` (or None)."""
    if t_eval is None:
        return None
    grid = real_array(t_eval, "t_eval", 1)
    if np.any(np.diff(grid) <= 0):
        raise ValueError("t_eval: expected strictly increasing times")
    if grid[0] < 0 or grid[-1] > t_end:
        raise ValueError(f"t_eval: every time must lie in [0, t_end] = [0, {t_end:g}]")
    return grid


def widths_of(model_or_widths) -> tuple[int, ...]:
    """Hidden widths ``(m1, ..., m_{L-1})`` from a ``ReducedModel`` or a sequence of ints."""
    widths = getattr(model_or_widths, "widths", model_or_widths)
    if isinstance(widths, numbers.Integral) and not isinstance(widths, bool):
        widths = (widths,)
    try:
        widths = tuple(widths)
    except TypeError:
        raise TypeError(
            f"model_or_widths: expected a theory.ReducedModel or a sequence of ints, got {model_or_widths!r}"
        ) from None
    if not widths or any(isinstance(m, bool) or not isinstance(m, numbers.Integral) or m < 1 for m in widths):
        raise ValueError(f"model_or_widths: every width must be an int >= 1, got {widths!r}")
    return tuple(int(m) for m in widths)


def depth3_state(a, W, u) -> tuple[np.ndarray, tuple[int, int]]:
    """Checked ``(a, W, u)`` of the reduced depth-3 model, flattened ``y = (a, W, u)`` and ``(m1, m2)``."""
    a = real_array(np.atleast_1d(a) if np.ndim(a) == 0 else a, "a", 1)
    u = real_array(np.atleast_1d(u) if np.ndim(u) == 0 else u, "u", 1)
    W = real_array(np.reshape(W, (1, 1)) if np.ndim(W) == 0 else W, "W", 2)
    if W.shape != (a.shape[0], u.shape[0]):
        raise ValueError(
            f"W: expected shape (len(a), len(u)) = ({a.shape[0]}, {u.shape[0]}), got {W.shape}"
        )
    from numerics.state import flatten_factors

    return flatten_factors([u, W, a]), (u.shape[0], a.shape[0])


def factors_state(factors) -> tuple[np.ndarray, tuple[int, ...]]:
    """Checked factors ``[u, W^2, ..., W^{L-1}, a]`` (input to output) → flattened state
    ``(a, W^{L-1}, ..., W^2, u)`` and widths ``(m1, ..., m_{L-1})`` (:mod:`numerics.state`)."""
    from numerics.state import flatten_factors, widths_of_factors

    if isinstance(factors, np.ndarray) or not isinstance(factors, (list, tuple)):
        raise TypeError("factors: expected a list [u, W2, ..., a] of arrays (input to output)")
    if len(factors) < 2:
        raise ValueError(f"factors: expected at least 2 factors (depth L = len(factors) >= 2), got {len(factors)}")
    last = len(factors) - 1
    checked = [real_array(factors[0], "factors[0] (u)", 1)]
    checked += [real_array(m, f"factors[{k}]", 2) for k, m in enumerate(factors[1:-1], start=1)]
    checked.append(real_array(factors[-1], f"factors[{last}] (a)", 1))
    widths = widths_of_factors(checked)
    return flatten_factors(checked), widths
