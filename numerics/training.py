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

General networks (:func:`parse_network`): vector targets ``y`` of shape ``(n, k)`` with the output
matrix ``A`` of shape ``(k, m_{L-1})`` last (a 1-d ``a`` still means ``k = 1``), the risk
:math:`R = \frac1{2n}\sum_i\|f(x_i) - y_i\|^2`, biases, and one activation per hidden layer
(``activation=("tanh", "sin")``):

.. math:: h_k = \sigma_k(W^k h_{k-1} + b^k),\qquad f(x) = A h_{L-1} + b^L .

**Weights layout.** ``weights = [W1, (b1), W2, (b2), ..., A, (bL)]`` input to output: every
weight matrix (2-d) may be followed by its bias (1-d, one entry per row of the matrix). The
output layer is ``A`` (2-d, ``(k, m_{L-1})``) or, for one output without output bias, a 1-d
``a`` of shape ``(m_{L-1},)`` as the last entry. A 1-d array directly after a matrix is that
matrix's bias, except the last entry, which is the output bias only when ``y`` is 2-d ``(n, k)``
and it follows the ``(k, m_{L-1})`` output matrix (otherwise it is the output vector ``a``): for
an output bias with one output give ``A`` as a ``(1, m)`` matrix and ``y`` as ``(n, 1)``. The plain family (one output, no bias, one activation) at widths up to
:data:`FUSED_MAX_WIDTH` runs in the fused loop kernel; everything else runs in a kernel whose
matrix products are ``np.dot`` inside Numba (BLAS), with the activation fused.
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Sequence

import numpy as np

from numerics.history import TrainingHistory  # the one history type of every trainer

__all__ = ["TrainingHistory", "train_network", "train_network_numpy", "network_output", "risk", "NetworkLayout",
           "parse_network"]


# --------------------------------------------------------------------------------------------
# input checking
# --------------------------------------------------------------------------------------------


def _as_float_array(value, name: str) -> np.ndarray:
    if np.iscomplexobj(value):  # np.array(..., dtype=float) would drop the imaginary part with a warning
        raise TypeError(f"{name}: expected an array of real numbers, got complex values")
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


@dataclass(frozen=True)
class NetworkLayout:
    r"""Parsed ``weights`` of a general network (module docstring): ``matrices[k]`` is the position
    in the list of :math:`W^{k+1}` (the last: the output layer), ``biases[k]`` that of
    :math:`b^{k+1}` or ``-1``; ``dims = (d, m_1, ..., m_{L-1}, k)``; ``vector_a``: the output layer is a
    1-d ``a``."""

    matrices: tuple[int, ...]
    biases: tuple[int, ...]
    dims: tuple[int, ...]
    vector_a: bool

    @property
    def depth(self) -> int:
        return len(self.matrices)

    @property
    def has_bias(self) -> bool:
        return any(b >= 0 for b in self.biases)

    @property
    def output_dim(self) -> int:
        return self.dims[-1]


def parse_network(weights, input_dim: int | None = None, targets: int | None = None
                  ) -> tuple[list[np.ndarray], NetworkLayout]:
    """Validate ``weights`` in the layout of the module docstring; returns float copies and the layout.

    ``targets``: the ``k`` of 2-d targets ``y`` (n, k), or ``None`` for 1-d ``y``. A final 1-d entry
    is the output bias only when ``targets`` is given and it follows a matrix with ``k`` rows;
    otherwise it is the output vector ``a``."""
    if isinstance(weights, np.ndarray) or not isinstance(weights, Sequence):
        raise TypeError(
            "weights: expected a list [W1, (b1), W2, ..., a or A, (bL)] of arrays listed input to output, "
            f"got {type(weights).__name__}"
        )
    arrays = [_as_float_array(w, f"weights[{k}]") for k, w in enumerate(weights)]
    matrices, biases, vector_a = [], [], False
    for k, w in enumerate(arrays):
        last = k == len(arrays) - 1
        if w.ndim == 2:
            if 0 in w.shape:
                raise ValueError(f"weights[{k}]: expected a non-empty 2-d matrix, got shape {w.shape}")
            matrices.append(k)
            biases.append(-1)
        elif w.ndim == 1 and matrices and biases[-1] < 0 and not vector_a and not last:
            biases[-1] = k
        elif (w.ndim == 1 and last and targets is not None and matrices and biases[-1] < 0
              and arrays[matrices[-1]].ndim == 2 and arrays[matrices[-1]].shape[0] == targets == w.shape[0]):
            biases[-1] = k
        elif w.ndim == 1 and last and matrices and not vector_a:
            matrices.append(k)
            biases.append(-1)
            vector_a = True
        else:
            raise ValueError(
                f"weights[{k}]: shape {w.shape} does not fit the layout [W1, (b1), W2, (b2), ..., a or A, (bL)] "
                "(matrices 2-d, each optionally followed by its 1-d bias)"
            )
    if len(matrices) < 2:
        raise ValueError(f"weights: depth L = number of weight layers must be >= 2, got {len(matrices)}")
    dims = [arrays[matrices[0]].shape[1]]
    if input_dim is not None and dims[0] != input_dim:
        raise ValueError(f"weights[0]: W1 must have shape (m1, d) with d = {input_dim}, got {arrays[0].shape}")
    for layer, (i, j) in enumerate(zip(matrices, biases)):
        w = arrays[i]
        if w.ndim == 1:  # the output vector a
            if w.shape[0] != dims[-1]:
                raise ValueError(f"weights[{i}]: the output vector a must have shape ({dims[-1]},), got {w.shape}"
                                 + (" (an output bias needs the output layer as a (k, m) matrix A, e.g. shape "
                                    f"(1, {arrays[i - 1].shape[0]}) with y of shape (n, 1))"
                                    if biases[layer - 1] == i - 1 else ""))
            dims.append(1)
            continue
        if w.shape[1] != dims[-1]:
            prev = matrices[layer - 1]
            raise ValueError(
                f"weights[{i}]: expected shape (m{layer + 1}, {dims[-1]}) to follow weights[{prev}] of shape "
                f"{arrays[prev].shape}, got {w.shape}"
            )
        dims.append(w.shape[0])
        if j >= 0 and arrays[j].shape != (w.shape[0],):
            raise ValueError(f"weights[{j}]: the bias of weights[{i}] must have shape ({w.shape[0]},), got {arrays[j].shape}")
    for k, w in enumerate(arrays):
        if not np.all(np.isfinite(w)):
            raise ValueError(f"weights[{k}]: contains NaN or infinite values")
    layout = NetworkLayout(tuple(matrices), tuple(biases), tuple(dims), vector_a)
    return [np.ascontiguousarray(w).copy() for w in arrays], layout


def check_targets(X, y, output_dim: int) -> tuple[np.ndarray, np.ndarray]:
    """Validate ``X`` (n, d) and ``y`` of shape (n,) or (n, k) with ``k = output_dim``; returns ``X``
    and ``Y`` of shape (n, k)."""
    X = _as_float_array(X, "X")
    Y = _as_float_array(y, "y")
    if X.ndim == 2 and (Y.ndim not in (1, 2) or Y.shape[0] != X.shape[0]):
        raise ValueError(f"y: expected shape ({X.shape[0]},) or ({X.shape[0]}, {output_dim}) to match X of shape "
                         f"{X.shape} and the network's {output_dim} output(s), got {Y.shape}")
    if Y.ndim == 1:
        Y = Y[:, None]
    if X.ndim == 2 and Y.ndim == 2 and Y.shape[0] == X.shape[0] and Y.shape[1] != output_dim:
        raise ValueError(f"y: the network has {output_dim} output(s) but y has shape {np.shape(y)}; expected "
                         f"({X.shape[0]}, {output_dim})" + (" or (n,)" if output_dim == 1 else ""))
    X, _ = check_data(X, Y[:, 0] if Y.ndim == 2 and Y.shape[0] == X.shape[0] else np.ravel(y))
    if Y.ndim != 2 or Y.shape[0] != X.shape[0]:
        raise ValueError(f"y: expected shape (n, k) = ({X.shape[0]}, {output_dim}), got {np.shape(y)}")
    if not np.all(np.isfinite(Y)):
        raise ValueError("y: contains NaN or infinite values; all targets must be finite")
    return X, np.ascontiguousarray(Y)


def _activation_tuple(activation, hidden_layers: int) -> tuple:
    """One activation per hidden layer (``activation``: one for all, or a tuple/list of them)."""
    if isinstance(activation, tuple | list):
        if len(activation) != hidden_layers:
            raise ValueError(f"activation: need one activation per hidden layer ({hidden_layers}), got "
                             f"{len(activation)}: {tuple(activation)!r}")
        return tuple(activation)
    return (activation,) * hidden_layers


def _activation_label(activations: tuple) -> str:
    names = [str(a) for a in activations]
    return names[0] if len(set(names)) == 1 else ",".join(names)


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


# --------------------------------------------------------------------------------------------
# flat parameter layout
# --------------------------------------------------------------------------------------------


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


def affine_layer(params, dims, w_off, b_off, k, h):
    # W_k h + b_k for the rows of h (samples), W_k read from the flat parameters (a view).
    rows = dims[k + 1]
    cols = dims[k]
    W = params[w_off[k]: w_off[k] + rows * cols].reshape((rows, cols))
    Z = np.dot(h, W.T)
    if b_off[k] >= 0:
        for i in range(h.shape[0]):
            for r in range(rows):
                Z[i, r] += params[b_off[k] + r]
    return Z


def general_gd_kernel(params, dims, w_off, b_off, kinds, X, Y, lr, first_step, n_steps, record_every,
                      loss_out, records, n_recorded):
    # Full-batch GD on R = (1/2n) sum_i ||A h_{L-1}(x_i) + b_L - y_i||^2 with
    # h_k = sigma_k(W_k h_{k-1} + b_k); samples are rows, matrix products are np.dot (BLAS),
    # the activation and its derivative are computed in one fused pass per layer
    # (activate_layer, generated).  b_off[k] < 0: no bias in layer k.  Same return values and
    # stopping rule as gd_kernel.
    n_layers = dims.shape[0] - 1
    n = X.shape[0]
    grad = np.zeros(params.shape[0])
    hs = [X.copy()]
    ds = [X.copy()]
    for k in range(n_layers - 1):
        hs.append(np.zeros((n, dims[k + 1])))
        ds.append(np.zeros((n, dims[k + 1])))
    for step in range(n_steps):
        global_step = first_step + step
        for k in range(n_layers - 1):
            Z = affine_layer(params, dims, w_off, b_off, k, hs[k])  # noqa: F821 (generated module global)
            activate_layer(kinds[k], Z, hs[k + 1], ds[k + 1])  # noqa: F821 (generated module global)
        out = affine_layer(params, dims, w_off, b_off, n_layers - 1, hs[n_layers - 1])  # noqa: F821
        loss = 0.0
        for i in range(n):
            for j in range(dims[n_layers]):
                residual = out[i, j] - Y[i, j]
                loss += residual * residual
                out[i, j] = residual / n  # dR/df_ij
        loss = loss / (2.0 * n)
        loss_out[step] = loss
        if global_step % record_every == 0:
            for p in range(params.shape[0]):
                records[n_recorded, p] = params[p]
            n_recorded += 1
        if not math.isfinite(loss):
            return step, n_recorded
        delta = out
        for k in range(n_layers - 1, -1, -1):
            rows = dims[k + 1]
            cols = dims[k]
            W = params[w_off[k]: w_off[k] + rows * cols].reshape((rows, cols))
            gW = np.dot(delta.T, hs[k])
            grad[w_off[k]: w_off[k] + rows * cols] = gW.ravel()
            if b_off[k] >= 0:
                for r in range(rows):
                    acc = 0.0
                    for i in range(n):
                        acc += delta[i, r]
                    grad[b_off[k] + r] = acc
            if k > 0:
                back = np.dot(delta, W)
                slope = ds[k]
                for i in range(n):
                    for c in range(cols):
                        back[i, c] *= slope[i, c]
                delta = back
        for p in range(params.shape[0]):
            params[p] -= lr * grad[p]
    return n_steps, n_recorded


#: Widest hidden layer for which the plain family runs in the fused loop kernel (:func:`gd_kernel`);
#: wider layers, and every general network, run in :func:`general_gd_kernel` (np.dot = BLAS).
#: Measured with ``benchmarks/bench_training_wide.py`` (one BLAS thread): the two kernels are equal
#: at widths about 12, the BLAS kernel 1.3x faster at 16 and 2.7x at 64 (n = 40).
FUSED_MAX_WIDTH = 12

#: Fast-math flags of the kernel: reassociated sums (vectorized reductions over the batch) and
#: fused multiply-adds; results differ from strict IEEE order only at round-off level.
KERNEL_FASTMATH = frozenset({"reassoc", "contract"})


def _kernel(activation):
    from numerics.activations import kernel_module

    return kernel_module(activation, [gd_kernel], tag="gd", fastmath=KERNEL_FASTMATH).gd_kernel


def _general_kernel(activations: tuple):
    """:func:`general_gd_kernel` compiled with ``activate_layer`` for the distinct ``activations``;
    returns ``(kernel, kinds)`` with ``kinds[k]`` the index of hidden layer ``k``'s activation."""
    from numerics.activations import kernel_module_layers

    distinct = list(dict.fromkeys(activations))
    kinds = np.array([distinct.index(a) for a in activations] or [0], dtype=np.int64)
    module = kernel_module_layers(tuple(distinct), [affine_layer, general_gd_kernel], tag="gdnet", fastmath=KERNEL_FASTMATH)
    return module.general_gd_kernel, kinds


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


def _targets(y) -> int | None:
    """``k`` for 2-d targets ``y`` (n, k), ``None`` otherwise."""
    shape = np.shape(y)
    return int(shape[1]) if len(shape) == 2 else None


def _prepare(X, y, weights, activation, lr, steps, record_every):
    X_array = _as_float_array(X, "X")
    arrays, layout = parse_network(weights, input_dim=X_array.shape[1] if X_array.ndim == 2 else None,
                                   targets=_targets(y))
    X, Y = check_targets(X_array, y, layout.output_dim)
    activations = _activation_tuple(activation, layout.depth - 1)
    lr = _check_positive_real(lr, "lr")
    steps = _check_positive_int(steps, "steps")
    record_every = steps if record_every is None else _check_positive_int(record_every, "record_every")
    return X, Y, arrays, layout, activations, lr, steps, record_every


def _offsets(arrays) -> np.ndarray:
    return np.concatenate([[0], np.cumsum([w.size for w in arrays])]).astype(np.int64)


def _is_fused(layout: NetworkLayout, activations: tuple) -> bool:
    """Whether the plain fused-loop kernel applies (one output as a 1-d ``a``, no bias, one
    activation, hidden widths up to :data:`FUSED_MAX_WIDTH`)."""
    return (layout.vector_a and not layout.has_bias and len(set(map(str, activations))) == 1
            and max(layout.dims[1:-1]) <= FUSED_MAX_WIDTH)


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

    .. math:: R(\theta) = \frac1{2n}\sum_{i=1}^n \bigl\|f_\theta(x_i) - y_i\bigr\|^2,\qquad
              f_\theta(x) = A\,\sigma_{L-1}(W^{L-1}\cdots\sigma_1(W^1x + b^1)\cdots + b^{L-1}) + b^L

    (docs/mathematics.md#model; biases optional), compiled with Numba.

    Parameters
    ----------
    X, y:
        data, shapes ``(n, d)`` and ``(n,)`` or ``(n, k)`` (``k`` outputs), finite, ``n >= 1``.
    weights:
        initial weights input to output in the layout of the module docstring,
        ``[W1 (m1, d), (b1), W2 (m2, m1), ..., a (m_{L-1},) or A (k, m_{L-1}), (bL)]``, depth ``L >= 2``
        weight layers.  Not modified.
    activation:
        a name from ``theory.activations.ACTIVATION_NAMES`` (``relu`` allowed) or a SymPy
        expression, or a tuple with one per hidden layer; :math:`\sigma` and :math:`\sigma'` are
        generated from it.
    lr, steps:
        step size :math:`\eta > 0` and number of updates (``>= 1``).
    record_every:
        snapshot period (default: only the first and the last iteration).
    progress:
        print progress to stderr (about 20 lines).

    Returns a :class:`TrainingHistory` (snapshots and weights in the layout of ``weights``).  A
    non-finite loss stops training with ``diverged=True`` and an explanatory ``message``.
    """
    t0 = time.perf_counter()
    X, Y, arrays, layout, activations, lr, steps, record_every = _prepare(X, y, weights, activation, lr, steps,
                                                                          record_every)
    shapes = [w.shape for w in arrays]
    offsets = _offsets(arrays)
    params = _flatten(arrays)
    if _is_fused(layout, activations):
        fused = _kernel(activations[0])
        sizes = np.asarray(layout.dims, dtype=np.int64)
        y_flat = np.ascontiguousarray(Y[:, 0])

        def kernel(params, first, count, loss_out, records, n_recorded):
            return fused(params, sizes, offsets, X, y_flat, lr, first, count, record_every, loss_out, records,
                         n_recorded)
    else:
        general, kinds = _general_kernel(activations)
        dims = np.asarray(layout.dims, dtype=np.int64)
        w_off = offsets[list(layout.matrices)]
        b_off = np.array([offsets[b] if b >= 0 else -1 for b in layout.biases], dtype=np.int64)

        def kernel(params, first, count, loss_out, records, n_recorded):
            return general(params, dims, w_off, b_off, kinds, X, Y, lr, first, count, record_every, loss_out,
                           records, n_recorded)
    loss = np.empty(steps)
    n_records = steps // record_every + 1
    records = np.empty((n_records, params.size))
    chunk = max(1, -(-steps // 20)) if progress else steps
    done, n_recorded, diverged = 0, 0, False
    while done < steps:
        count = min(chunk, steps - done)
        advanced, n_recorded = kernel(params, done, count, loss[done:], records, n_recorded)
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
    final_loss = (float(loss[-1]) if diverged else
                  _risk_unchecked(X, Y, _unflatten(params, shapes, offsets), layout, activations))
    return _finish(loss, records, record_steps, params, shapes, offsets, steps, done, diverged, lr,
                   _activation_label(activations), t0, final_loss)


def _forward(X, arrays, layout: NetworkLayout, activations, with_slopes: bool):
    """NumPy forward pass: hidden activations (``X`` first), their slopes and the output (n, k)."""
    from numerics.activations import compile_activation

    hidden, slopes = [X], []
    for layer in range(layout.depth):
        W = arrays[layout.matrices[layer]]
        Z = hidden[-1] @ (W.reshape(1, -1) if W.ndim == 1 else W).T
        if layout.biases[layer] >= 0:
            Z = Z + arrays[layout.biases[layer]]
        if layer == layout.depth - 1:
            return hidden, slopes, Z
        compiled = compile_activation(activations[layer])
        if with_slopes:
            value, slope = compiled.pair_np(Z)
            hidden.append(value)
            slopes.append(slope)
        else:
            hidden.append(compiled.sigma_np(Z))


def network_output(X, weights: Sequence[np.ndarray], activation="tanh", *, output_dim: int | None = None
                   ) -> np.ndarray:
    r""":math:`f_\theta(x_i)` for each row of ``X`` (NumPy): shape ``(n,)`` for a 1-d output vector ``a``,
    else ``(n, k)``. ``output_dim``: the ``k`` of 2-d targets, needed to read a final 1-d entry as the
    output bias (:func:`parse_network`)."""
    hidden = _as_float_array(X, "X")
    if hidden.ndim != 2 or not np.all(np.isfinite(hidden)):
        raise ValueError(f"X: expected a finite 2-d array of shape (n, d), got shape {hidden.shape}")
    arrays, layout = parse_network(weights, input_dim=hidden.shape[1], targets=output_dim)
    activations = _activation_tuple(activation, layout.depth - 1)
    out = _forward(hidden, arrays, layout, activations, False)[2]
    return out[:, 0] if layout.vector_a else out


def _risk_unchecked(X, Y, arrays, layout, activations) -> float:
    """:func:`risk` on validated data; the weights may be non-finite (after a diverging last update)."""
    with np.errstate(over="ignore", invalid="ignore"):
        residual = _forward(X, arrays, layout, activations, False)[2] - Y
        return float(0.5 * np.sum(residual**2) / X.shape[0])


def risk(X, y, weights: Sequence[np.ndarray], activation="tanh") -> float:
    r""":math:`R(\theta) = \frac1{2n}\sum_i \|f_\theta(x_i) - y_i\|^2` (NumPy)."""
    X_array = _as_float_array(X, "X")
    arrays, layout = parse_network(weights, input_dim=X_array.shape[1] if X_array.ndim == 2 else None,
                                   targets=_targets(y))
    X, Y = check_targets(X_array, y, layout.output_dim)
    return _risk_unchecked(X, Y, arrays, layout, _activation_tuple(activation, layout.depth - 1))


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
    X, Y, arrays, layout, activations, lr, steps, record_every = _prepare(X, y, weights, activation, lr, steps,
                                                                          record_every)
    shapes = [w.shape for w in arrays]
    offsets = _offsets(arrays)
    loss = np.empty(steps)
    with np.errstate(over="ignore", invalid="ignore"):
        done, diverged, records, record_steps, arrays = _numpy_loop(X, Y, arrays, layout, activations, lr, steps,
                                                                    record_every, loss)
    loss = loss[: done + 1] if diverged else loss
    params = _flatten(arrays)
    final_loss = float(loss[-1]) if diverged else _risk_unchecked(X, Y, arrays, layout, activations)
    return _finish(loss, records, record_steps, params, shapes, offsets, steps, done, diverged, lr,
                   _activation_label(activations), t0, final_loss)


def _numpy_loop(X, Y, arrays, layout, activations, lr, steps, record_every, loss):
    n = X.shape[0]
    records, record_steps = [], []
    diverged, done = False, steps
    for step in range(steps):
        hidden, slopes, out = _forward(X, arrays, layout, activations, True)
        residual = out - Y
        loss[step] = 0.5 * np.sum(residual**2) / n
        if step % record_every == 0:
            records.append(_flatten(arrays))
            record_steps.append(step)
        if not math.isfinite(loss[step]):
            diverged, done = True, step
            break
        grads = [None] * len(arrays)
        delta = residual / n
        for layer in range(layout.depth - 1, -1, -1):
            index = layout.matrices[layer]
            W = arrays[index]
            grads[index] = (delta.T @ hidden[layer]).reshape(W.shape)
            if layout.biases[layer] >= 0:
                grads[layout.biases[layer]] = delta.sum(axis=0)
            if layer > 0:
                delta = (delta @ (W.reshape(1, -1) if W.ndim == 1 else W)) * slopes[layer - 1]
        arrays = [w - lr * g for w, g in zip(arrays, grads)]
    return done, diverged, records, record_steps, arrays
