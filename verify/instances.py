r"""Deterministic test instances (seeded NumPy draws) shared by the checks and the strategies."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from numerics.init import gaussian_arrays, network_shapes as _network_shapes
from numerics.state import (  # noqa: F401  (re-exported for the checks)
    factor_shapes,
    factors_energy as chain_energy,
    flatten_factors,
    state_dimension,
    unflatten_factors,
)

#: :math:`\max_{\|y\|=1} E = 1/(3\sqrt3)` for depth 3 (docs/mathematics.md#blow-up).
MAX_ENERGY_RATIO = 1.0 / (3.0 * np.sqrt(3.0))
_SEED_MODULUS = 2**32

# The state layout and its two conversions live in numerics.state (built on theory.reduced);
# they are re-exported here for the checks. Factors are input to output, [u, W^2, ..., a].
flatten_state = flatten_factors
split_state = unflatten_factors


def depth3_named(factors: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(a, W, u)`` by name from depth-3 factors ``[u, W, a]`` (the argument order of
    ``numerics.blowup_time`` and of the depth-3 measures)."""
    if len(factors) != 3:
        raise ValueError(f"factors: expected depth-3 factors [u, W, a], got {len(factors)} factors")
    u, W, a = factors
    return a, W, u


def network_shapes(input_dim: int, hidden_widths: Sequence[int]) -> list[tuple[int, ...]]:
    """Shapes of the weights ``[W1, ..., W^{L-1}, a]`` (input to output)."""
    return _network_shapes((int(input_dim), *(int(m) for m in hidden_widths)))


def energy_ratio(a, W, u) -> float:
    r""":math:`E/\|y\|^3 \in [-1/(3\sqrt3), 1/(3\sqrt3)]` for the depth-3 state ``(a, W, u)``."""
    norm = np.sqrt(np.sum(np.square(a)) + np.sum(np.square(W)) + np.sum(np.square(u)))
    return float(np.asarray(a) @ np.asarray(W) @ np.asarray(u) / norm**3)


def gaussian_reduced_factors(hidden_widths: Sequence[int], scale: float, seed: int) -> list[np.ndarray]:
    r"""Reduced factors ``[u, W^2, ..., a]`` (input to output) with i.i.d. N(0, scale²) entries: one
    draw of the flattened state ``y`` from :func:`numerics.init.gaussian_arrays`, then
    :func:`numerics.state.unflatten_factors` (so the same seed gives the same state whichever way
    it is viewed)."""
    (y,) = gaussian_arrays([(state_dimension(hidden_widths),)], scale, seed)
    return unflatten_factors(y, hidden_widths)


def positive_energy_factors(hidden_widths: Sequence[int], seed: int, min_energy_ratio: float = 1e-3,
                            scale: float = 1.0) -> list[np.ndarray]:
    r"""Reduced factors ``[u, W^2, ..., W^{L-1}, a]`` (input to output) with N(0, scale²) entries,
    :math:`E_0 > 0` (the sign of ``a`` is flipped if needed) and
    :math:`E_0 \ge` ``min_energy_ratio`` :math:`\cdot\|y_0\|^L`; draws with
    ``seed, seed + 1, ...`` until the ratio is met."""
    depth = len(tuple(hidden_widths)) + 1
    ceiling = depth ** (-depth / 2)  # max of E on the unit sphere (1/(3 sqrt 3) for L = 3)
    if not 0 <= min_energy_ratio < ceiling:
        raise ValueError(f"min_energy_ratio: must be in [0, {ceiling:.4f}) for depth {depth}, got {min_energy_ratio}")
    for attempt in range(1000):
        factors = gaussian_reduced_factors(hidden_widths, scale, (seed + attempt) % _SEED_MODULUS)
        if chain_energy(factors) < 0:
            factors[-1] = -factors[-1]
        norm = np.sqrt(sum(np.sum(f**2) for f in factors))
        if chain_energy(factors) >= max(min_energy_ratio, 1e-12) * norm**depth:
            return factors
    raise ValueError(f"min_energy_ratio: {min_energy_ratio} not reached in 1000 draws; lower it")


def positive_energy_state(m1: int, m2: int, seed: int, min_energy_ratio: float = 1e-3,
                          scale: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""A depth-3 state ``(a, W, u)`` (the argument order of ``numerics.blowup_time``) with
    N(0, scale²) entries, :math:`E_0 > 0` and :math:`E_0 \ge` ``min_energy_ratio``
    :math:`\|y_0\|^3` (:func:`positive_energy_factors`)."""
    u, W, a = positive_energy_factors((m1, m2), seed, min_energy_ratio, scale)
    return a, W, u


def reduced_from_weights(weights: Sequence[np.ndarray], v, scale: float = 1.0) -> list[np.ndarray]:
    r"""Reduced factors ``[u, W^2, ..., W^{L-1}, a]`` (input to output) of network weights
    ``[W1, W^2, ..., a]``: :math:`u = W^1 v` (unit :math:`v`), the other factors as they are,
    every factor divided by ``scale`` (pass :math:`\varepsilon` for the normalized
    :math:`\bar\theta`, docs/mathematics.md#model)."""
    if len(weights) < 2:
        raise ValueError(f"weights: need depth >= 2, got {len(weights)} arrays")
    v = np.asarray(v, dtype=float).ravel()
    v = v / np.linalg.norm(v)
    W1 = np.asarray(weights[0], dtype=float)
    if W1.shape[1] != v.size:
        raise ValueError(f"v: expected length {W1.shape[1]} (input dimension), got {v.size}")
    factors = [W1 @ v] + [np.asarray(w, dtype=float) for w in weights[1:]]
    return [f / scale for f in factors]


def approach_grid(t_star: float, fraction: float, n_linear: int = 40, n_geometric: int = 20) -> np.ndarray:
    r"""Times in :math:`[0, f T^*]`: uniform up to :math:`T^*/2`, then geometric in
    :math:`T^* - \tau` down to :math:`(1-f)T^*` (dense where the solution grows)."""
    if not 0 < fraction < 1:
        raise ValueError(f"fraction: must be in (0, 1), got {fraction}")
    head = np.linspace(0.0, 0.5 * t_star, n_linear, endpoint=False)
    gaps = np.geomspace(0.5, 1.0 - fraction, n_geometric) * t_star
    return np.concatenate([head, t_star - gaps])


def integrate_at(a, W, u, times, rtol: float = 1e-12, atol: float = 1e-14) -> np.ndarray:
    r"""Flattened states :math:`y(\tau)` of the effective flow (``numerics.integrate_effective``)
    at the increasing ``times``; ``RuntimeError`` with the solver's message if it fails."""
    import numerics

    times = np.asarray(times, dtype=float)
    traj = numerics.integrate_effective(a, W, u, float(times[-1]), t_eval=times, rtol=rtol, atol=atol)
    if not traj.success or len(traj.t) != len(times):
        raise RuntimeError(f"integrate_effective failed before tau = {times[-1]:.6g}: {traj.message}")
    return np.asarray(traj.y)


def blowup_time_of(a, W, u) -> float:
    r""":math:`T^*` from ``numerics.blowup_time``; ``RuntimeError`` with the solver's reason when the
    state does not blow up (then no check that needs :math:`T^*` applies)."""
    import numerics

    result = numerics.blowup_time(a, W, u)
    if not result.blew_up or not np.isfinite(result.t_star):
        raise RuntimeError(f"blowup_time: the state does not blow up: {getattr(result, 'diagnostics', '')}")
    return float(result.t_star)
