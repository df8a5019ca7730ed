r"""Deep matrix factorization / completion from small initialization (docs/mathematics.md#matrix-factorization).

Factors are listed input to output like network weights, ``factors = [W1, W2, ..., WL]`` with
``W1`` of shape ``(k, n_cols)``, ``Wj`` ``(k, k)``, ``WL`` ``(n_rows, k)``, and the product
:math:`X = W^L \cdots W^1`.  Gradient descent on

.. math:: \mathcal L(W) = \tfrac12 \|P_\Omega(W^L\cdots W^1 - M)\|_F^2,\qquad
          \nabla_{W^j}\mathcal L = (W^L\cdots W^{j+1})^\top G\,(W^{j-1}\cdots W^1)^\top,\quad
          G = P_\Omega(X - M),

from :math:`W^j = \varepsilon\bar W^j` is, to leading order, the gradient ascent of the
**effective energy** :math:`E(W) = \langle P_\Omega(M), W^L\cdots W^1\rangle` in the time
:math:`\tau = \varepsilon^{L-2}t` (the residual is :math:`-P_\Omega(M) + O(\varepsilon^L)`).
:math:`E` is homogeneous of degree :math:`L` with :math:`\sum_j\langle W^j, \nabla_j E\rangle = LE`,
so for :math:`L \ge 3` its flow blows up at a finite :math:`T^*`, computed as in
``numerics.blowup`` (Stuart–Floater rescaling, docs/mathematics.md#blow-up) by :func:`effective_blowup`.
The limit direction maximizes :math:`E` on the unit sphere: every factor rank one, balanced,
with the product aligned with the top singular pair :math:`(u_1, v_1)` of :math:`P_\Omega(M)`,
:math:`E(\theta^*) = s_1 L^{-L/2}` (:math:`s_1` its top singular value) — the low-rank bias of deep
factorization is the condensation mechanism.  Training therefore leaves its plateau near
:math:`t = T^*(\bar W_0)/\varepsilon^{L-2}`.
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass, field
from numbers import Real

import numba
import numpy as np

from numerics.history import TrainingHistory
from numerics.init import gaussian_arrays
from scipy.integrate import solve_ivp

from numerics.data import _check_int

__all__ = [
    "FactorizationHistory",
    "FactorizationBlowup",
    "make_low_rank_matrix",
    "random_mask",
    "init_factors",
    "product",
    "factorization_loss",
    "factorization_gradient",
    "effective_energy",
    "effective_gradient",
    "alignment",
    "train_factorization",
    "train_factorization_numpy",
    "effective_blowup",
]


# ------------------------------------------------------------------------------------ helpers


def _check_positive(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name}: must be a finite real number > 0, got {value!r}")
    return float(value)


def _check_shape(shape) -> tuple[int, int]:
    try:
        rows, cols = shape
    except (TypeError, ValueError):
        raise ValueError(f"shape: expected (n_rows, n_cols), got {shape!r}") from None
    return _check_int(rows, "shape[0]", 1), _check_int(cols, "shape[1]", 1)


def make_low_rank_matrix(shape=(10, 10), rank: int = 2, seed: int = 0, singular_values=None) -> np.ndarray:
    r""":math:`M = U\,\mathrm{diag}(s)\,V^\top` with Haar-random orthonormal :math:`U, V` (seeded) and
    singular values ``singular_values`` (default :math:`s = (r, r-1, \dots, 1)\cdot\sqrt{n_{\rm rows}n_{\rm cols}}/r`,
    so entries are of order one)."""
    rows, cols = _check_shape(shape)
    rank = _check_int(rank, "rank", 1)
    if rank > min(rows, cols):
        raise ValueError(f"rank: must be <= min(shape) = {min(rows, cols)}, got {rank}")
    if singular_values is None:
        singular_values = np.arange(rank, 0, -1, dtype=float) * math.sqrt(rows * cols) / rank / math.sqrt(rank)
    singular_values = np.asarray(singular_values, dtype=float)
    if singular_values.shape != (rank,) or not np.all(np.isfinite(singular_values)):
        raise ValueError(f"singular_values: expected {rank} finite numbers, got {singular_values!r}")
    rng = np.random.default_rng(_check_int(seed, "seed", 0))
    left, _ = np.linalg.qr(rng.standard_normal((rows, rank)))
    right, _ = np.linalg.qr(rng.standard_normal((cols, rank)))
    return (left * singular_values) @ right.T


def random_mask(shape=(10, 10), fraction: float = 0.5, seed: int = 0) -> np.ndarray:
    """Boolean mask :math:`\\Omega`: each entry observed independently with probability ``fraction``
    (seeded; at least one entry observed)."""
    rows, cols = _check_shape(shape)
    if isinstance(fraction, bool) or not isinstance(fraction, Real) or not 0 < fraction <= 1:
        raise ValueError(f"fraction: must be a real number in (0, 1], got {fraction!r}")
    rng = np.random.default_rng(_check_int(seed, "seed", 0))
    mask = rng.random((rows, cols)) < fraction
    if not mask.any():
        mask[rng.integers(rows), rng.integers(cols)] = True
    return mask


def init_factors(shape, depth: int = 3, scale: float = 1e-3, seed: int = 0, inner_dim: int | None = None) -> list[np.ndarray]:
    r"""``[W1 (k, n_cols), W2 (k, k), ..., WL (n_rows, k)]`` with i.i.d. :math:`\mathcal N(0, \varepsilon^2)`
    entries, :math:`\varepsilon` = ``scale``, ``k = inner_dim`` (default ``max(shape)``); seeded
    (:func:`numerics.init.gaussian_arrays`, the one Gaussian family)."""
    rows, cols = _check_shape(shape)
    depth = _check_int(depth, "depth", 2)
    scale = _check_positive(scale, "scale")
    inner = max(rows, cols) if inner_dim is None else _check_int(inner_dim, "inner_dim", 1)
    shapes = [(inner, cols)] + [(inner, inner)] * (depth - 2) + [(rows, inner)]
    return gaussian_arrays(shapes, scale, _check_int(seed, "seed", 0))


def _check_problem(M, mask, factors):
    M = np.asarray(M, dtype=float)
    if M.ndim != 2 or 0 in M.shape:
        raise ValueError(f"M: expected a non-empty 2-d matrix, got shape {M.shape}")
    if not np.all(np.isfinite(M)):
        raise ValueError("M: contains NaN or infinite entries")
    mask = np.asarray(mask)
    if mask.shape != M.shape:
        raise ValueError(f"mask: expected shape {M.shape} like M, got {mask.shape}")
    if mask.dtype != bool:
        if not np.all(np.isin(mask, (0, 1))):
            raise ValueError("mask: expected a boolean (or 0/1) array")
        mask = mask.astype(bool)
    if isinstance(factors, np.ndarray) or len(factors) < 2:
        raise ValueError("factors: expected a list [W1, ..., WL] of at least 2 matrices")
    factors = [np.array(w, dtype=float) for w in factors]
    if any(w.ndim != 2 for w in factors):
        raise ValueError(f"factors: every factor must be a matrix, got shapes {[w.shape for w in factors]}")
    for j in range(1, len(factors)):
        if factors[j].shape[1] != factors[j - 1].shape[0]:
            raise ValueError(
                f"factors[{j}]: shape {factors[j].shape} does not chain with factors[{j - 1}] {factors[j - 1].shape}"
            )
    if (factors[-1].shape[0], factors[0].shape[1]) != M.shape:
        raise ValueError(
            f"factors: the product has shape {(factors[-1].shape[0], factors[0].shape[1])}, M has {M.shape}"
        )
    if not all(np.all(np.isfinite(w)) for w in factors):
        raise ValueError("factors: contain NaN or infinite entries")
    return M, mask, factors


# ---------------------------------------------------------------------------- loss, gradients


def product(factors) -> np.ndarray:
    r""":math:`X = W^L\cdots W^1`."""
    result = factors[0]
    for w in factors[1:]:
        result = w @ result
    return result


def _chain_gradient(factors, G) -> list[np.ndarray]:
    r""":math:`(W^L\cdots W^{j+1})^\top G (W^{j-1}\cdots W^1)^\top` for every :math:`j` (prefix/suffix products)."""
    depth = len(factors)
    below = [None] * depth  # below[j] = W^{j-1}...W^1 (None for j = 0)
    running = None
    for j in range(depth):
        below[j] = running
        running = factors[j] if running is None else factors[j] @ running
    grads = [None] * depth
    above = None  # W^L ... W^{j+1}
    for j in range(depth - 1, -1, -1):
        left = G if above is None else above.T @ G
        grads[j] = left if below[j] is None else left @ below[j].T
        above = factors[j] if above is None else above @ factors[j]
    return grads


def factorization_loss(factors, M, mask) -> float:
    r""":math:`\frac12\|P_\Omega(W^L\cdots W^1 - M)\|_F^2`."""
    residual = np.where(mask, product(factors) - M, 0.0)
    return 0.5 * float(np.sum(residual**2))


def factorization_gradient(factors, M, mask) -> list[np.ndarray]:
    r"""Gradient of :func:`factorization_loss` with respect to each factor (module docstring)."""
    return _chain_gradient(factors, np.where(mask, product(factors) - M, 0.0))


def effective_energy(factors, target) -> float:
    r""":math:`E = \langle P_\Omega(M), W^L\cdots W^1\rangle`; ``target`` is :math:`P_\Omega(M)`."""
    return float(np.sum(target * product(factors)))


def effective_gradient(factors, target) -> list[np.ndarray]:
    r""":math:`\nabla_{W^j} E = (W^L\cdots W^{j+1})^\top P_\Omega(M) (W^{j-1}\cdots W^1)^\top`."""
    return _chain_gradient(factors, np.asarray(target, dtype=float))


def alignment(matrix, target) -> tuple[float, float]:
    r""":math:`(|\langle u_1(X), u_1(T)\rangle|, |\langle v_1(X), v_1(T)\rangle|)`: cosines between the top
    singular vectors of ``matrix`` and of ``target`` (1 = aligned with the top singular pair)."""
    u_x, _, vt_x = np.linalg.svd(np.asarray(matrix, dtype=float))
    u_t, _, vt_t = np.linalg.svd(np.asarray(target, dtype=float))
    return abs(float(u_x[:, 0] @ u_t[:, 0])), abs(float(vt_x[0] @ vt_t[0]))


# --------------------------------------------------------------------------- gradient descent


@dataclass
class FactorizationHistory(TrainingHistory):
    r"""Result of :func:`train_factorization`: a :class:`numerics.history.TrainingHistory` (same
    field names as every trainer's; ``weights`` are the final factors ``[W1, ..., WL]``,
    ``activation`` is ``"linear"``) with, at ``record_steps``, the singular values of the product
    (``singular_values``, rows sorted decreasingly) and its alignment with the top singular pair of
    :math:`P_\Omega(M)` (``alignments``, pairs of cosines); ``snapshots`` only with
    ``keep_snapshots=True``. ``factors`` is kept as a read-only name for ``weights``."""

    singular_values: np.ndarray = field(default=None, kw_only=True)
    alignments: np.ndarray = field(default=None, kw_only=True)

    @property
    def factors(self) -> list[np.ndarray]:
        return self.weights

    def _display_rows(self):
        rows = super()._display_rows()
        if self.singular_values is not None and len(self.singular_values):
            rows.append(("final singular values", list(self.singular_values[-1][:4])))
        return rows


def _history(loss, record_steps, snapshots, factors, diverged, message, lr, steps, M, mask, start,
             singular, aligned) -> FactorizationHistory:
    r"""The history of both drivers; ``final_loss`` is :math:`\frac12\|P_\Omega(W^L\cdots W^1 - M)\|_F^2`
    of the final factors (non-finite after divergence)."""
    with np.errstate(over="ignore", invalid="ignore"):
        residual = np.where(mask, product(factors) - M, 0.0)
        final_loss = 0.5 * float(np.sum(residual * residual))
    return FactorizationHistory(
        loss=loss, record_steps=np.asarray(record_steps), snapshots=snapshots, weights=factors,
        diverged=diverged, message=message, lr=lr, activation="linear", steps=steps, final_loss=final_loss,
        wall_time=time.perf_counter() - start, singular_values=np.asarray(singular), alignments=np.asarray(aligned),
    )


@numba.njit(cache=True, error_model="numpy")
def _factor(params, offsets, shapes, j):
    return params[offsets[j] : offsets[j + 1]].reshape((shapes[j, 0], shapes[j, 1]))


@numba.njit(cache=True, error_model="numpy")
def _mf_kernel(params, offsets, shapes, M, mask, lr, n_steps, loss_out):  # pragma: no cover - compiled
    # GD on (1/2)||P_Omega(W_L...W_1 - M)||^2 over the flat factors; returns the steps done
    # (stops at the first non-finite loss, stored in loss_out and not followed by an update).
    depth = shapes.shape[0]
    grad = np.empty_like(params)
    for step in range(n_steps):
        below = [np.eye(shapes[0, 1])]  # below[j] = W_{j-1} ... W_1 (identity for j = 0)
        for j in range(depth - 1):
            below.append(_factor(params, offsets, shapes, j) @ below[j] if j > 0 else _factor(params, offsets, shapes, 0).copy())
        X = _factor(params, offsets, shapes, depth - 1) @ below[depth - 1]
        G = (X - M) * mask
        loss = 0.5 * np.sum(G * G)
        loss_out[step] = loss
        if not np.isfinite(loss):
            return step
        above = np.eye(shapes[depth - 1, 0])  # W_L ... W_{j+1}
        for j in range(depth - 1, -1, -1):
            left = above.T @ G
            g = left @ below[j].T if j > 0 else left
            grad[offsets[j] : offsets[j + 1]] = g.ravel()
            above = above @ _factor(params, offsets, shapes, j)
        params -= lr * grad
    return n_steps


def train_factorization(
    M,
    mask,
    factors,
    lr: float = 0.01,
    steps: int = 1000,
    record_every: int | None = None,
    *,
    keep_snapshots: bool = False,
    progress: bool = False,
) -> FactorizationHistory:
    r"""Gradient descent :math:`W^j \leftarrow W^j - \eta\nabla_{W^j}\mathcal L` on
    :math:`\mathcal L = \frac12\|P_\Omega(W^L\cdots W^1 - M)\|_F^2` (docs/mathematics.md#matrix-factorization), compiled with
    Numba (the steps between two records run in one kernel call; singular values and alignment
    are computed in NumPy at the records).  ``factors`` are not modified.  Stops with
    ``diverged=True`` at the first non-finite loss.  :func:`train_factorization_numpy` is the
    same iteration in plain NumPy (reference and benchmark baseline)."""
    M, mask, factors = _check_problem(M, mask, factors)
    lr = _check_positive(lr, "lr")
    steps = _check_int(steps, "steps", 1)
    record_every = max(1, steps // 100) if record_every is None else _check_int(record_every, "record_every", 1)
    target = np.where(mask, M, 0.0)
    shapes = np.array([w.shape for w in factors], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum([w.size for w in factors])]).astype(np.int64)
    params = np.concatenate([w.ravel() for w in factors])
    maskf = mask.astype(float)
    loss = np.empty(steps)
    record_steps, singular, aligned, snapshots = [], [], [], []
    start = time.perf_counter()

    def current():
        return [params[offsets[j] : offsets[j + 1]].reshape(shapes[j]).copy() for j in range(len(factors))]

    def record(step):
        weights = current()
        X = np.nan_to_num(product(weights))
        record_steps.append(step)
        singular.append(np.linalg.svd(X, compute_uv=False))
        aligned.append(alignment(X, target))
        if keep_snapshots:
            snapshots.append(weights)

    done, diverged, next_report = 0, False, max(1, steps // 20)
    while done < steps:
        if done % record_every == 0:
            record(done)
        count = min(record_every - done % record_every, steps - done)
        advanced = _mf_kernel(params, offsets, shapes, M, maskf, lr, count, loss[done:])
        if advanced < count:
            done += advanced
            diverged = True
            break
        done += count
        if progress and done >= next_report:
            next_report += max(1, steps // 20)
            print(f"train_factorization: step {done}/{steps} loss {loss[done - 1]:.6g} "
                  f"({time.perf_counter() - start:.1f} s)", file=sys.stderr, flush=True)
    if diverged:
        loss = loss[: done + 1]
        if record_steps[-1] != done:
            record(done)
        message = f"diverged: the loss became non-finite at iteration {done} with lr={lr}; try a smaller lr"
    else:
        if record_steps[-1] != steps:
            record(steps)
        message = f"completed {steps} steps"
    return _history(loss, record_steps, snapshots, current(), diverged, message, lr, steps, M, mask, start,
                    singular, aligned)


def train_factorization_numpy(
    M,
    mask,
    factors,
    lr: float = 0.01,
    steps: int = 1000,
    record_every: int | None = None,
    *,
    keep_snapshots: bool = False,
    progress: bool = False,
) -> FactorizationHistory:
    """The iteration of :func:`train_factorization` as a plain NumPy loop (reference, baseline)."""
    M, mask, factors = _check_problem(M, mask, factors)
    lr = _check_positive(lr, "lr")
    steps = _check_int(steps, "steps", 1)
    record_every = max(1, steps // 100) if record_every is None else _check_int(record_every, "record_every", 1)
    target = np.where(mask, M, 0.0)
    loss = np.empty(steps)
    record_steps, singular, aligned, snapshots = [], [], [], []
    diverged, done = False, steps
    start = time.perf_counter()

    def record(step, X):
        record_steps.append(step)
        singular.append(np.linalg.svd(X, compute_uv=False))
        aligned.append(alignment(X, target) if np.all(np.isfinite(X)) else (np.nan, np.nan))
        if keep_snapshots:
            snapshots.append([w.copy() for w in factors])

    with np.errstate(over="ignore", invalid="ignore"):
        for step in range(steps):
            X = product(factors)
            G = np.where(mask, X - M, 0.0)
            loss[step] = 0.5 * float(np.sum(G * G))
            if step % record_every == 0 or not math.isfinite(loss[step]):
                record(step, X if np.all(np.isfinite(X)) else np.nan_to_num(X))
            if not math.isfinite(loss[step]):
                diverged, done = True, step
                break
            grads = _chain_gradient(factors, G)
            factors = [w - lr * g for w, g in zip(factors, grads)]
            if progress and (step + 1) % max(1, steps // 20) == 0:
                print(f"train_factorization: step {step + 1}/{steps} loss {loss[step]:.6g} "
                      f"({time.perf_counter() - start:.1f} s)", file=sys.stderr, flush=True)
    if diverged:
        loss = loss[: done + 1]
        message = f"diverged: the loss became non-finite at iteration {done} with lr={lr}; try a smaller lr"
    else:
        if record_steps[-1] != steps:
            record(steps, product(factors))
        message = f"completed {steps} steps"
    return _history(loss, record_steps, snapshots, factors, diverged, message, lr, steps, M, mask, start,
                    singular, aligned)


# ------------------------------------------------------------------- effective-model blow-up


@dataclass
class FactorizationBlowup:
    r"""Blow-up of the effective flow :math:`\dot W = \nabla E(W)` from ``factors``.

    ``t_star`` (:math:`T^*`, in the time of the flow of :math:`E` for the given factors),
    ``limit_factors`` (:math:`\theta^*`, unit norm overall), ``rate`` :math:`\lambda = L E(\theta^*)`
    (expected :math:`L^{1-L/2} s_1`), ``alignment`` of the limit product with the top singular
    pair of the target, ``blew_up``, ``message``."""

    t_star: float
    limit_factors: list[np.ndarray] | None
    rate: float
    alignment: tuple[float, float]
    blew_up: bool
    message: str
    diagnostics: dict = field(default_factory=dict)


def effective_blowup(
    factors, target, *, rtol: float = 1e-10, max_s: float = 1e5
) -> FactorizationBlowup:
    r"""Blow-up time of :math:`\dot W = \nabla E(W)`, :math:`E = \langle T, W^L\cdots W^1\rangle` (``target``
    :math:`T = P_\Omega(M)`), depth :math:`L \ge 3`, by the rescaling of docs/mathematics.md#blow-up: with
    :math:`r = \|W\|`, :math:`\theta = W/r`, :math:`ds = r^{L-2}d\tau`,

    .. math:: \theta' = \nabla E(\theta) - L E(\theta)\theta,\quad (\log r)' = L E(\theta),\quad
              \tau' = r^{-(L-2)},\quad T^* = \tau(s) + \frac{r(s)^{-(L-2)}}{(L-2)\lambda}

    once :math:`\theta` has converged (SciPy DOP853 at ``rtol``)."""
    target = np.asarray(target, dtype=float)
    _, _, factors = _check_problem(target, np.ones(target.shape, bool), factors)
    depth = len(factors)
    if depth < 3:
        raise ValueError(f"factors: the effective flow blows up only for depth >= 3, got depth {depth} (linear flow)")
    rtol = _check_positive(rtol, "rtol")
    shapes = [w.shape for w in factors]
    sizes = [w.size for w in factors]
    flat0 = np.concatenate([w.ravel() for w in factors])
    r0 = float(np.linalg.norm(flat0))
    if r0 == 0:
        raise ValueError("factors: all zero; the flow does not move")
    if not np.any(target):
        raise ValueError("target: P_Omega(M) = 0, so E = 0: the effective model is degenerate (no blow-up)")

    def split(theta):
        return [part.reshape(shape) for part, shape in zip(np.split(theta, np.cumsum(sizes)[:-1]), shapes)]

    def rhs(_s, state):
        theta = state[:-2]
        parts = split(theta)
        energy = effective_energy(parts, target)
        grad = np.concatenate([g.ravel() for g in effective_gradient(parts, target)])
        log_r = state[-2]
        return np.concatenate([grad - depth * energy * theta, [depth * energy, math.exp(-(depth - 2) * log_r)]])

    state = np.concatenate([flat0 / r0, [math.log(r0), 0.0]])
    s, chunk, n_steps = 0.0, 10.0, 0
    rate, tail, residual = math.nan, math.inf, math.inf
    while s < max_s:
        solution = solve_ivp(rhs, (s, s + chunk), state, method="DOP853", rtol=rtol, atol=1e-14)
        if not solution.success:
            return FactorizationBlowup(math.nan, None, math.nan, (math.nan, math.nan), False, solution.message)
        n_steps += solution.t.size
        state, s = solution.y[:, -1], s + chunk
        theta = state[:-2] / np.linalg.norm(state[:-2])
        state[:-2] = theta
        derivative = rhs(s, state)
        residual = float(np.linalg.norm(derivative[:-2]))
        rate = depth * effective_energy(split(theta), target)
        if rate <= 0:
            chunk *= 2
            continue
        tail = math.exp(-(depth - 2) * state[-2]) / ((depth - 2) * rate)
        if residual < 1e-9 and tail < 1e-3 * rtol * state[-1]:
            limit = split(theta)
            return FactorizationBlowup(
                t_star=float(state[-1] + tail),
                limit_factors=limit,
                rate=rate,
                alignment=alignment(product(limit), target),
                blew_up=True,
                message="blow-up",
                diagnostics=dict(s_end=s, steps=n_steps, residual=residual, tail=tail),
            )
        chunk = min(2 * chunk, 1e3)
    return FactorizationBlowup(
        math.inf, None, rate, (math.nan, math.nan), False,
        f"no blow-up detected up to s = {max_s} (residual {residual:.2e}, rate {rate:.3g})",
        diagnostics=dict(s_end=s, steps=n_steps, residual=residual, tail=tail),
    )
