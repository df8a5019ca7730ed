r"""Full-batch gradient descent on a fully connected network (docs/mathematics.md#model).

The network of depth :math:`L` (weights listed input to output, ``weights = [W1, ..., a]``) is

.. math:: f_\theta(x) = a^\top \sigma\bigl(W^{L-1} \cdots \sigma(W^1 x)\bigr),

with empirical risk :math:`R(\theta) = \frac1{2n}\sum_{i=1}^n (f_\theta(x_i) - y_i)^2` and
gradient descent :math:`\theta_{k+1} = \theta_k - \eta \nabla R(\theta_k)`, the Euler scheme of
the gradient flow :math:`\dot\theta = -\nabla R` (iteration :math:`k` ↔ time :math:`k\eta`).

:func:`train_network` runs the whole loop in one Numba kernel (generated per activation by
:func:`numerics.activations.kernel_module`, cached on disk); :func:`train_network_numpy` is the
plain vectorized NumPy implementation of the same iteration, used as the reference in tests and
as the baseline of ``benchmarks/bench_training.py``.
"""

from __future__ import annotations

import math
import sys
import time
from numbers import Integral, Real
from typing import Sequence

import numpy as np

from numerics.activations import compile_activation, kernel_module
from numerics.history import TrainingHistory  # the one history type of every trainer

__all__ = ["TrainingHistory", "train_network", "train_network_numpy", "network_output", "risk"]


# --------------------------------------------------------------------------------------------
# input checking
# --------------------------------------------------------------------------------------------


def _as_float_array(value, name: str) -> np.ndarray:
    try:
        array = np.array(value, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: expected an array of real numbers, got {type(value).__name__}") from None
    return array


def check_data(X, y) -> tuple[np.ndarray, np.ndarray]:
    """Validate ``X`` (shape ``(n, d)``, ``n >= 1``) and ``y`` (shape ``(n,)``), all finite."""
    X = _as_float_array(X, "X")
    y = _as_float_array(y, "y")
    if X.ndim != 2:
        raise ValueError(f"X: expected a 2-d array of shape (n, d), got shape {X.shape}")
    if X.shape[0] == 0:
        raise ValueError("X: need at least one sample (n >= 1), got n = 0")
    if X.shape[1] == 0:
        raise ValueError("X: input dimension d must be >= 1, got d = 0")
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise ValueError(f"y: expected shape (n,) = ({X.shape[0]},) to match X, got {y.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError("X: contains NaN or infinite values; all inputs must be finite")
    if not np.all(np.isfinite(y)):
        raise ValueError("y: contains NaN or infinite values; all targets must be finite")
    return np.ascontiguousarray(X), np.ascontiguousarray(y)


def check_weights(weights, input_dim: int | None = None) -> list[np.ndarray]:
    """Validate ``weights = [W1 (m1, d), W2 (m2, m1), ..., a (m_{L-1},)]`` (depth ``L >= 2``);
    returns float copies."""
    if isinstance(weights, np.ndarray) or not isinstance(weights, Sequence):
        raise TypeError(
            "weights: expected a list [W1, W2, ..., a] of arrays listed input to output, "
            f"got {type(weights).__name__}"
        )
    if len(weights) < 2:
        raise ValueError(f"weights: depth L = len(weights) must be >= 2, got {len(weights)}")
    arrays = [_as_float_array(w, f"weights[{k}]") for k, w in enumerate(weights)]
    for k, matrix in enumerate(arrays[:-1]):
        if matrix.ndim != 2 or 0 in matrix.shape:
            raise ValueError(f"weights[{k}]: expected a non-empty 2-d matrix, got shape {matrix.shape}")
        if k == 0 and input_dim is not None and matrix.shape[1] != input_dim:
            raise ValueError(f"weights[0]: W1 must have shape (m1, d) with d = {input_dim}, got {matrix.shape}")
        if k > 0 and matrix.shape[1] != arrays[k - 1].shape[0]:
            raise ValueError(
                f"weights[{k}]: expected shape (m{k + 1}, {arrays[k - 1].shape[0]}) to follow "
                f"weights[{k - 1}] of shape {arrays[k - 1].shape}, got {matrix.shape}"
            )
    a = arrays[-1]
    if a.ndim != 1 or a.shape[0] != arrays[-2].shape[0]:
        raise ValueError(
            f"weights[{len(arrays) - 1}]: the output vector a must have shape ({arrays[-2].shape[0]},), got {a.shape}"
        )
    for k, w in enumerate(arrays):
        if not np.all(np.isfinite(w)):
            raise ValueError(f"weights[{k}]: contains NaN or infinite values")
    return [np.ascontiguousarray(w).copy() for w in arrays]


def _check_positive_real(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name}: expected a real number > 0, got {type(value).__name__}")
    value = float(value)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name}: must be a finite real number > 0, got {value}")
    return value


def _check_positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name}: expected an int >= 1, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name}: must be an int >= 1, got {value}")
    return int(value)


def _check_arguments(X, y, weights, lr, steps, record_every):
    X, y = check_data(X, y)
    weights = check_weights(weights, input_dim=X.shape[1])
    lr = _check_positive_real(lr, "lr")
    steps = _check_positive_int(steps, "steps")
    record_every = steps if record_every is None else _check_positive_int(record_every, "record_every")
    return X, y, weights, lr, steps, record_every


# --------------------------------------------------------------------------------------------
# flat parameter layout
# --------------------------------------------------------------------------------------------


def _layout(weights: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """``sizes = [d, m1, ..., m_{L-1}, 1]`` and the offset of each weight in the flat vector
    (``a`` is stored as a ``(1, m_{L-1})`` matrix)."""
    sizes = [weights[0].shape[1]] + [w.shape[0] for w in weights[:-1]] + [1]
    counts = [w.size for w in weights]
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return np.asarray(sizes, dtype=np.int64), offsets


def _flatten(weights: list[np.ndarray]) -> np.ndarray:
    return np.concatenate([w.ravel() for w in weights]).astype(float)


def _unflatten(flat: np.ndarray, shapes: list[tuple[int, ...]], offsets: np.ndarray) -> list[np.ndarray]:
    return [flat[offsets[k] : offsets[k + 1]].reshape(shape).copy() for k, shape in enumerate(shapes)]


# --------------------------------------------------------------------------------------------
# the Numba kernel (its source is compiled inside a module generated per activation, where
# ``sigma`` and ``dsigma`` are module-level njit functions printed from SymPy)
# --------------------------------------------------------------------------------------------


def gd_kernel(params, sizes, offsets, X, y, lr, first_step, n_steps, record_every, loss_out, records, n_recorded):
    # Full-batch GD on R = (1/2n) sum_i (f(x_i) - y_i)^2; updates params in place.
    # Activations are stored transposed, one row per neuron and one column per sample, so the
    # innermost loops run over the batch.  Returns (steps done, records written); stops at the
    # first non-finite loss (stored in loss_out, not followed by an update).
    n_layers = sizes.shape[0] - 1  # number of weight matrices (depth L); the last is a as (1, m)
    n = X.shape[0]
    d = X.shape[1]
    starts = np.zeros(n_layers + 1, dtype=np.int64)  # first row of layer k's activations
    for k in range(n_layers):
        starts[k + 1] = starts[k] + sizes[k]
    width_total = starts[n_layers]
    h = np.zeros((width_total, n))
    ds = np.zeros((width_total, n))
    delta = np.zeros((width_total, n))
    out = np.zeros(n)
    grad = np.zeros(params.shape[0])
    for j in range(d):
        for i in range(n):
            h[j, i] = X[i, j]
    top = n_layers - 1
    for step in range(n_steps):
        global_step = first_step + step
        for k in range(top):  # hidden layers: h_{k+1} = sigma(W_{k+1} h_k)
            rows = sizes[k + 1]
            cols = sizes[k]
            hin = starts[k]
            hout = starts[k + 1]
            for r in range(rows):
                base = offsets[k] + r * cols
                for i in range(n):
                    h[hout + r, i] = 0.0
                for c in range(cols):
                    w = params[base + c]
                    for i in range(n):
                        h[hout + r, i] += w * h[hin + c, i]
                for i in range(n):
                    value, slope = sigma_pair(h[hout + r, i])  # noqa: F821 (generated module global)
                    h[hout + r, i] = value
                    ds[hout + r, i] = slope
        cols = sizes[top]
        hin = starts[top]
        base = offsets[top]
        for i in range(n):
            out[i] = 0.0
        for c in range(cols):
            w = params[base + c]
            for i in range(n):
                out[i] += w * h[hin + c, i]
        loss = 0.0
        for i in range(n):
            residual = out[i] - y[i]
            loss += residual * residual
            out[i] = residual / n  # dR/df_i
        for c in range(cols):
            acc = 0.0
            w = params[base + c]
            for i in range(n):
                acc += out[i] * h[hin + c, i]
                delta[hin + c, i] = out[i] * w * ds[hin + c, i]
            grad[base + c] = acc
        for k in range(top - 1, -1, -1):  # weight k maps layer k to layer k+1
            rows = sizes[k + 1]
            cols = sizes[k]
            hin = starts[k]
            hout = starts[k + 1]
            if k > 0:
                for c in range(cols):
                    for i in range(n):
                        delta[hin + c, i] = 0.0
            for r in range(rows):
                base = offsets[k] + r * cols
                for c in range(cols):
                    acc = 0.0
                    for i in range(n):
                        acc += delta[hout + r, i] * h[hin + c, i]
                    grad[base + c] = acc
                if k > 0:
                    for c in range(cols):
                        w = params[base + c]
                        for i in range(n):
                            delta[hin + c, i] += w * delta[hout + r, i]
            if k > 0:
                for c in range(cols):
                    for i in range(n):
                        delta[hin + c, i] *= ds[hin + c, i]
        loss = loss / (2.0 * n)
        loss_out[step] = loss
        if global_step % record_every == 0:
            for p in range(params.shape[0]):
                records[n_recorded, p] = params[p]
            n_recorded += 1
        if not math.isfinite(loss):
            return step, n_recorded
        for p in range(params.shape[0]):
            params[p] -= lr * grad[p]
    return n_steps, n_recorded


#: Fast-math flags of the kernel: reassociated sums (vectorized reductions over the batch) and
#: fused multiply-adds; results differ from strict IEEE order only at round-off level.
KERNEL_FASTMATH = frozenset({"reassoc", "contract"})


def _kernel(activation):
    return kernel_module(activation, [gd_kernel], tag="gd", fastmath=KERNEL_FASTMATH).gd_kernel


# --------------------------------------------------------------------------------------------
# public functions
# --------------------------------------------------------------------------------------------


def _finish(
    loss, records, record_steps, params, shapes, offsets, steps, done, diverged, lr, activation, t0, final_loss
) -> TrainingHistory:
    last = done  # iteration of the final weights
    snapshots = [_unflatten(records[k], shapes, offsets) for k in range(len(record_steps))]
    record_steps = list(record_steps)
    if not record_steps or record_steps[-1] != last:
        snapshots.append(_unflatten(params, shapes, offsets))
        record_steps.append(last)
    if diverged:
        message = (
            f"diverged: the loss became non-finite ({loss[-1]}) at iteration {done} with lr={lr}; "
            "history up to that point is returned (try a smaller lr)"
        )
    elif not math.isfinite(final_loss):
        diverged = True
        message = f"diverged: the loss after the last update ({steps}) is non-finite ({final_loss}); try a smaller lr"
    else:
        message = f"completed {steps} steps"
    return TrainingHistory(
        loss=loss,
        record_steps=np.asarray(record_steps, dtype=np.int64),
        snapshots=snapshots,
        weights=_unflatten(params, shapes, offsets),
        diverged=diverged,
        message=message,
        lr=lr,
        activation=str(activation),
        steps=steps,
        final_loss=final_loss,
        wall_time=time.perf_counter() - t0,
    )


def train_network(
    X,
    y,
    weights: Sequence[np.ndarray],
    activation="tanh",
    lr: float = 0.1,
    steps: int = 1000,
    record_every: int | None = None,
    *,
    progress: bool = False,
) -> TrainingHistory:
    r"""Full-batch gradient descent :math:`\theta_{k+1} = \theta_k - \eta\nabla R(\theta_k)` on

    .. math:: R(\theta) = \frac1{2n}\sum_{i=1}^n \bigl(a^\top\sigma(W^{L-1}\cdots\sigma(W^1x_i)) - y_i\bigr)^2

    (docs/mathematics.md#model), compiled with Numba.

    Parameters
    ----------
    X, y:
        data, shapes ``(n, d)`` and ``(n,)``, finite, ``n >= 1``.
    weights:
        initial weights ``[W1 (m1, d), W2 (m2, m1), ..., a (m_{L-1},)]``, input to output, depth
        ``L = len(weights) >= 2``.  Not modified.
    activation:
        a name from ``theory.activations.ACTIVATION_NAMES`` (``relu`` allowed) or a SymPy
        expression; :math:`\sigma` and :math:`\sigma'` are generated from it.
    lr, steps:
        step size :math:`\eta > 0` and number of updates (``>= 1``).
    record_every:
        snapshot period (default: only the first and the last iteration).
    progress:
        print progress to stderr (about 20 lines).

    Returns a :class:`TrainingHistory`.  A non-finite loss stops training with
    ``diverged=True`` and an explanatory ``message``.
    """
    t0 = time.perf_counter()
    X, y, weights, lr, steps, record_every = _check_arguments(X, y, weights, lr, steps, record_every)
    kernel = _kernel(activation)
    sizes, offsets = _layout(weights)
    shapes = [w.shape for w in weights]
    params = _flatten(weights)
    loss = np.empty(steps)
    n_records = steps // record_every + 1
    records = np.empty((n_records, params.size))
    chunk = max(1, -(-steps // 20)) if progress else steps
    done, n_recorded, diverged = 0, 0, False
    while done < steps:
        count = min(chunk, steps - done)
        advanced, n_recorded = kernel(
            params, sizes, offsets, X, y, lr, done, count, record_every, loss[done:], records, n_recorded
        )
        if advanced < count:
            done += advanced
            diverged = True
            break
        done += count
        if progress:
            print(
                f"train_network: step {done}/{steps}  loss {loss[done - 1]:.6g}  "
                f"({time.perf_counter() - t0:.1f} s)",
                file=sys.stderr,
                flush=True,
            )
    loss = loss[: done + 1] if diverged else loss
    record_steps = np.arange(0, done + 1, record_every)[:n_recorded]
    final_loss = float(loss[-1]) if diverged else _risk_unchecked(X, y, _unflatten(params, shapes, offsets), activation)
    return _finish(
        loss, records, record_steps, params, shapes, offsets, steps, done, diverged, lr, activation, t0, final_loss
    )


def network_output(X, weights: Sequence[np.ndarray], activation="tanh") -> np.ndarray:
    r""":math:`f_\theta(x_i) = a^\top\sigma(W^{L-1}\cdots\sigma(W^1 x_i))` for each row of ``X`` (NumPy)."""
    hidden = _as_float_array(X, "X")
    if hidden.ndim != 2 or not np.all(np.isfinite(hidden)):
        raise ValueError(f"X: expected a finite 2-d array of shape (n, d), got shape {hidden.shape}")
    weights = check_weights(weights, input_dim=hidden.shape[1])
    sigma = compile_activation(activation).sigma_np
    for matrix in weights[:-1]:
        hidden = sigma(hidden @ matrix.T)
    return hidden @ weights[-1]


def _risk_unchecked(X, y, weights, activation) -> float:
    """:func:`risk` on validated data; the weights may be non-finite (after a diverging last update)."""
    sigma = compile_activation(activation).sigma_np
    hidden = X
    with np.errstate(over="ignore", invalid="ignore"):
        for matrix in weights[:-1]:
            hidden = sigma(hidden @ matrix.T)
        residual = hidden @ weights[-1] - y
        return float(0.5 * np.mean(residual**2))


def risk(X, y, weights: Sequence[np.ndarray], activation="tanh") -> float:
    r""":math:`R(\theta) = \frac1{2n}\sum_i (f_\theta(x_i) - y_i)^2` (NumPy)."""
    X, y = check_data(X, y)
    residual = network_output(X, weights, activation) - y
    return float(0.5 * np.mean(residual**2))


def train_network_numpy(
    X,
    y,
    weights: Sequence[np.ndarray],
    activation="tanh",
    lr: float = 0.1,
    steps: int = 1000,
    record_every: int | None = None,
) -> TrainingHistory:
    r"""The same gradient descent as :func:`train_network`, as a plain vectorized NumPy loop
    (backpropagation written with matrix products over the batch).  Reference and benchmark
    baseline; same arguments and result type (no progress output)."""
    t0 = time.perf_counter()
    X, y, weights, lr, steps, record_every = _check_arguments(X, y, weights, lr, steps, record_every)
    pair = compile_activation(activation).pair_np
    shapes = [w.shape for w in weights]
    _, offsets = _layout(weights)
    loss = np.empty(steps)
    with np.errstate(over="ignore", invalid="ignore"):
        done, diverged, records, record_steps, weights = _numpy_loop(X, y, weights, pair, lr, steps, record_every, loss)
    loss = loss[: done + 1] if diverged else loss
    params = _flatten(weights)
    final_loss = float(loss[-1]) if diverged else _risk_unchecked(X, y, weights, activation)
    return _finish(
        loss, records, record_steps, params, shapes, offsets, steps, done, diverged, lr, activation, t0, final_loss
    )


def _numpy_loop(X, y, weights, pair, lr, steps, record_every, loss):
    n = X.shape[0]
    records, record_steps = [], []
    diverged, done = False, steps
    for step in range(steps):
        hidden, slopes = [X], []
        for matrix in weights[:-1]:
            value, slope = pair(hidden[-1] @ matrix.T)
            hidden.append(value)
            slopes.append(slope)
        residual = hidden[-1] @ weights[-1] - y
        loss[step] = 0.5 * np.mean(residual**2)
        if step % record_every == 0:
            records.append(_flatten(weights))
            record_steps.append(step)
        if not math.isfinite(loss[step]):
            diverged, done = True, step
            break
        g = residual / n
        grads = [None] * len(weights)
        grads[-1] = hidden[-1].T @ g
        delta = np.outer(g, weights[-1]) * slopes[-1]
        for k in range(len(weights) - 2, -1, -1):
            grads[k] = delta.T @ hidden[k]
            if k > 0:
                delta = (delta @ weights[k]) * slopes[k - 1]
        weights = [w - lr * gw for w, gw in zip(weights, grads)]
    return done, diverged, records, record_steps, weights
