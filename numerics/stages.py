r"""Multi-stage loss curves of two-layer networks from small initialization (docs/mathematics.md#stages).

**Stage criterion.** Plateaus and descents are judged in log-time (the stages of a small-init
run have lengths spread over decades). Let

.. math::

    r_k = -\frac{d\log L}{d\log(k+1)} = -(k+1)\,\frac{d\log L_k}{dk}

(central differences), averaged over the window :math:`[k - h_k, k + h_k]`,
:math:`h_k = \lfloor \text{smooth}\cdot(k+1)/2\rfloor` (a fixed width in :math:`\log k`;
``smooth`` = 0.05 by default). An iteration is *descending* when :math:`r_k \ge \rho\max_j r_j`
(default :math:`\rho = 0.1`), *plateau* otherwise. Descending runs of fewer than 2 iterations are
ignored. Then

* initial plateau :math:`= [0, s_1)`, :math:`s_1` the start of the first descending run;
* initial descent :math:`= [s_1, e_1)`, that run;
* secondary plateau :math:`= [e_1, s_2)` up to the next descending run (or the end of the curve),
  provided it spans a factor ``min_plateau_ratio`` (1.5) in log-time: :math:`(s_2+1)/(e_1+1) \ge 1.5`.

On a synthetic curve :math:`\log L = \ell_0 - \sum_j\Delta_j S((k - c_j)/w_j)` (logistic :math:`S`)
the boundaries are the roots of :math:`(k+1)\sum_j (\Delta_j/w_j)S'(\cdot) = \rho\max`, which the
tests compute independently (root finding on the analytic rate).

**Plateau length.** Two-layer, :math:`a_k, w_k \sim N(0, \varepsilon^2)`, :math:`\alpha = 1`,
loss :math:`\frac1{2n}\sum_i (f(x_i) - y_i)^2`, activation with :math:`c = \sigma'(0) \ne 0`
(:math:`\sigma(0) = 0`). Near 0, :math:`f(x) \approx c\sum_k a_k\, w_k^\top\tilde x`, so
:math:`\partial L/\partial a_k \approx -c\, w_k^\top v'` and
:math:`\partial L/\partial w_k \approx -c\, a_k v'` with :math:`v' = \frac1n\sum_i y_i\tilde x_i`.
One GD step maps :math:`(a_k, w_k^\top\hat v)` by the matrix
:math:`\begin{pmatrix}1 & \eta c\|v'\| \\ \eta c\|v'\| & 1\end{pmatrix}`, whose growing eigenvalue is
:math:`1 + \eta|c|\|v'\|` (mode :math:`a_k + \mathrm{sign}(c)\,w_k^\top\hat v`). So
:math:`f \propto \varepsilon^2(1+\eta|c|\|v'\|)^{2k}` and the initial plateau ends at

.. math::

    k_1(\varepsilon) = \frac{\log(1/\varepsilon)}{\log(1 + \eta\,|\sigma'(0)|\,\|v'\|)} + C

(the :math:`\log(1/\varepsilon)` law of docs/mathematics.md#model for depth 2). The slope depends on
:math:`\sigma'(0)`: 1 for tanh and sin, 1/2 for ``sigmoid_shifted`` (:math:`= \tanh(z/2)`) and
``softplus_shifted`` (:math:`\sigma' = \mathrm{sigmoid}`), so their plateaus are about twice as long
(the fitted/predicted ratio 1.90 that a prediction with :math:`c = 1` gave for ``sigmoid_shifted``).
ReLU (no derivative at 0) and multiplicity > 1 (:math:`\sigma'(0) = 0`: no exponential growth at
leading order) have no such prediction and are refused.

**Amplitudes.** :math:`A_k = |a_k|\,\|w_k\|`; their empirical distribution moves most during the
descents: the 1-d Wasserstein distance between consecutive snapshots
(:func:`scipy.stats.wasserstein_distance`) tracks it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from numerics.fit import fit_slope

from numerics.two_layer import (
    _check_finite,
    _augment,
    init_two_layer,
    neuron_amplitudes,
    phase_dataset,
    train_two_layer,
    TwoLayerRun,
)

__all__ = [
    "descent_rate",
    "Stages",
    "detect_stages",
    "predicted_plateau_slope",
    "amplitude_distributions",
    "wasserstein_series",
    "small_init_run",
    "plateau_length_law",
    "PlateauLengthLaw",
]


def _loss_array(loss: Sequence[float]) -> np.ndarray:
    arr = np.asarray(loss, dtype=float)
    if arr.ndim != 1 or arr.size < 8:
        raise ValueError(f"loss: need a 1-d loss curve with at least 8 values, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise ValueError("loss: values must be finite and > 0 (the criterion uses log L)")
    return arr


def _window_average(values: np.ndarray, smooth: float) -> np.ndarray:
    """Average of ``values`` over ``[k - h_k, k + h_k]``, ``h_k = floor(smooth * (k + 1) / 2)``."""
    n = values.size
    k = np.arange(n)
    half = np.floor(smooth * (k + 1) / 2).astype(int)
    lo = np.maximum(k - half, 0)
    hi = np.minimum(k + half + 1, n)
    cumulative = np.concatenate([[0.0], np.cumsum(values)])
    return (cumulative[hi] - cumulative[lo]) / (hi - lo)


def descent_rate(loss: Sequence[float], smooth: float = 0.05) -> np.ndarray:
    r"""Smoothed :math:`r_k = -d\log L/d\log(k+1)` (module docstring)."""
    arr = _loss_array(loss)
    smooth = _check_finite("smooth", smooth)
    if not 0 <= smooth <= 1:
        raise ValueError(f"smooth: must be in [0, 1], got {smooth}")
    k = np.arange(arr.size)
    return _window_average(-(k + 1) * np.gradient(np.log(arr)), smooth)


@dataclass
class Stages:
    """Stage boundaries (iteration indices, half-open ``[start, end)``) of a loss curve.

    ``secondary_plateau`` is ``None`` when the plateau after the initial descent spans less than
    the factor ``min_plateau_ratio`` in log-time (module docstring); ``descents`` lists every
    descending run found.
    """

    initial_plateau: tuple[int, int]
    initial_descent: tuple[int, int] | None
    secondary_plateau: tuple[int, int] | None
    descents: list[tuple[int, int]]
    rate: np.ndarray = field(repr=False)
    threshold: float = 0.0

    @property
    def plateau_length(self) -> int:
        return self.initial_plateau[1] - self.initial_plateau[0]

    @property
    def secondary_plateau_length(self) -> int | None:
        return None if self.secondary_plateau is None else self.secondary_plateau[1] - self.secondary_plateau[0]

    def as_dict(self) -> dict:
        return {
            "initial_plateau": list(self.initial_plateau),
            "initial_descent": None if self.initial_descent is None else list(self.initial_descent),
            "secondary_plateau": None if self.secondary_plateau is None else list(self.secondary_plateau),
            "descents": [list(d) for d in self.descents],
            "threshold": self.threshold,
        }


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()))


def detect_stages(
    loss: Sequence[float], *, rho: float = 0.1, smooth: float = 0.05, min_plateau_ratio: float = 1.5
) -> Stages:
    r"""Initial plateau, initial descent and secondary plateau of ``loss`` (criterion in the module
    docstring; ``loss[k]`` is the loss at iteration ``k``)."""
    arr = _loss_array(loss)
    n = arr.size
    rho = _check_finite("rho", rho)
    if not 0 < rho < 1:
        raise ValueError(f"rho: must be in (0, 1), got {rho}")
    min_plateau_ratio = _check_finite("min_plateau_ratio", min_plateau_ratio)
    if min_plateau_ratio < 1:
        raise ValueError(f"min_plateau_ratio: must be >= 1, got {min_plateau_ratio}")
    rate = descent_rate(arr, smooth)
    peak = float(rate.max())
    if peak <= 0:
        return Stages((0, n), None, None, [], rate, 0.0)
    threshold = rho * peak
    descents = [(s, e) for s, e in _runs(rate >= threshold) if e - s >= 2]
    if not descents:
        return Stages((0, n), None, None, [], rate, threshold)
    first = descents[0]
    end_next = descents[1][0] if len(descents) > 1 else n
    long_enough = (end_next + 1) / (first[1] + 1) >= min_plateau_ratio
    secondary = (first[1], end_next) if long_enough and end_next > first[1] else None
    return Stages((0, first[0]), first, secondary, descents, rate, threshold)


def predicted_plateau_slope(X: np.ndarray, y: np.ndarray, lr: float, activation="tanh") -> float:
    r""":math:`dk_1/d\log(1/\varepsilon) = 1/\log(1 + \eta\,|\sigma'(0)|\,\|v'\|)`,
    :math:`v' = \frac1n\sum_i y_i\tilde x_i` (bias appended), :math:`\alpha = 1` (derivation in the
    module docstring). :math:`\sigma'(0)` comes from the activation's SymPy expression
    (``numerics.plateau._activation_slope``, shared with the deep-network prediction); non-smooth activations (ReLU) and
    :math:`\sigma'(0) = 0` raise ``ValueError`` naming ``activation``."""
    from numerics.plateau import _activation_slope as activation_slope

    X1 = _augment(X)
    y = np.asarray(y, dtype=float)
    if y.shape != (X1.shape[0],):
        raise ValueError(f"y: must have shape ({X1.shape[0]},) to match X, got {y.shape}")
    if not (np.all(np.isfinite(X1)) and np.all(np.isfinite(y))):
        raise ValueError("X, y: must be finite")
    lr = _check_finite("lr", lr)
    if lr <= 0:
        raise ValueError(f"lr: must be > 0, got {lr}")
    slope = abs(activation_slope(activation))
    v = X1.T @ y / X1.shape[0]
    norm = float(np.linalg.norm(v))
    if norm == 0.0:
        raise ValueError("X, y: v' = (1/n) sum_i y_i x~_i is zero: no target direction, the plateau never ends")
    return 1.0 / math.log1p(lr * slope * norm)


def amplitude_distributions(run: TwoLayerRun) -> tuple[np.ndarray, list[np.ndarray]]:
    r"""Iterations and amplitudes :math:`|a_k|\,\|w_k\|` of every snapshot of ``run``."""
    if not run.snapshots:
        raise ValueError("run: has no snapshots (train with record_every > 0)")
    steps = np.asarray(run.record_steps)
    return steps, [neuron_amplitudes(a, W) for W, a in run.snapshots]  # snapshots [W, a], input to output


def wasserstein_series(distributions: Sequence[np.ndarray]) -> np.ndarray:
    r""":math:`W_1(\mu_j, \mu_{j+1})` between consecutive empirical distributions
    (:func:`scipy.stats.wasserstein_distance`); length ``len(distributions) - 1``."""
    from scipy.stats import wasserstein_distance

    if len(distributions) < 2:
        raise ValueError("distributions: need at least two snapshots")
    return np.array([wasserstein_distance(p, q) for p, q in zip(distributions[:-1], distributions[1:])])


def small_init_run(
    epsilon: float,
    *,
    m: int = 50,
    lr: float = 0.2,
    steps: int = 6000,
    record_every: int = 0,
    record_steps=None,
    activation: str = "tanh",
    dataset: str = "staircase",
    seed: int = 0,
) -> TwoLayerRun:
    r"""Train :math:`f = \sum_k a_k\sigma(w_k^\top\tilde x)` (:math:`\alpha = 1`) from
    :math:`a_k, w_k \sim N(0, \varepsilon^2)` by GD with fixed step ``lr`` (halved if the loss rises)."""
    epsilon = _check_finite("epsilon", epsilon)
    if not 0 < epsilon < 1:
        raise ValueError(f"epsilon: must be in (0, 1), got {epsilon}")
    X, y = phase_dataset(dataset)
    a0, W0 = init_two_layer(m, X.shape[1], epsilon, epsilon, seed, antisymmetric=False)
    return train_two_layer(
        X, y, a0, W0, 1.0, activation=activation, lr=lr, lr_mode="fixed", max_steps=steps,
        record_every=record_every, record_steps=record_steps, patience=steps + 1,
    )


@dataclass
class PlateauLengthLaw:
    """Initial-plateau lengths against :math:`\\log(1/\\varepsilon)` and the predicted slope."""

    epsilons: np.ndarray
    plateau_lengths: np.ndarray
    fitted_slope: float
    predicted_slope: float

    @property
    def ratio(self) -> float:
        return self.fitted_slope / self.predicted_slope


def plateau_length_law(
    epsilons: Sequence[float], *, lr: float = 0.2, dataset: str = "staircase", **run_options
) -> PlateauLengthLaw:
    r"""Run :func:`small_init_run` for each :math:`\varepsilon`, detect the initial plateau, fit its
    length against :math:`\log(1/\varepsilon)` and compare with :func:`predicted_plateau_slope`."""
    eps = np.asarray(epsilons, dtype=float)
    if eps.ndim != 1 or eps.size < 2 or np.unique(eps).size < 2:
        raise ValueError("epsilons: need at least two distinct values in (0, 1)")
    X, y = phase_dataset(dataset)
    predicted = predicted_plateau_slope(X, y, lr, run_options.get("activation", "tanh"))  # checked before training
    lengths = []
    for e in eps:
        run = small_init_run(float(e), lr=lr, dataset=dataset, **run_options)
        lengths.append(detect_stages(run.losses).plateau_length)
    lengths = np.array(lengths, dtype=float)
    slope = fit_slope(np.log(1.0 / eps), lengths)  # numerics.fit, the one line fit
    return PlateauLengthLaw(eps, lengths, slope, predicted)
