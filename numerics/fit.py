r"""The one least-squares line fit behind every slope in the project.

:func:`fit_line` fits :math:`y = s\,x + c` by least squares and returns the slope :math:`s`, the
intercept :math:`c` and the standard error of the slope,

.. math:: \operatorname{se}(s) = \sqrt{\frac{\sum_i r_i^2/(n-2)}{\sum_i (x_i - \bar x)^2}},
          \qquad r_i = y_i - s x_i - c,

(``nan`` when :math:`n = 2`). The other fits are this one in other coordinates:

* :func:`fit_slope` — the slope alone (plateau lengths against :math:`\log(1/\varepsilon)`, ...);
* :func:`fit_power` — :math:`\log y = s\log x + c`, i.e. :math:`y \approx e^c x^s` (the phase
  diagram's :math:`\mathrm{RD} \propto m^s`, log–log slopes of the figures);
* :func:`observed_order` — the order :math:`p` of :math:`\text{error} \approx C h^p`.

Inputs must be finite 1-d arrays of one length with at least two distinct ``x``; ``ValueError``
names the argument otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["LineFit", "fit_line", "fit_slope", "fit_power", "observed_order"]


@dataclass(frozen=True)
class LineFit:
    """Least-squares line ``y = slope * x + intercept`` with the standard error of the slope."""

    slope: float
    intercept: float
    stderr: float


def fit_line(x, y, *, names: tuple[str, str] = ("x", "y")) -> LineFit:
    """Least-squares line through the points ``(x_i, y_i)`` (module docstring)."""
    xname, yname = names
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.shape != y.shape or x.ndim != 1 or x.size < 2:
        raise ValueError(f"{xname}, {yname}: need two 1-d arrays of the same length >= 2, got shapes {x.shape} and {y.shape}")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError(f"{xname}, {yname}: must be finite")
    if np.unique(x).size < 2:
        raise ValueError(f"{xname}: needs at least two distinct values to fit a slope")
    design = np.vstack([x, np.ones_like(x)]).T
    (slope, intercept), *_ = np.linalg.lstsq(design, y, rcond=None)
    dof = x.size - 2
    if dof > 0:
        resid = y - design @ np.array([slope, intercept])
        stderr = float(np.sqrt(resid @ resid / dof / np.sum((x - x.mean()) ** 2)))
    else:
        stderr = float("nan")
    return LineFit(float(slope), float(intercept), stderr)


def fit_slope(x, y) -> float:
    """Least-squares slope of ``y`` against ``x`` (:func:`fit_line`)."""
    return fit_line(x, y).slope


def fit_power(x, y, *, names: tuple[str, str] = ("x", "y")) -> LineFit:
    r"""Least-squares fit :math:`\log y = s \log x + c` (both positive): :func:`fit_line` on the logarithms."""
    xname, yname = names
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.shape != y.shape:
        raise ValueError(f"{xname}, {yname}: need arrays of the same shape, got {x.shape} and {y.shape}")
    if np.any(~np.isfinite(x)) or np.any(~np.isfinite(y)) or np.any(x <= 0) or np.any(y <= 0):
        raise ValueError(f"{xname}, {yname}: must be positive and finite (log-log fit)")
    return fit_line(np.log(x), np.log(y), names=names)


def observed_order(h, errors) -> float:
    r"""Observed order :math:`p` of :math:`\text{error} \approx C h^p`: the least-squares slope of
    :math:`\log(\text{error})` against :math:`\log h` (errors must be positive)."""
    h = np.asarray(h, dtype=float)
    errors = np.asarray(errors, dtype=float)
    if np.any(h <= 0) or np.any(errors <= 0):
        raise ValueError("h, errors: must be positive to take logarithms")
    return fit_power(h, errors, names=("h", "errors")).slope
