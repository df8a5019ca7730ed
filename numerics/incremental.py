r"""Incremental learning of a vector-output network from small initialization (issue 12).

A depth-3 tanh network :math:`d`–:math:`m`–:math:`m`–:math:`k` is trained by full-batch GD on a
linear teacher :math:`y = Tx` of rank :math:`r` with whitened inputs (:math:`\frac1n\sum_ix_ix_i^\top = I`),
so :math:`M' = \frac1n\sum_iy_ix_i^\top = T = \sum_j s_j u_jv_j^\top`. GD learns the singular modes one
after another; the end-to-end map is read off its linearization :math:`P = AW^2W^1` (:math:`\sigma'(0) = 1`).

**Prediction (stage j).** To leading order the flow is that of :math:`E = \langle M', AW^2W^1\rangle`
(theory: the effective energy of the vector-output network). Projected on the mode
:math:`(u_j, v_j)`, :math:`E_j = s_j\,(u_j^\top A)\,W^2\,(W^1v_j)`, a scalar-output depth-3 chain energy;
neglecting the coupling of the modes through the shared :math:`W^2` while they are small, mode
:math:`j` blows up at :math:`T^*_j = T^*\big((u_j^\top\bar A, \bar W^2, \bar W^1v_j)\big)` in the time
:math:`\tau_j = \varepsilon s_j t`, i.e. it is learnt at iteration

.. math:: k_j = \frac{T^*_j}{\varepsilon\,s_j\,\eta},

so the stages come in the order of the singular values with onsets :math:`\propto 1/(\varepsilon s_j)`
(the :math:`T^*_j` differ by the random initial projections). :math:`T^*_j` is computed with the
deep-matrix-factorization blow-up code (:func:`numerics.matrix_factorization.effective_blowup`).
Observed: the iteration at which the :math:`j`-th singular value of :math:`P` reaches
:math:`s_j/2`, and the onsets of the descents of the loss found by :func:`numerics.stages.detect_stages`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from numerics.data import _check_int

__all__ = ["incremental_problem", "IncrementalRun", "incremental_learning", "predicted_stage_iterations"]


def incremental_problem(singular_values=(3.0, 2.0, 1.0), n: int = 200, d: int = 5, outputs: int = 5,
                        seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""``(X, Y, T)``: whitened Gaussian inputs (n, d), targets :math:`Y = XT^\top` (n, k) and the
    teacher :math:`T = U\,\mathrm{diag}(s)V^\top` (k, d) with Haar-random orthonormal :math:`U, V` (seeded)."""
    n, d, outputs = _check_int(n, "n", 2), _check_int(d, "d", 1), _check_int(outputs, "outputs", 1)
    s = np.asarray(singular_values, dtype=float)
    if s.ndim != 1 or s.size < 1 or s.size > min(d, outputs) or not np.all(s > 0) or np.any(np.diff(s) >= 0):
        raise ValueError(f"singular_values: need 1..min(d, outputs) = {min(d, outputs)} positive, strictly "
                         f"decreasing numbers, got {singular_values!r}")
    if n <= d:
        raise ValueError(f"n: need n > d = {d} samples to whiten the inputs, got {n}")
    rng = np.random.default_rng(_check_int(seed, "seed", 0))
    X = rng.standard_normal((n, d))
    X -= X.mean(axis=0)
    evals, evecs = np.linalg.eigh(X.T @ X / n)
    X = X @ evecs @ np.diag(evals ** -0.5) @ evecs.T
    left, _ = np.linalg.qr(rng.standard_normal((outputs, s.size)))
    right, _ = np.linalg.qr(rng.standard_normal((d, s.size)))
    T = (left * s) @ right.T
    return X, X @ T.T, T


def predicted_stage_iterations(weights, target, lr: float, epsilon: float) -> np.ndarray:
    r""":math:`k_j = T^*_j/(\varepsilon s_j\eta)` for every nonzero singular value of ``target``
    (module docstring); ``weights = [W1, W2, A]``, ``epsilon`` the scale they were drawn with."""
    from numerics.matrix_factorization import effective_blowup

    W1, W2, A = (np.asarray(w, dtype=float) for w in weights)
    left, s, right = np.linalg.svd(np.asarray(target, dtype=float))
    out = []
    for j in range(int(np.sum(s > 1e-12 * s[0]))):
        factors = [(W1 @ right[j])[:, None] / epsilon, W2 / epsilon, (left[:, j] @ A)[None, :] / epsilon]
        result = effective_blowup(factors, np.ones((1, 1)))
        out.append(result.t_star / (epsilon * s[j] * lr) if result.blew_up else math.inf)
    return np.asarray(out)


@dataclass
class IncrementalRun:
    """One run of :func:`incremental_learning`: ``loss``, ``record_steps`` and the singular values of
    the end-to-end map at each record (``singular_values``, rows), the teacher's ``target_singular_values``,
    ``learnt_at`` (first record where singular value j reaches half of s_j; ``nan`` if never),
    ``predicted`` (:func:`predicted_stage_iterations`), ``onsets`` (starts of the loss descents found
    by ``numerics.stages.detect_stages``), ``epsilon``, ``lr``."""

    loss: np.ndarray
    record_steps: np.ndarray
    singular_values: np.ndarray
    target_singular_values: np.ndarray
    learnt_at: np.ndarray
    predicted: np.ndarray
    onsets: list[int]
    epsilon: float
    lr: float
    details: dict = field(default_factory=dict)

    @property
    def ratios(self) -> np.ndarray:
        """Observed / predicted stage iteration per mode."""
        return self.learnt_at / self.predicted


def incremental_learning(epsilon: float = 1e-3, singular_values=(3.0, 2.0, 1.0), width: int = 100, n: int = 200,
                         d: int = 5, outputs: int = 5, lr: float = 0.05, steps: int | None = None,
                         records: int = 400, seed: int = 0) -> IncrementalRun:
    r"""Train the depth-3 tanh network on the rank-:math:`r` teacher of :func:`incremental_problem` from
    weights :math:`\mathcal N(0,\varepsilon^2)` and measure the stages (module docstring). ``steps``
    defaults to 1.6 times the predicted last stage."""
    from numerics.stages import detect_stages
    from numerics.training import train_network

    if isinstance(epsilon, bool) or not isinstance(epsilon, float | int) or not 0 < epsilon < 1:
        raise ValueError(f"epsilon: must be a number in (0, 1), got {epsilon!r}")
    X, Y, T = incremental_problem(singular_values, n, d, outputs, seed)
    rng = np.random.default_rng(seed + 1)
    width = _check_int(width, "width", 1)
    weights = [epsilon * rng.standard_normal(shape) for shape in [(width, d), (width, width), (outputs, width)]]
    M = Y.T @ X / n
    predicted = predicted_stage_iterations(weights, M, lr, epsilon)
    if steps is None:
        steps = int(1.6 * np.max(predicted[np.isfinite(predicted)])) + 100
    record_every = max(1, steps // _check_int(records, "records", 2))
    history = train_network(X, Y, weights, lr=lr, steps=steps, record_every=record_every)
    if history.diverged:
        raise ValueError(f"lr: training diverged ({history.message})")
    s = np.linalg.svd(M, compute_uv=False)[: len(predicted)]
    spectra = np.array([np.linalg.svd(w[2] @ w[1] @ w[0], compute_uv=False)[: len(s)] for w in history.snapshots])
    steps_rec = np.asarray(history.record_steps)
    learnt = np.full(len(s), np.nan)
    for j in range(len(s)):
        above = np.flatnonzero(spectra[:, j] >= 0.5 * s[j])
        learnt[j] = steps_rec[above[0]] if above.size else np.nan
    stages = detect_stages(history.loss)
    return IncrementalRun(np.asarray(history.loss), steps_rec, spectra, s, learnt, predicted,
                          [int(a) for a, _ in stages.descents], float(epsilon), float(lr),
                          {"width": width, "n": n, "d": d, "outputs": outputs, "seed": seed, "steps": steps})
