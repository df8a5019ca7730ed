r"""Pure measures on states and trajectories used by the checks (no integration, no training).

Everything here is a function of arrays, so a user can apply it to their own trajectories.
Conventions (README "Public API"): a reduced state of depth :math:`L` is the list of factors
*input to output* ``[u, W^2, ..., W^{L-1}, a]`` with :math:`u = W^1 v` (like a network's
``weights``; :mod:`numerics.state` converts to and from the flattened state), and
:math:`E = a^\top W^{L-1}\cdots W^2 u`. Depth-3 measures take ``(a, W, u)`` by name.

Each measure is the numeric side of a statement in ``theory/`` (docs/architecture.md):
:func:`balance_matrices` of :func:`theory.conservation.conservation_laws`, the final-stage
measures of :mod:`theory.final_stage`.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from numerics.fit import fit_slope, observed_order  # noqa: F401  (the one slope fit, re-exported)
from numerics.state import widths_of_factors

# ---------------------------------------------------------------------------------------------
# Conservation laws (docs/mathematics.md#conservation-laws)
# ---------------------------------------------------------------------------------------------


def _as_matrices(factors: Sequence[np.ndarray]) -> list[np.ndarray]:
    r"""Factors ``[u, W^2, ..., a]`` as matrices :math:`F_1, \dots, F_L` with
    :math:`E = F_L F_{L-1}\cdots F_1`: ``u`` becomes the column :math:`F_1 = u`, ``a`` the row
    :math:`F_L = a^\top`."""
    if len(factors) < 2:
        raise ValueError(f"factors: need at least 2 factors [u, ..., a], got {len(factors)}")
    try:
        widths_of_factors(list(factors))
    except ValueError as exc:
        raise ValueError(f"factors: shapes {[np.shape(f) for f in factors]} do not chain input to output ({exc})") from None
    mats = [np.asarray(factors[0], dtype=float).reshape(-1, 1)]
    mats += [np.asarray(f, dtype=float) for f in factors[1:-1]]
    mats.append(np.asarray(factors[-1], dtype=float).reshape(1, -1))
    return mats


def balance_matrices(factors: Sequence[np.ndarray]) -> list[np.ndarray]:
    r"""The conserved balance matrices of the reduced state ``[u, W^2, ..., a]``, evaluated
    numerically (the symbolic statement is :func:`theory.conservation.conservation_laws`).

    With :math:`E = F_L\cdots F_1` (:math:`F_1 = u`, :math:`F_L = a^\top`) the flow
    :math:`\dot F_k = \partial E/\partial F_k` conserves

    .. math:: C_k = F_{k+1}^\top F_{k+1} - F_k F_k^\top, \qquad k = 1,\dots,L-1,

    listed input to output ``[C_1, ..., C_{L-1}]``; for depth 3 :math:`C_1 = W^\top W - u u^\top`
    and :math:`C_2 = a a^\top - W W^\top`. The diagonals are the per-neuron laws
    (:math:`\|W_{:,j}\|^2 - u_j^2` and :math:`a_i^2 - \|W_{i,:}\|^2`).
    """
    mats = _as_matrices(factors)
    return [upper.T @ upper - lower @ lower.T for lower, upper in zip(mats, mats[1:])]


def state_norm_squared(factors: Sequence[np.ndarray]) -> float:
    r""":math:`\|y\|^2`, the squared Euclidean norm of the flattened state."""
    return float(sum(np.sum(np.asarray(f, dtype=float) ** 2) for f in factors))


def conservation_drift(trajectory: Sequence[Sequence[np.ndarray]]) -> dict:
    r"""Drift of the conservation laws along a trajectory, relative to the state's size.

    For states :math:`y(\tau_0), y(\tau_1), \dots` (each a factor list ``[u, ..., a]``) returns

    .. math:: \delta = \max_t \max_k \frac{\|C_k(y(t)) - C_k(y(\tau_0))\|_F}{\|y(t)\|^2},

    (``"relative_drift"``), the same restricted to the diagonals (``"per_neuron_drift"``), and the
    per-time values (``"per_time"``). Each :math:`C_k` is quadratic in the state, so round-off in
    forming it is :math:`O(u_{\text{mach}}\|y\|^2)`: :math:`\delta` at round-off level means the
    laws hold to machine precision even as :math:`\|y\| \to \infty`.
    """
    if len(trajectory) < 1:
        raise ValueError("trajectory: need at least one state")
    initial = balance_matrices(trajectory[0])
    per_time, per_neuron = [], []
    for state in trajectory:
        laws = balance_matrices(state)
        scale = state_norm_squared(state)
        if not np.isfinite(scale) or scale <= 0:
            raise ValueError("trajectory: states must be finite and non-zero")
        per_time.append(max(np.linalg.norm(c - c0) for c, c0 in zip(laws, initial)) / scale)
        per_neuron.append(
            max(np.max(np.abs(np.diag(c) - np.diag(c0))) for c, c0 in zip(laws, initial)) / scale
        )
    return {
        "relative_drift": float(max(per_time)),
        "per_neuron_drift": float(max(per_neuron)),
        "per_time": np.asarray(per_time),
    }


# ---------------------------------------------------------------------------------------------
# Final-stage condition (theory.final_stage; docs/mathematics.md#final-stage) — depth 3
# ---------------------------------------------------------------------------------------------


def _depth3(a, W, u) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    a = np.asarray(a, dtype=float).ravel()
    u = np.asarray(u, dtype=float).ravel()
    W = np.asarray(W, dtype=float)
    if W.shape != (a.size, u.size):
        raise ValueError(f"W: expected shape (len(a), len(u)) = {(a.size, u.size)}, got {W.shape}")
    return a, W, u


def energy_terms(a, W, u) -> np.ndarray:
    r"""The terms :math:`t_{ij} = a_i W_{ij} u_j` of :math:`E = a^\top W u = \sum_{ij} t_{ij}`."""
    a, W, u = _depth3(a, W, u)
    return a[:, None] * W * u[None, :]


def final_stage_holds(a, W, u) -> bool:
    r"""The final-stage sign condition (docs/mathematics.md#final-stage): every term of :math:`E` is positive,

    .. math:: a_i\,W_{ij}\,u_j > 0 \quad \text{for all } i, j,

    equivalently :math:`\operatorname{sign} W = \operatorname{sign}(a)\operatorname{sign}(u)^\top`
    entrywise with no zero entry. It is forward invariant under :math:`a' = Wu`,
    :math:`W' = au^\top`, :math:`u' = W^\top a`: each right-hand side then has the sign of the
    coordinate it moves, so every :math:`|a_i|, |W_{ij}|, |u_j|` increases (the statement and its
    symbolic proof: :func:`theory.final_stage.final_stage_theorem`).
    """
    return bool(np.all(energy_terms(a, W, u) > 0))


def final_stage_fraction(a, W, u) -> float:
    r"""Fraction of positive terms, :math:`\#\{(i,j): a_iW_{ij}u_j > 0\}/(m_1 m_2) \in [0, 1]`
    (the count behind the paper's Fig. 2 "sum of positive numbers", normalized); equals 1
    exactly when :func:`final_stage_holds`."""
    return float(np.mean(energy_terms(a, W, u) > 0))


def final_stage_weighted(a, W, u) -> float:
    r"""Continuous closeness to the final-stage condition,

    .. math:: \rho = \frac{\sum_{ij} \max(t_{ij}, 0)}{\sum_{ij} |t_{ij}|} \in [0, 1],
       \qquad t_{ij} = a_i W_{ij} u_j,

    scale invariant; :math:`\rho = 1` iff no term is negative and :math:`\rho > 1/2` iff
    :math:`E > 0`. Returns 0.5 for the zero state (no information)."""
    t = energy_terms(a, W, u)
    total = np.sum(np.abs(t))
    if total == 0:
        return 0.5
    return float(np.sum(np.clip(t, 0, None)) / total)


def first_index_holding(flags: Sequence[bool]) -> int | None:
    """Index of the first ``True`` in ``flags`` (``None`` when there is none)."""
    for k, flag in enumerate(flags):
        if flag:
            return k
    return None


def stays_true_after(flags: Sequence[bool], start: int | None) -> bool:
    """Whether ``flags[start:]`` are all ``True`` (forward invariance along a sampled trajectory)."""
    if start is None:
        return True
    return bool(np.all(np.asarray(flags[start:], dtype=bool)))


# ---------------------------------------------------------------------------------------------
# Condensation (docs/mathematics.md#final-stage)
# ---------------------------------------------------------------------------------------------


def row_abs_cosines(M, direction) -> np.ndarray:
    r""":math:`|\cos\angle(M_{k,:}, d)| = |M_{k,:}\cdot d|/(\|M_{k,:}\|\,\|d\|)` for every row
    (0 for a zero row)."""
    M = np.atleast_2d(np.asarray(M, dtype=float))
    d = np.asarray(direction, dtype=float).ravel()
    if M.shape[1] != d.size:
        raise ValueError(f"direction: expected length {M.shape[1]} (columns of M), got {d.size}")
    dn = np.linalg.norm(d)
    if dn == 0:
        raise ValueError("direction: must be non-zero")
    norms = np.linalg.norm(M, axis=1)
    dots = np.abs(M @ d) / dn
    return np.divide(dots, norms, out=np.zeros_like(dots), where=norms > 0)


def row_concentration(M) -> float:
    r"""Mean :math:`|\cos|` between distinct rows of :math:`M`,
    :math:`\frac{1}{m(m-1)}\sum_{k\ne l}|\cos\angle(M_{k,:}, M_{l,:})| \in [0, 1]` (1 for a layer
    condensed on one line; a zero row has cosine 0 with every row; 1 for a single row)."""
    M = np.atleast_2d(np.asarray(M, dtype=float))
    m = M.shape[0]
    if m < 2:
        return 1.0
    norms = np.linalg.norm(M, axis=1)
    unit = np.divide(M, norms[:, None], out=np.zeros_like(M), where=norms[:, None] > 0)
    cosines = np.abs(np.clip(unit @ unit.T, -1.0, 1.0))
    return float((cosines.sum() - np.trace(cosines)) / (m * (m - 1)))


def lift_first_layer(W1_initial, v, u) -> np.ndarray:
    r"""First layer along the effective flow (docs/mathematics.md#reduced-variables):
    :math:`W^1(\tau) = W^1(0)(I - vv^\top) + u(\tau)v^\top` with unit :math:`v`."""
    W1 = np.asarray(W1_initial, dtype=float)
    v = np.asarray(v, dtype=float).ravel()
    v = v / np.linalg.norm(v)
    u = np.asarray(u, dtype=float).ravel()
    return W1 - np.outer(W1 @ v, v) + np.outer(u, v)


def condensation_cosines(W1, W2, v, u) -> dict:
    r"""Cosines certifying condensation (docs/mathematics.md#final-stage): ``"first"`` the
    :math:`|\cos|` of the rows of :math:`W^1` with :math:`v`, ``"second"`` of the rows of
    :math:`W^2` with :math:`\hat u = u/\|u\|`; ``"measure"`` is
    :math:`\min(\min_k|\cos|)` over both layers (→ 1 for a condensed state)."""
    first = row_abs_cosines(W1, v)
    second = row_abs_cosines(W2, u)
    return {"first": first, "second": second, "measure": float(min(first.min(), second.min()))}
