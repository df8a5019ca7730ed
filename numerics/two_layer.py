r"""Two-layer networks with output scaling, trained by gradient descent (docs/mathematics.md#phase-diagram, #stages, #one-dimensional-features).

The model of the phase diagram (Luo et al. 2021, docs/mathematics.md#phase-diagram):

.. math::

    f_\theta(x) = \frac{1}{\alpha}\sum_{k=1}^m a_k\,\sigma(w_k^\top \tilde x),
    \qquad \tilde x = (x, 1),\quad a_k \sim N(0, \beta_1^2),\quad w_k \sim N(0, \beta_2^2 I),

(the bias is the last component of :math:`w_k`), with

.. math::

    \gamma = -\frac{\log(\beta_1\beta_2/\alpha)}{\log m},\qquad
    \gamma' = -\frac{\log(\beta_1/\beta_2)}{\log m}.

Two relations fix two of :math:`(\alpha, \beta_1, \beta_2)`; the third is a convention
(:func:`scaling`). The default ``"beta2_one"`` takes :math:`\beta_2 = 1,\ \beta_1 = m^{-\gamma'},
\ \alpha = m^{\gamma-\gamma'}`, which reproduces the classic initializations exactly (mean field
:math:`\alpha = m,\ \beta_1 = \beta_2 = 1` at :math:`(1, 0)`; NTK :math:`\alpha = \sqrt m` at
:math:`(1/2, 0)`; LeCun/He :math:`\alpha = 1,\ \beta_1 = m^{-1/2}` at :math:`(1/2, 1/2)`).
``"alpha_one"`` takes :math:`\alpha = 1,\ \beta_1 = m^{-(\gamma+\gamma')/2},\ \beta_2 =
m^{-(\gamma-\gamma')/2}`. For ReLU (1-homogeneous) the normalized dynamics
:math:`\bar a = a/\beta_1,\ \bar w = w/\beta_2,\ \bar t = t/\alpha` depend only on
:math:`\kappa = \beta_1\beta_2/\alpha = m^{-\gamma}` and :math:`\kappa' = \beta_1/\beta_2 =
m^{-\gamma'}`, so both conventions give the same :math:`\mathrm{RD}` (tested).

Training: gradient descent on :math:`R = \frac1{2n}\sum_i (f(x_i) - y_i)^2`. Two step rules:

* ``lr_mode="normalized"`` (phase diagram): :math:`\eta_k = c_k / L_k` with :math:`L_k` a local
  smoothness estimate (trace of the Gauss–Newton matrix plus a bound of the residual term,
  see :func:`_kernels`), so that every grid point trains in a comparable number of steps
  whatever its scaling (the natural time scale is :math:`\alpha`-dependent);
* ``lr_mode="fixed"`` (multi-stage loss): :math:`\eta_k = c_k\,\eta`, so iteration ↔ time.

In both, :math:`c_0 = ` ``lr`` factor and :math:`c_k` is halved (and the step rejected) whenever
the loss would rise, as the authors of the phase-diagram paper did (it then recovers by a factor
``lr_recovery`` = 1.1 per accepted step, up to :math:`c_0`). GD with a variable step is
still a discretization of the same gradient-flow path (a reparametrization of time), and the
phase diagram only uses the end point :math:`\theta(t^*)` of that path.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from numerics.history import TrainingHistory
from numerics.init import gaussian_arrays

from numerics.activations import compile_activation, kernel_module

__all__ = [
    "Scaling",
    "scaling",
    "SCALE_CONVENTIONS",
    "phase_dataset",
    "init_two_layer",
    "two_layer_output",
    "TwoLayerRun",
    "train_two_layer",
    "relative_distance",
    "feature_map",
    "neuron_amplitudes",
    "warm_up",
]

SCALE_CONVENTIONS = ("beta2_one", "alpha_one")


# --------------------------------------------------------------------------- scaling


@dataclass(frozen=True)
class Scaling:
    r"""Initialization scales of one grid point: :math:`\alpha, \beta_1, \beta_2` at width ``m``."""

    gamma: float
    gamma_prime: float
    m: int
    alpha: float
    beta1: float
    beta2: float
    convention: str

    @property
    def kappa(self) -> float:
        r""":math:`\kappa = \beta_1\beta_2/\alpha = m^{-\gamma}`."""
        return self.beta1 * self.beta2 / self.alpha

    @property
    def kappa_prime(self) -> float:
        r""":math:`\kappa' = \beta_1/\beta_2 = m^{-\gamma'}`."""
        return self.beta1 / self.beta2


def _check_finite(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name}: expected a real number, got {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name}: must be finite, got {value}")
    return value


def _check_int(name: str, value, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name}: expected an integer >= {low}, got {type(value).__name__}")
    if value < low:
        raise ValueError(f"{name}: must be an integer >= {low}, got {value}")
    return int(value)


def scaling(gamma: float, gamma_prime: float, m: int, convention: str = "beta2_one") -> Scaling:
    r"""The scales :math:`(\alpha, \beta_1, \beta_2)` of the point :math:`(\gamma, \gamma')` at width ``m``
    (docs/mathematics.md#phase-diagram). Both conventions satisfy :math:`\beta_1\beta_2/\alpha = m^{-\gamma}` and
    :math:`\beta_1/\beta_2 = m^{-\gamma'}` exactly:

    * ``"beta2_one"``: :math:`\beta_2 = 1,\ \beta_1 = m^{-\gamma'},\ \alpha = m^{\gamma - \gamma'}`;
    * ``"alpha_one"``: :math:`\alpha = 1,\ \beta_1 = m^{-(\gamma+\gamma')/2},\ \beta_2 = m^{-(\gamma-\gamma')/2}`.
    """
    gamma = _check_finite("gamma", gamma)
    gamma_prime = _check_finite("gamma_prime", gamma_prime)
    m = _check_int("m", m, 2)
    if convention == "beta2_one":
        beta2 = 1.0
        beta1 = m ** (-gamma_prime)
        alpha = m ** (gamma - gamma_prime)
    elif convention == "alpha_one":
        alpha = 1.0
        beta1 = m ** (-(gamma + gamma_prime) / 2)
        beta2 = m ** (-(gamma - gamma_prime) / 2)
    else:
        raise ValueError(f"convention: must be one of {SCALE_CONVENTIONS}, got {convention!r}")
    return Scaling(gamma, gamma_prime, m, alpha, beta1, beta2, convention)


# --------------------------------------------------------------------------- data and init


def phase_dataset(name: str = "three_point") -> tuple[np.ndarray, np.ndarray]:
    r"""Small 1-d data sets ``(X, y)`` with ``X`` of shape ``(n, 1)`` (the bias is appended by the model).

    * ``"three_point"``: :math:`x = (-0.9, -0.1, 0.8)`, :math:`y = (0.3, -0.25, 0.45)` (a V shape,
      not fitted by a line), the 3-point 1-d setting of the phase-diagram experiments (docs/mathematics.md#phase-diagram);
    * ``"staircase"``: 8 equispaced points on :math:`[-1, 1]` of
      :math:`y = 0.6\tanh(4x) + 0.3\sqrt{\max(x - 0.2, 0)}`, used for the multi-stage loss
      curves (docs/mathematics.md#stages): a one-direction fit leaves a residual, hence a secondary plateau.
    """
    if name == "three_point":
        X = np.array([[-0.9], [-0.1], [0.8]])
        y = np.array([0.3, -0.25, 0.45])
    elif name == "staircase":
        x = np.linspace(-1.0, 1.0, 8)
        y = 0.6 * np.tanh(4 * x) + 0.3 * np.sqrt(np.maximum(x - 0.2, 0.0))
        X = x[:, None]
    else:
        raise ValueError(f"name: unknown data set {name!r}; allowed: 'three_point', 'staircase'")
    return X, y


def init_two_layer(
    m: int, d: int, beta1: float, beta2: float, seed: int, *, antisymmetric: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    r"""Draw :math:`a \in \mathbb R^m`, :math:`W \in \mathbb R^{m \times (d+1)}` (bias = last column)
    with :math:`a_k \sim N(0,\beta_1^2)`, :math:`w_k \sim N(0,\beta_2^2 I)`.

    ``antisymmetric``: neurons come in pairs :math:`(a_k, w_k), (-a_k, w_k)` (``m`` even), so
    :math:`f \equiv 0` at start (docs/mathematics.md#phase-diagram). The standard normals are drawn first and then scaled, so the
    same ``seed`` gives the same normalized weights :math:`a/\beta_1, W/\beta_2` for every scale
    (:func:`numerics.init.gaussian_arrays`, the one Gaussian family).
    """
    m = _check_int("m", m, 2)
    d = _check_int("d", d, 1)
    beta1 = _check_finite("beta1", beta1)
    beta2 = _check_finite("beta2", beta2)
    if beta1 <= 0 or beta2 <= 0:
        raise ValueError(f"beta1, beta2: must be > 0, got {beta1}, {beta2}")
    seed = _check_int("seed", seed, 0)  # None would draw fresh OS entropy: not reproducible
    if antisymmetric:
        if m % 2:
            raise ValueError(f"m: must be even for an antisymmetric initialization, got {m}")
        half_a, half_w = gaussian_arrays([(m // 2,), (m // 2, d + 1)], 1.0, seed)
        a = np.concatenate([half_a, -half_a])
        W = np.concatenate([half_w, half_w])
    else:
        a, W = gaussian_arrays([(m,), (m, d + 1)], 1.0, seed)
    return beta1 * a, beta2 * W


def _augment(X: np.ndarray) -> np.ndarray:
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(f"X: must have shape (n, d) with n >= 1, got shape {X.shape}")
    return np.ascontiguousarray(np.hstack([X, np.ones((X.shape[0], 1))]))


# --------------------------------------------------------------------------- compiled kernels
#
# The kernels below are plain Python functions calling ``sigma_pair``/``_gd_d2sigma``; they are
# never run as Python: :func:`numerics.activations.kernel_module` copies their source into a
# generated module where ``sigma_pair(z) -> (sigma(z), sigma'(z))`` is printed from the theory's
# SymPy expression and every function is ``numba.njit(cache=True)`` (so the compiled kernel is
# cached on disk across processes). ReLU's derivative there is 1[z > 0].
#
# Layout (the data are tiny, n points, p = d + 1 inputs; the width m is large): the weights live
# transposed, ``WT`` of shape (p, m), so that every inner loop runs over the m neurons on
# contiguous arrays and vectorizes; per point i one pass computes z_ik, sigma and sigma' once
# (kept in rows S[i], D[i]) and the output sum; the gradient is one pass per (i, j) over m. Sums
# over k run in four interleaved partial sums (k mod 4) added in a fixed order, written out in the
# source: no fast-math, so the compiled result does not depend on how LLVM vectorizes, and the
# same inputs give the same bits. Every work array is allocated once per chunk, none per step.


def _gd_sum4(x, y):  # pragma: no cover - compiled by kernel_module
    r""":math:`\sum_k x_k y_k` in four partial sums over :math:`k \bmod 4`, added as ``(s0 + s1) + (s2 + s3)``."""
    m = x.shape[0]
    s0 = 0.0
    s1 = 0.0
    s2 = 0.0
    s3 = 0.0
    top = m - m % 4
    for k in range(0, top, 4):
        s0 += x[k] * y[k]
        s1 += x[k + 1] * y[k + 1]
        s2 += x[k + 2] * y[k + 2]
        s3 += x[k + 3] * y[k + 3]
    for k in range(top, m):
        s0 += x[k] * y[k]
    return (s0 + s1) + (s2 + s3)


def _gd_forward(a, WT, X1, y, alpha, S, D, e, T, smoothness):  # pragma: no cover - compiled by kernel_module
    r"""Loss :math:`R` at ``(a, WT)``; fills ``S[i, k] = \sigma(z_{ik})``, ``D[i, k] = \sigma'(z_{ik})``
    (:math:`z_{ik} = \sum_j W_{kj}\tilde x_{ij}`) and the residuals ``e``; with ``smoothness`` also
    returns the estimate :math:`L` of :func:`_kernels` (else 0), using ``T`` (length m) as scratch."""
    p, m = WT.shape
    n = X1.shape[0]
    loss = 0.0
    gn = 0.0
    res = 0.0
    top = m - m % 4
    for i in range(n):
        Si = S[i]
        Di = D[i]
        x0 = X1[i, 0]
        for k in range(m):
            Si[k] = WT[0, k] * x0
        for j in range(1, p):
            xj = X1[i, j]
            for k in range(m):
                Si[k] += WT[j, k] * xj
        if smoothness:
            xn2 = 0.0
            for j in range(p):
                xn2 += X1[i, j] * X1[i, j]
            xn = math.sqrt(xn2)
            c0 = 0.0
            c1 = 0.0
            c2 = 0.0
            c3 = 0.0
            g0 = 0.0
            g1 = 0.0
            g2 = 0.0
            g3 = 0.0
            for k in range(m):  # elementwise: vectorizes
                zk = Si[k]
                sk, dk = sigma_pair(zk)  # noqa: F821 - defined in the generated module
                Si[k] = sk
                Di[k] = dk
                T[k] = abs(a[k]) * abs(_gd_d2sigma(zk))
            for k in range(0, top, 4):
                g0 += Si[k] * Si[k] + a[k] * a[k] * Di[k] * Di[k] * xn2
                g1 += Si[k + 1] * Si[k + 1] + a[k + 1] * a[k + 1] * Di[k + 1] * Di[k + 1] * xn2
                g2 += Si[k + 2] * Si[k + 2] + a[k + 2] * a[k + 2] * Di[k + 2] * Di[k + 2] * xn2
                g3 += Si[k + 3] * Si[k + 3] + a[k + 3] * a[k + 3] * Di[k + 3] * Di[k + 3] * xn2
                c0 = max(c0, abs(Di[k]) * xn + T[k] * xn2)
                c1 = max(c1, abs(Di[k + 1]) * xn + T[k + 1] * xn2)
                c2 = max(c2, abs(Di[k + 2]) * xn + T[k + 2] * xn2)
                c3 = max(c3, abs(Di[k + 3]) * xn + T[k + 3] * xn2)
            for k in range(top, m):
                g0 += Si[k] * Si[k] + a[k] * a[k] * Di[k] * Di[k] * xn2
                c0 = max(c0, abs(Di[k]) * xn + T[k] * xn2)
            gn += (g0 + g1) + (g2 + g3)
            cmax = max(max(c0, c1), max(c2, c3))
        else:
            cmax = 0.0
            for k in range(m):
                s, ds = sigma_pair(Si[k])  # noqa: F821
                Si[k] = s
                Di[k] = ds
        ei = _gd_sum4(a, Si) / alpha - y[i]
        e[i] = ei
        loss += ei * ei
        res += abs(ei) * cmax
    loss /= 2.0 * n
    smooth = gn / (n * alpha * alpha) + res / (n * alpha) if smoothness else 0.0
    return loss, smooth


def _gd_backward(a, X1, alpha, S, D, e, ga, gWT):  # pragma: no cover - compiled by kernel_module
    r"""Gradient of :math:`R` from :func:`_gd_forward`'s rows: :math:`\partial_{a_k} R = \frac{1}{n\alpha}
    \sum_i e_i\sigma(z_{ik})`, :math:`\partial_{W_{kj}} R = \frac{a_k}{n\alpha}\sum_i (e_i\tilde x_{ij})
    \sigma'(z_{ik})`, each sum over i in order."""
    p, m = gWT.shape
    n = X1.shape[0]
    scale = 1.0 / (n * alpha)
    for k in range(m):
        ga[k] = 0.0
    for j in range(p):
        for k in range(m):
            gWT[j, k] = 0.0
    for i in range(n):
        ei = e[i]
        Si = S[i]
        Di = D[i]
        for k in range(m):
            ga[k] += ei * Si[k]
        for j in range(p):
            u = ei * X1[i, j]
            for k in range(m):
                gWT[j, k] += u * Di[k]
    for k in range(m):
        ga[k] *= scale
    for j in range(p):
        for k in range(m):
            gWT[j, k] *= scale * a[k]


def _gd_evaluate(a, W, X1, y, alpha, ga, gW):  # pragma: no cover - compiled by kernel_module
    """Loss, gradient (into ga, gW of W's shape (m, p)) and the smoothness estimate L at ``(a, W)``."""
    m, p = W.shape
    n = X1.shape[0]
    WT = np.ascontiguousarray(W.T)
    S = np.empty((n, m))
    D = np.empty((n, m))
    e = np.empty(n)
    gWT = np.empty((p, m))
    loss, smooth = _gd_forward(a, WT, X1, y, alpha, S, D, e, np.empty(m), True)
    _gd_backward(a, X1, alpha, S, D, e, ga, gWT)
    gW[:, :] = gWT.T
    return loss, smooth


def _gd_run_chunk(a, W, X1, y, alpha, normalized, lr, state, n_steps, loss_tol, losses, offset):  # pragma: no cover
    """Run up to ``n_steps`` GD steps in place; ``state = [c, loss, halvings, c_max, growth]``.

    Returns the number of steps done and a status: 0 ran out of steps, 1 reached the
    tolerance, 2 the step factor underflowed (no descent possible). The trial point's gradient
    is computed only once the step is accepted.
    """
    m, p = W.shape
    n = X1.shape[0]
    a_cur = a.copy()
    WT = np.ascontiguousarray(W.T)
    a_new = np.empty(m)
    WT_new = np.empty((p, m))
    ga = np.empty(m)
    gWT = np.empty((p, m))
    S = np.empty((n, m))  # the rows of the trial point; once a step is accepted they are the
    D = np.empty((n, m))  # current point's, and the gradient taken from them is all a rejected
    e = np.empty(n)  # step's retry needs
    T = np.empty(m)
    loss, smooth = _gd_forward(a_cur, WT, X1, y, alpha, S, D, e, T, normalized)
    _gd_backward(a_cur, X1, alpha, S, D, e, ga, gWT)
    done = n_steps
    status = 0
    for s in range(n_steps):
        losses[offset + s] = loss
        if loss <= loss_tol:
            done = s
            status = 1
            break
        if normalized:
            eta = state[0] / smooth
        else:
            eta = state[0] * lr
        for k in range(m):
            a_new[k] = a_cur[k] - eta * ga[k]
        for j in range(p):
            for k in range(m):
                WT_new[j, k] = WT[j, k] - eta * gWT[j, k]
        loss2, smooth2 = _gd_forward(a_new, WT_new, X1, y, alpha, S, D, e, T, normalized)
        if not (loss2 <= loss):  # rose, or NaN: reject and halve
            state[0] *= 0.5
            state[2] += 1.0
            if state[0] < 1e-30:
                done = s + 1
                status = 2
                break
            continue
        state[0] = min(state[3], state[0] * state[4])
        a_cur, a_new = a_new, a_cur
        WT, WT_new = WT_new, WT
        loss = loss2
        smooth = smooth2
        _gd_backward(a_cur, X1, alpha, S, D, e, ga, gWT)
    state[1] = loss
    a[:] = a_cur
    W[:, :] = WT.T
    return done, status


def _second_derivative_function(activation):
    r"""A plain function ``_gd_d2sigma(z)`` returning :math:`\sigma''(z)`, printed by
    SymPy from :math:`d^2\sigma/dz^2` into a small file of the kernel cache, so that
    :func:`numerics.activations.kernel_module` can copy its source next to the kernels. It is printed
    as the kernels' own :math:`\sigma` is (``tanh`` as the generated branch-free ``fast_tanh``,
    accurate to 3 ulp), so that the loop computing it vectorizes instead of calling libm."""
    import sympy as sp

    from numerics._generated import load_generated_module
    from numerics.activations import _kernel_print, activation_derivative_expr
    from theory.activations import z

    second = sp.diff(activation_derivative_expr(activation), z)
    second = second.replace(sp.DiracDelta, lambda *args: sp.S.Zero)  # ReLU: 0 away from the kink
    source = (
        "import math\n\n\n"
        "def _gd_d2sigma(z):\n"
        f"    return float({_kernel_print(second)})\n"
    )
    module = load_generated_module(source, "condense_d2sigma", "kernels")
    return module._gd_d2sigma


def _kernels(activation):
    r"""``(evaluate, run_chunk)`` compiled for ``activation`` (generated from
    :func:`theory.activations.activation_expr` by :func:`numerics.activations.kernel_module`).

    ``evaluate`` returns the loss, the gradient and the smoothness estimate of the normalized step

    .. math::

        L = \frac1n\sum_i\sum_k \frac{\sigma(z_{ki})^2 + a_k^2\sigma'(z_{ki})^2\|\tilde x_i\|^2}{\alpha^2}
          + \frac1n\sum_i |e_i| \max_k \frac{|\sigma'(z_{ki})|\,\|\tilde x_i\|
          + |a_k|\,|\sigma''(z_{ki})|\,\|\tilde x_i\|^2}{\alpha}:

    the trace of the Gauss–Newton matrix (a bound of its largest eigenvalue) plus a bound of the
    residual term :math:`\|\frac1n\sum_i e_i\nabla^2 f(x_i)\|` (block diagonal over neurons).
    :math:`\sigma''` is printed by SymPy too (:func:`_second_derivative_function`).
    """
    functions = [_second_derivative_function(activation), _gd_sum4, _gd_forward, _gd_backward, _gd_evaluate, _gd_run_chunk]
    module = kernel_module(activation, functions, tag="two_layer_gd")
    return module._gd_evaluate, module._gd_run_chunk


def warm_up(activation="relu") -> None:
    """Compile (or load from the disk cache) the GD kernel for ``activation`` now, e.g. before forking workers."""
    X, y = phase_dataset("three_point")
    a0, W0 = init_two_layer(2, 1, 1.0, 1.0, 0)
    train_two_layer(X, y, a0, W0, 1.0, activation=activation, max_steps=2)


# --------------------------------------------------------------------------- training


def _record_marks(record_every: int, record_steps, max_steps: int) -> np.ndarray:
    if record_every and record_steps is not None:
        raise ValueError("record_every, record_steps: give at most one of them")
    if record_steps is not None:
        marks = np.unique(np.asarray(record_steps, dtype=int))
        if marks.ndim != 1 or (marks.size and marks[0] < 0):
            raise ValueError("record_steps: need non-negative iteration numbers")
        kept = marks[(marks > 0) & (marks <= max_steps)]
        return kept if kept.size else np.array([0])  # still record the start and the end
    if record_every:
        return np.arange(record_every, max_steps + 1, record_every)
    return np.empty(0, dtype=int)


def two_layer_output(X: np.ndarray, a: np.ndarray, W: np.ndarray, alpha: float, activation="relu") -> np.ndarray:
    r""":math:`f(x) = \frac1\alpha\sum_k a_k\sigma(w_k^\top\tilde x)` at the rows of ``X`` (NumPy,
    from the same generated :math:`\sigma`)."""
    sigma = compile_activation(activation).sigma_np
    return sigma(_augment(X) @ np.asarray(W).T) @ np.asarray(a) / alpha


@dataclass
class TwoLayerRun(TrainingHistory):
    """Result of :func:`train_two_layer`: a :class:`numerics.history.TrainingHistory` (same field
    names as every trainer's) with ``weights = [W, a]`` (input to output; ``W`` of shape
    ``(m, d+1)``, bias last), snapshots ``[W, a]`` at ``record_steps`` (0, every
    ``record_every`` iterations or the iterations asked for, and the end), and the two-layer
    extras ``a0``, ``W0``, ``alpha``, ``halvings`` (rejected, halved steps).

    ``loss[k]`` is the loss before iteration ``k`` (a rejected step keeps the loss) and
    ``loss[steps_done]`` the final loss; ``status``: ``"converged"`` (loss ≤ tolerance),
    ``"max_steps"`` or ``"stalled"`` (no relative progress of 1e-6 within ``patience``).
    ``a``, ``W`` (final weights), ``losses`` (= ``loss``), ``seconds`` (= ``wall_time``) and
    ``converged`` are kept as read-only names.
    """

    a0: np.ndarray = field(default=None, kw_only=True)
    W0: np.ndarray = field(default=None, kw_only=True)
    alpha: float = field(default=1.0, kw_only=True)
    halvings: int = field(default=0, kw_only=True)

    @property
    def a(self) -> np.ndarray:
        return self.weights[-1]

    @property
    def W(self) -> np.ndarray:
        return self.weights[0]

    @property
    def losses(self) -> np.ndarray:
        return self.loss

    @property
    def seconds(self) -> float:
        return self.wall_time

    @property
    def converged(self) -> bool:
        return self.status == "converged"

    def _display_rows(self):
        return super()._display_rows() + [("alpha", self.alpha), ("halved steps", self.halvings)]


def train_two_layer(
    X: np.ndarray,
    y: np.ndarray,
    a0: np.ndarray,
    W0: np.ndarray,
    alpha: float = 1.0,
    *,
    activation="relu",
    lr: float = 1.0,
    lr_mode: str = "normalized",
    loss_tol: float = 0.0,
    max_steps: int = 10_000,
    record_every: int = 0,
    record_steps=None,
    lr_recovery: float = 1.1,
    patience: int = 2000,
) -> TwoLayerRun:
    r"""Gradient descent on :math:`R = \frac1{2n}\sum_i(f(x_i)-y_i)^2` for the model of this module.

    ``lr``: for ``lr_mode="normalized"`` the initial factor :math:`c_0` in :math:`\eta_k = c_k/L_k`;
    for ``lr_mode="fixed"`` the step :math:`\eta_0` itself (:math:`\eta_k = c_k\eta_0`, :math:`c_0 = 1`).
    The factor halves (and the step is rejected) whenever the loss would rise, and after each
    accepted step it is multiplied by ``lr_recovery`` (≥ 1) up to its initial value (without this
    a ReLU kink can leave the step halved for good; ``lr_recovery=1`` is the authors' pure rule).
    Stops when the loss is ≤ ``loss_tol`` (status ``"converged"``), after ``max_steps`` iterations
    (``"max_steps"``), or when ``patience`` iterations lowered the loss by less than a relative
    :math:`10^{-6}` (``"stalled"``: e.g. ReLU kinks sitting on a data point).
    ``W0`` has shape ``(m, d+1)`` (bias last), ``X`` shape ``(n, d)``.
    """
    X1 = _augment(X)
    y = np.ascontiguousarray(np.asarray(y, dtype=float))
    if y.shape != (X1.shape[0],):
        raise ValueError(f"y: must have shape ({X1.shape[0]},) to match X, got {y.shape}")
    a = np.array(a0, dtype=float)
    W = np.array(W0, dtype=float)
    if a.ndim != 1 or a.shape[0] == 0 or W.shape != (a.shape[0], X1.shape[1]):
        raise ValueError(
            f"a0, W0: need shapes (m,) and (m, d+1) = (m, {X1.shape[1]}) with m >= 1, got {a.shape} and {W.shape}"
        )
    alpha = _check_finite("alpha", alpha)
    lr = _check_finite("lr", lr)
    loss_tol = _check_finite("loss_tol", loss_tol)
    if alpha <= 0 or lr <= 0:
        raise ValueError(f"alpha, lr: must be > 0, got alpha={alpha}, lr={lr}")
    if loss_tol < 0:
        raise ValueError(f"loss_tol: must be >= 0, got {loss_tol}")
    if lr_mode not in ("normalized", "fixed"):
        raise ValueError(f"lr_mode: must be 'normalized' or 'fixed', got {lr_mode!r}")
    max_steps = _check_int("max_steps", max_steps, 1)
    record_every = _check_int("record_every", record_every, 0)
    patience = _check_int("patience", patience, 1)
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(W)) and np.all(np.isfinite(X1)) and np.all(np.isfinite(y))):
        raise ValueError("X, y, a0, W0: must be finite")

    _, run_chunk = _kernels(activation)
    normalized = lr_mode == "normalized"
    lr_recovery = _check_finite("lr_recovery", lr_recovery)
    if lr_recovery < 1.0:
        raise ValueError(f"lr_recovery: must be >= 1, got {lr_recovery}")
    c0 = lr if normalized else 1.0
    state = np.array([c0, np.nan, 0.0, c0, lr_recovery])
    losses = np.empty(max_steps + 1)
    marks = _record_marks(record_every, record_steps, max_steps)
    snapshots = [(0, a.copy(), W.copy())] if marks.size else []  # (iteration, a, W) while running
    done = 0
    status = 0
    window_start, window_loss = 0, np.inf
    start = time.perf_counter()
    while done < max_steps:
        upcoming = marks[marks > done]
        stop = min(max_steps, window_start + patience, int(upcoming[0]) if upcoming.size else max_steps)
        ran, status = run_chunk(a, W, X1, y, alpha, normalized, lr, state, stop - done, loss_tol, losses, done)
        done += ran
        if marks.size and (status != 0 or done in marks or done == max_steps) and snapshots[-1][0] != done:
            snapshots.append((done, a.copy(), W.copy()))
        if status != 0:
            break
        if done - window_start >= patience:
            if state[1] > window_loss * (1.0 - 1e-6):
                status = 2
                break
            window_start, window_loss = done, state[1]
    losses[done] = state[1]
    status_name = {0: "max_steps", 1: "converged", 2: "stalled"}[int(status)]
    messages = {
        "converged": f"converged: loss {state[1]:.3g} <= loss_tol {loss_tol:g} after {done} steps",
        "max_steps": f"stopped at max_steps = {max_steps} with loss {state[1]:.3g}",
        "stalled": f"stalled after {done} steps: the loss fell by less than 1e-6 (relative) in {patience} steps",
    }
    return TwoLayerRun(
        loss=losses[: done + 1].copy(),
        record_steps=np.asarray([it for it, _, _ in snapshots], dtype=np.int64),
        snapshots=[[Wk, ak] for _, ak, Wk in snapshots],
        weights=[W, a],
        diverged=False,
        message=messages[status_name],
        lr=lr,
        activation=str(activation),
        steps=max_steps,
        final_loss=float(state[1]),
        wall_time=time.perf_counter() - start,
        status=status_name,
        steps_done=done,
        a0=np.array(a0, dtype=float),
        W0=np.array(W0, dtype=float),
        alpha=alpha,
        halvings=int(state[2]),
    )


# --------------------------------------------------------------------------- diagnostics


def relative_distance(theta0: np.ndarray, theta: np.ndarray) -> float:
    r""":math:`\mathrm{RD}(\theta) = \|\theta - \theta_0\| / \|\theta_0\|` (Frobenius; docs/mathematics.md#phase-diagram)."""
    theta0 = np.asarray(theta0, dtype=float)
    theta = np.asarray(theta, dtype=float)
    if theta0.shape != theta.shape:
        raise ValueError(f"theta: shape {theta.shape} differs from theta0 shape {theta0.shape}")
    if not (np.all(np.isfinite(theta0)) and np.all(np.isfinite(theta))):
        raise ValueError("theta0, theta: must be finite (RD of a diverged run is undefined)")
    norm0 = float(np.linalg.norm(theta0))
    if norm0 == 0.0:
        raise ValueError("theta0: must be nonzero (RD is relative to it)")
    return float(np.linalg.norm(theta - theta0)) / norm0


def feature_map(W: np.ndarray, a: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    r"""Features of 1-d input neurons :math:`h(x) = \sum_k a_k\sigma(w_k x + b_k)` (docs/mathematics.md#one-dimensional-features):

    .. math::

        \theta_k = \operatorname{sign}(b_k)\arccos\frac{w_k}{\sqrt{w_k^2+b_k^2}},\qquad
        A_k = \sqrt{w_k^2 + b_k^2}\quad(\text{or } |a_k|A_k \text{ when } a \text{ is given}).

    ``W`` has shape ``(m, 2)`` with columns :math:`(w_k, b_k)`; computed as
    :math:`\operatorname{sign}(b)\,\mathrm{atan2}(|b|, w)` (equal, better conditioned). (With :math:`\operatorname{sign}(0) = 1`,
    :math:`(A\cos\theta, A\sin\theta) = (w, b)`: :math:`\theta` is the polar angle of :math:`(w, b)`.)
    """
    W = np.asarray(W, dtype=float)
    if W.ndim != 2 or W.shape[1] != 2:
        raise ValueError(f"W: feature maps are for 1-d input, need shape (m, 2) = (w, b), got {W.shape}")
    w, b = W[:, 0], W[:, 1]
    radius = np.hypot(w, b)
    # sign(b)·arccos(w/r) = sign(b)·atan2(|b|, w): the same angle, without arccos's loss of
    # precision near w/r = ±1.
    theta = np.where(b >= 0, 1.0, -1.0) * np.arctan2(np.abs(b), w)
    amplitude = radius if a is None else np.abs(np.asarray(a, dtype=float)) * radius
    return theta, amplitude


def neuron_amplitudes(a: np.ndarray, W: np.ndarray) -> np.ndarray:
    r"""Neuron amplitudes :math:`|a_k|\,\|w_k\|` (docs/mathematics.md#stages)."""
    return np.abs(np.asarray(a, dtype=float)) * np.linalg.norm(np.asarray(W, dtype=float), axis=1)
