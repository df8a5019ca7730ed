r"""Hand-optimized compiled vector fields of the reduced effective model (docs/mathematics.md#model–#blow-up).

For hidden widths :math:`(m_1, \dots, m_{L-1})` the reduced energy is the matrix chain

.. math:: E(a, W^{L-1}, \dots, W^2, u) = a^\top W^{L-1} \cdots W^2 u,

and its gradient :math:`F = \nabla E` is evaluated here with matrix-vector products instead of
the expanded polynomial: with right products :math:`R_0 = u`, :math:`R_j = W^{j+1} R_{j-1}` and
left products :math:`Q_{L-1} = a`, :math:`Q_k = (W^{k+1})^\top Q_{k+1}`,

.. math:: \partial_a E = R_{L-2}, \qquad \partial_{W^k} E = Q_k R_{k-2}^\top, \qquad
          \partial_u E = Q_1, \qquad E = a^\top R_{L-2}.

For depth 3 this is :math:`a' = W u`, :math:`W' = a u^\top`, :math:`u' = W^\top a`
(docs/mathematics.md#reduced-variables). ``tests/test_numerics_codegen.py`` ties these kernels to the symbolic field
of :func:`theory.reduced_model` at random points (the kernels are the "hand-optimized" path of
issue 3; the generated code of :mod:`numerics.codegen` is the symbolic one).

The projected (sphere) flow of docs/mathematics.md#blow-up in the rescaled time
:math:`ds = r^{L-2} d\tau` acts on :math:`z = (\theta, \rho = \log r, \tau)`:

.. math:: \frac{d\theta}{ds} = F(\theta) - L E(\theta)\,\theta, \qquad
          \frac{d\rho}{ds} = L E(\theta), \qquad \frac{d\tau}{ds} = e^{-(L-2)\rho}.

All fields exist in two forms: plain ``@njit`` functions on arrays (for Python callers and
tests) and ``@cfunc`` functions with the C signature :data:`FIELD_SIG` that the compiled
Runge–Kutta driver of :mod:`numerics.rk` calls through its address (so the driver is
compiled once and cached on disk, whatever field it integrates). The C functions
``chain_field_c`` and ``projected_field_c`` are built on first access.

Parameter vector ``p`` (float64) shared by the fields and the monitors:
``p[0] = L``, ``p[1:L] = (m1, ..., m_{L-1})``, ``p[L:L+N_SLOTS]`` free slots for monitors,
``p[L+N_SLOTS:]`` workspace of length ``2 * sum(widths)``.
"""

from __future__ import annotations

import numba as nb
import numpy as np
from numba import types

#: ``field(t, y*, out*, n, p*, n_p)``: writes ``dy/dt`` into ``out``.
FIELD_SIG = types.void(
    types.float64,
    types.CPointer(types.float64),
    types.CPointer(types.float64),
    types.int64,
    types.CPointer(types.float64),
    types.int64,
)
#: ``event(t, y*, n, p*, n_p) -> g``: an event happens where ``g`` changes sign.
EVENT_SIG = types.float64(
    types.float64, types.CPointer(types.float64), types.int64, types.CPointer(types.float64), types.int64
)
#: ``monitor(t, y*, f*, n, p*, n_p) -> code``: called after every accepted step with the new state
#: and its derivative; a nonzero code stops the integration and is reported back.
MONITOR_SIG = types.int64(
    types.float64,
    types.CPointer(types.float64),
    types.CPointer(types.float64),
    types.int64,
    types.CPointer(types.float64),
    types.int64,
)

# The state layout is defined once, in theory.layout (flattened order a, W^{L-1}, ..., W^2, u).
from theory.layout import state_dimension, state_shapes  # noqa: E402,F401  (re-exported)

N_SLOTS = 4
_BLAS_MIN = 1024  # matrix blocks with at least this many entries use np.dot (BLAS gemv)




def chain_params(widths, slots=(0.0, 0.0, 0.0, 0.0)) -> np.ndarray:
    """Parameter vector ``p`` for the chain kernels (layout in the module docstring)."""
    widths = tuple(int(m) for m in widths)
    depth = len(widths) + 1
    slots = tuple(float(s) for s in slots) + (0.0,) * (N_SLOTS - len(slots))
    p = np.zeros(depth + N_SLOTS + 2 * sum(widths))
    p[0] = depth
    p[1:depth] = widths
    p[depth : depth + N_SLOTS] = slots[:N_SLOTS]
    return p


@nb.njit(cache=True, nogil=True)
def chain_field_p(y, out, p):
    """Write :math:`F(y) = \\nabla E(y)` into ``out`` and return :math:`E(y)` (layout of ``p``
    in the module docstring; ``y`` and ``out`` of length ``state_dimension(widths)``)."""
    depth = int(p[0])
    work = depth + N_SLOTS  # start of the workspace inside p
    m1 = int(p[1])
    mtop = int(p[depth - 1])
    dim = y.shape[0]
    u_off = dim - m1
    # right products R_0 = u, R_j = W^{j+1} R_{j-1}; R_j stored at p[work + rs_j]
    total = 0
    for k in range(1, depth):
        total += int(p[k])
    for j in range(m1):
        p[work + j] = y[u_off + j]
    r_prev = work
    w_off = u_off
    for k in range(2, depth):  # W^k : m_{k-1} -> m_k
        rows = int(p[k])
        cols = int(p[k - 1])
        w_off -= rows * cols
        r_new = r_prev + cols
        if rows * cols >= _BLAS_MIN:  # large blocks: BLAS gemv (deterministic, single product)
            block = y[w_off : w_off + rows * cols].reshape((rows, cols))
            np.dot(block, p[r_prev : r_prev + cols], p[r_new : r_new + rows])
        else:
            for i in range(rows):
                acc = 0.0
                base = w_off + i * cols
                for j in range(cols):
                    acc += y[base + j] * p[r_prev + j]
                p[r_new + i] = acc
        r_prev = r_new
    # r_prev: R_{L-2} (length mtop); left products Q_{L-1} = a, Q_k = (W^{k+1})^T Q_{k+1}
    energy = 0.0
    for i in range(mtop):
        out[i] = p[r_prev + i]
        energy += y[i] * p[r_prev + i]
    q_prev = work + total
    for i in range(mtop):
        p[q_prev + i] = y[i]
    w_off = mtop
    r_end = r_prev  # start of R_{k-1} while descending
    for k in range(depth - 1, 1, -1):  # gradient of W^k, then Q_{k-1}
        rows = int(p[k])
        cols = int(p[k - 1])
        r_start = r_end - cols  # R_{k-2}
        for i in range(rows):
            qi = p[q_prev + i]
            base = w_off + i * cols
            for j in range(cols):
                out[base + j] = qi * p[r_start + j]
        q_new = q_prev + rows
        if rows * cols >= _BLAS_MIN:
            block = y[w_off : w_off + rows * cols].reshape((rows, cols))
            np.dot(p[q_prev : q_prev + rows], block, p[q_new : q_new + cols])
        else:
            for j in range(cols):
                p[q_new + j] = 0.0
            for i in range(rows):
                qi = p[q_prev + i]
                base = w_off + i * cols
                for j in range(cols):
                    p[q_new + j] += y[base + j] * qi
        q_prev = q_new
        r_end = r_start
        w_off += rows * cols
    for j in range(m1):
        out[u_off + j] = p[q_prev + j]
    return energy


@nb.njit(cache=True, nogil=True)
def projected_field_p(z, out, p):
    """Projected flow of docs/mathematics.md#blow-up on ``z = (theta, rho, tau)``; returns :math:`E(\\theta)`."""
    depth = int(p[0])
    dim = z.shape[0] - 2
    theta = z[:dim]
    grad = out[:dim]
    energy = chain_field_p(theta, grad, p)
    le = depth * energy
    for i in range(dim):
        out[i] = grad[i] - le * theta[i]
    out[dim] = le
    out[dim + 1] = np.exp(-(depth - 2) * z[dim])
    return energy


def _make_chain_field_c():
    @nb.cfunc(FIELD_SIG, cache=True, nopython=True)
    def chain_field_c(t, y_ptr, out_ptr, n, p_ptr, n_p):
        chain_field_p(nb.carray(y_ptr, (n,)), nb.carray(out_ptr, (n,)), nb.carray(p_ptr, (n_p,)))

    return chain_field_c


def _make_projected_field_c():
    @nb.cfunc(FIELD_SIG, cache=True, nopython=True)
    def projected_field_c(t, z_ptr, out_ptr, n, p_ptr, n_p):
        projected_field_p(nb.carray(z_ptr, (n,)), nb.carray(out_ptr, (n,)), nb.carray(p_ptr, (n_p,)))

    return projected_field_c


#: C functions (:data:`FIELD_SIG`) built on first access (module ``__getattr__``), so importing
#: this module compiles nothing and a process compiles or loads only the fields it integrates.
_LAZY_CFUNCS = {"chain_field_c": _make_chain_field_c, "projected_field_c": _make_projected_field_c}


def __getattr__(name: str):
    make = _LAZY_CFUNCS.get(name)
    if make is None:
        raise AttributeError(f"module 'numerics.kernels' has no attribute {name!r}")
    value = make()
    globals()[name] = value
    return value


def chain_field(y: np.ndarray, widths) -> np.ndarray:
    """:math:`F(y) = \\nabla E(y)` of the reduced model with hidden ``widths`` (flattened state)."""
    y = np.ascontiguousarray(y, dtype=np.float64)
    out = np.empty_like(y)
    chain_field_p(y, out, chain_params(widths))
    return out


def chain_energy(y: np.ndarray, widths) -> float:
    """:math:`E(y) = a^\\top W^{L-1}\\cdots W^2 u` (flattened state)."""
    y = np.ascontiguousarray(y, dtype=np.float64)
    return float(chain_field_p(y, np.empty_like(y), chain_params(widths)))


def projected_field(z: np.ndarray, widths) -> np.ndarray:
    """Right-hand side of the projected flow at ``z = (theta, log r, tau)``."""
    z = np.ascontiguousarray(z, dtype=np.float64)
    out = np.empty_like(z)
    projected_field_p(z, out, chain_params(widths))
    return out
