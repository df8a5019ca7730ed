r"""Deterministic test instances (seeded NumPy draws) shared by the checks and the strategies."""

from __future__ import annotations

from typing import Sequence

import numpy as np

#: :math:`\max_{\|y\|=1} E = 1/(3\sqrt3)` for depth 3 (theory-notes §4).
MAX_ENERGY_RATIO = 1.0 / (3.0 * np.sqrt(3.0))
_SEED_MODULUS = 2**32


def gaussian_factors(shapes: Sequence[tuple[int, ...]], seed: int, scale: float = 1.0) -> list[np.ndarray]:
    """Arrays of the given shapes with i.i.d. N(0, scale²) entries from ``default_rng(seed)``."""
    rng = np.random.default_rng(seed)
    return [scale * rng.standard_normal(shape) for shape in shapes]


def reduced_shapes(hidden_widths: Sequence[int]) -> list[tuple[int, ...]]:
    """Shapes of the reduced state ``[a, W^{L-1}, ..., W^2, u]`` for widths ``(m1, ..., m_{L-1})``."""
    ws = tuple(int(m) for m in hidden_widths)
    if len(ws) < 1 or min(ws) < 1:
        raise ValueError(f"hidden_widths: need at least one width, all >= 1, got {ws}")
    shapes: list[tuple[int, ...]] = [(ws[-1],)]
    shapes += [(ws[k], ws[k - 1]) for k in range(len(ws) - 1, 0, -1)]
    shapes.append((ws[0],))
    return shapes


def network_shapes(input_dim: int, hidden_widths: Sequence[int]) -> list[tuple[int, ...]]:
    """Shapes of the weights ``[W1, ..., W^{L-1}, a]`` (input to output)."""
    dims = (int(input_dim), *(int(m) for m in hidden_widths))
    return [(dims[k + 1], dims[k]) for k in range(len(dims) - 1)] + [(dims[-1],)]


def energy_ratio(a, W, u) -> float:
    r""":math:`E/\|y\|^3 \in [-1/(3\sqrt3), 1/(3\sqrt3)]` for the depth-3 state ``(a, W, u)``."""
    norm = np.sqrt(np.sum(np.square(a)) + np.sum(np.square(W)) + np.sum(np.square(u)))
    return float(np.asarray(a) @ np.asarray(W) @ np.asarray(u) / norm**3)


def chain_energy(factors: Sequence[np.ndarray]) -> float:
    r""":math:`E = a^\top W^{L-1}\cdots W^2 u` of a reduced state ``[a, W^{L-1}, ..., u]``."""
    value = np.asarray(factors[0], dtype=float)
    for f in factors[1:]:
        value = value @ np.asarray(f, dtype=float)
    return float(value)


def positive_energy_factors(hidden_widths: Sequence[int], seed: int, min_energy_ratio: float = 1e-3,
                            scale: float = 1.0) -> list[np.ndarray]:
    r"""A reduced state ``[a, W^{L-1}, ..., W^2, u]`` with N(0, scale²) entries,
    :math:`E_0 > 0` (the sign of ``a`` is flipped if needed) and
    :math:`E_0 \ge` ``min_energy_ratio`` :math:`\cdot\|y_0\|^L`; draws with
    ``seed, seed + 1, ...`` until the ratio is met."""
    depth = len(tuple(hidden_widths)) + 1
    ceiling = depth ** (-depth / 2)  # max of E on the unit sphere (theory-notes §4, 1/(3 sqrt 3) for L = 3)
    if not 0 <= min_energy_ratio < ceiling:
        raise ValueError(f"min_energy_ratio: must be in [0, {ceiling:.4f}) for depth {depth}, got {min_energy_ratio}")
    shapes = reduced_shapes(hidden_widths)
    for attempt in range(1000):
        factors = gaussian_factors(shapes, (seed + attempt) % _SEED_MODULUS, scale)
        if chain_energy(factors) < 0:
            factors[0] = -factors[0]
        norm = np.sqrt(sum(np.sum(f**2) for f in factors))
        if chain_energy(factors) >= max(min_energy_ratio, 1e-12) * norm**depth:
            return factors
    raise ValueError(f"min_energy_ratio: {min_energy_ratio} not reached in 1000 draws; lower it")


def positive_energy_state(m1: int, m2: int, seed: int, min_energy_ratio: float = 1e-3,
                          scale: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""A depth-3 state ``(a, W, u)`` with N(0, scale²) entries, :math:`E_0 > 0` and
    :math:`E_0 \ge` ``min_energy_ratio`` :math:`\|y_0\|^3` (:func:`positive_energy_factors`)."""
    a, W, u = positive_energy_factors((m1, m2), seed, min_energy_ratio, scale)
    return a, W, u


def reduced_from_weights(weights: Sequence[np.ndarray], v, scale: float = 1.0) -> list[np.ndarray]:
    r"""Reduced state ``[a, W^{L-1}, ..., W^2, u]`` of network weights ``[W1, ..., a]``:
    :math:`u = W^1 v` (unit :math:`v`), every factor divided by ``scale`` (pass :math:`\varepsilon`
    for the normalized :math:`\bar\theta`, theory-notes §1–§2)."""
    if len(weights) < 2:
        raise ValueError(f"weights: need depth >= 2, got {len(weights)} arrays")
    v = np.asarray(v, dtype=float).ravel()
    v = v / np.linalg.norm(v)
    W1 = np.asarray(weights[0], dtype=float)
    if W1.shape[1] != v.size:
        raise ValueError(f"v: expected length {W1.shape[1]} (input dimension), got {v.size}")
    inner = [np.asarray(w, dtype=float) for w in weights[1:-1]]
    factors = [np.asarray(weights[-1], dtype=float)] + inner[::-1] + [W1 @ v]
    return [f / scale for f in factors]


def split_state(y, hidden_widths: Sequence[int]) -> list[np.ndarray]:
    """Split a flattened state ``y = concat(a, W^{L-1}.ravel(), ..., u)`` into its factors."""
    y = np.asarray(y, dtype=float).ravel()
    shapes = reduced_shapes(hidden_widths)
    sizes = [int(np.prod(s)) for s in shapes]
    if y.size != sum(sizes):
        raise ValueError(f"y: expected length {sum(sizes)} for widths {tuple(hidden_widths)}, got {y.size}")
    out, start = [], 0
    for shape, size in zip(shapes, sizes):
        out.append(y[start:start + size].reshape(shape))
        start += size
    return out


def flatten_state(factors: Sequence[np.ndarray]) -> np.ndarray:
    """Inverse of :func:`split_state`."""
    return np.concatenate([np.asarray(f, dtype=float).ravel() for f in factors])


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
