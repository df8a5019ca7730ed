r"""Built-in data sets, and the target direction :math:`v' = \frac1n\sum_i y_i x_i` (docs/mathematics.md#model).

* ``"default"`` — the report's example (the setting of docs/mathematics.md#blow-up: ``n = 40``, ``d = 3``):
  inputs :math:`x_i \sim \mathcal N(0, I_d)` (seeded), target
  :math:`y_i = \sin(\beta^\top x_i)` with :math:`\beta = (1, \dots, 1)/\sqrt d`.  For Gaussian inputs
  :math:`\mathbb E[y x] = e^{-1/2}\beta \ne 0`, so :math:`v'` points close to :math:`\beta`.
* ``"linear"`` — same inputs, :math:`y_i = \beta^\top x_i` (a teacher the network can fit exactly
  to first order; handy for convergence tests).
* ``"1d"`` — one-dimensional inputs for two-layer feature maps (docs/mathematics.md#one-dimensional-features): ``n`` points
  evenly spaced on :math:`[-1, 1]` plus a seeded jitter of at most a quarter spacing,
  :math:`y = \sin(\pi x)`; :math:`v' = \frac1n\sum_i y_i x_i > 0`.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np

__all__ = ["DATASET_NAMES", "make_dataset", "data_direction"]

DATASET_NAMES: tuple[str, ...] = ("default", "linear", "1d")


def _check_int(value, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name}: expected an int >= {minimum}, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name}: must be an int >= {minimum}, got {value}")
    return int(value)


def make_dataset(name: str = "default", n: int = 40, d: int | None = None, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    r"""Return ``(X, y)`` with ``X`` of shape ``(n, d)`` and ``y`` of shape ``(n,)`` (see module doc).

    ``d`` defaults to 3 (``"default"``, ``"linear"``) and must be 1 (or ``None``) for ``"1d"``.
    Same ``seed`` → same data.
    """
    if name not in DATASET_NAMES:
        raise ValueError(f"name: unknown data set {name!r}; allowed: {', '.join(DATASET_NAMES)}")
    n = _check_int(n, "n", 1)
    seed = _check_int(seed, "seed", 0)
    rng = np.random.default_rng(seed)
    if name == "1d":
        if d not in (None, 1):
            raise ValueError(f"d: the '1d' data set has d = 1, got d = {d}")
        grid = np.linspace(-1.0, 1.0, n) if n > 1 else np.array([0.5])
        spacing = 2.0 / max(n - 1, 1)
        x = grid + rng.uniform(-0.25 * spacing, 0.25 * spacing, size=n)
        return x[:, None], np.sin(np.pi * x)
    d = 3 if d is None else _check_int(d, "d", 1)
    X = rng.standard_normal((n, d))
    projection = X @ (np.ones(d) / np.sqrt(d))
    y = np.sin(projection) if name == "default" else projection
    return X, y


def data_direction(X, y, *, rtol: float = 1e-12) -> tuple[np.ndarray, np.ndarray]:
    r"""Return :math:`(v', v)` with :math:`v' = \frac1n\sum_i y_i x_i` and :math:`v = v'/\|v'\|`
    (docs/mathematics.md#model).

    Raises ``ValueError`` when :math:`\|v'\| \le` ``rtol`` :math:`\cdot\,\mathrm{rms}(y)\,\mathrm{rms}(X)`:
    there is then no target direction and the leading-order effective model
    :math:`E = a^\top W^{L-1}\cdots W^1 v` is degenerate.
    """
    from numerics.training import check_data

    X, y = check_data(X, y)
    v_prime = X.T @ y / X.shape[0]
    norm = float(np.linalg.norm(v_prime))
    size = float(np.sqrt(np.mean(y**2)) * np.sqrt(np.mean(X**2)))
    if not norm > rtol * size or norm == 0.0:
        raise ValueError(
            f"X, y: v' = (1/n) sum_i y_i x_i is zero (|v'| = {norm:.3g}): no target direction: "
            "the effective model is degenerate (the leading-order dynamics does not move)"
        )
    return v_prime, v_prime / norm
