r"""Predict when gradient descent leaves its initial plateau (docs/mathematics.md#model, #blow-up).

For a depth-:math:`L` network whose activation has multiplicity one, :math:`c = \sigma'(0) \ne 0`,
small weights :math:`\theta_0 = \varepsilon\bar\theta_0` give :math:`f_\theta(x) \approx
c^{L-1} a^\top W^{L-1}\cdots W^1 x`, and to leading order gradient flow on :math:`R` is the flow
:math:`\dot\theta = \kappa\nabla E(\theta)`, :math:`E = a^\top W^{L-1}\cdots W^2 u`,
:math:`u = W^1 v`, with :math:`\kappa = c^{L-1}\|v'\|`, :math:`v' = \frac1n\sum_i y_i x_i`.

* :math:`L \ge 3`: the reduced state :math:`y = (u, W^2, \dots, a)` blows up at
  :math:`T^*(\bar y_0)` in the rescaled time :math:`\tau = c^{L-1}\varepsilon^{L-2}\|v'\| t`, so
  training escapes at

  .. math:: t_{\rm esc} = \frac{T^*(\bar\theta_0)}{c^{L-1}\varepsilon^{L-2}\|v'\|},\qquad
            k_{\rm esc} = t_{\rm esc}/\eta

  (docs/mathematics.md#blow-up; for :math:`c = 1` this is :math:`T^*/(\varepsilon^{L-2}\|v'\|\eta)`).  By the
  homogeneity :math:`T^*(\lambda y) = \lambda^{-(L-2)}T^*(y)` the prediction does not depend on
  which :math:`\varepsilon` is used to normalize; :math:`\varepsilon` is reported for reference.
  The relative error is :math:`O(\varepsilon)`: the flow leaves the small-weight regime when
  :math:`\|\theta\| = O(1)`, i.e. :math:`O(\varepsilon)` before :math:`T^*` in :math:`\tau`.
* :math:`L = 2`: the flow is linear, :math:`a' = \kappa u`, :math:`u' = \kappa a`; the growing
  mode :math:`s = (a_0 + u_0)/2` grows like :math:`e^{\kappa t}`.  Including the first
  saturation of the fit along :math:`v` (balanced rank-one mode, :math:`b = c\,a^\top u`,
  :math:`\dot b = 2\kappa b(1 - b/b^*)`, :math:`b^* = \|v'\|/(v^\top\Sigma v)`,
  :math:`\Sigma = X^\top X/n`), the loss reaches the fraction :math:`\phi` of its initial value
  :math:`R_0` when :math:`b = b_\phi`, the smaller root of
  :math:`\tfrac12 (v^\top\Sigma v) b^2 - \|v'\| b + (1-\phi) R_0 = 0`, at

  .. math:: t_{\rm esc} = \frac1{2\kappa}\log\frac{b^*/b_0 - 1}{b^*/b_\phi - 1},\qquad
            b_0 = c\|s\|^2 = O(\varepsilon^2),

  so :math:`t_{\rm esc} = \kappa^{-1}\log(1/\varepsilon) + O(1)`.  Gradient descent multiplies the
  growing mode by :math:`1 + \kappa\eta` per step, so the predicted iteration is
  :math:`k_{\rm esc} = \kappa t_{\rm esc}/\log(1 + \kappa\eta)` (:math:`\to t_{\rm esc}/\eta` as
  :math:`\eta \to 0`).  When the best fit along
  :math:`v` cannot reach the fraction :math:`\phi` the prediction is the time at which
  :math:`b = b^*/2` (``details["target"] = "half of b*"``).

General networks (several outputs, biases, one activation per layer; layout of
:func:`numerics.training.parse_network`) go through :func:`_predict_general`: the leading path of the
linearized network gives the order :math:`q` and a chain energy (deep matrix factorization
energy) whose blow-up time (:math:`q \ge 3`) or linear-flow rate (:math:`q = 2`) gives the
escape; an output bias first fits :math:`\bar y`, and the plateau is predicted from the centred data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from numbers import Real

import numpy as np
import sympy as sp

from numerics.data import data_direction
from numerics.init import init_scale
from numerics.training import (_activation_tuple, _check_positive_real, _targets, check_data, check_targets,
                               check_weights, parse_network)
from theory.activations import activation_name, check_smooth_activation, z

__all__ = ["EscapePrediction", "predict_escape", "observed_escape_iteration", "reduced_factors"]


@dataclass
class EscapePrediction:
    r"""Predicted end of the initial plateau.

    ``iteration`` :math:`k_{\rm esc} = t_{\rm esc}/\eta` (float; ``inf`` when the effective flow
    does not blow up), ``time`` :math:`t_{\rm esc}`, ``t_star`` :math:`T^*(\bar\theta_0)` (rescaled
    time of the normalized state; ``nan`` for depth 2), ``epsilon``, ``v_prime_norm``
    :math:`\|v'\|`, ``reduced_state`` the normalized factors ``[u, W^2, ..., a]`` (input to
    output, :math:`\bar\theta_0 = \theta_0/\varepsilon`; ``a`` negated when
    :math:`c^{L-1} < 0`), ``depth``, ``slope``
    :math:`c = \sigma'(0)`, ``time_scale`` :math:`|c|^{L-1}\varepsilon^{L-2}\|v'\|` (so
    :math:`t = \tau/` ``time_scale``), ``lr``, ``method`` (``"blow-up"`` or ``"linear"``),
    ``blowup`` (the :class:`numerics.blowup.BlowupResult`, depth ≥ 3), ``details``.
    For general networks ``reduced_state`` is the normalized chain ``[F, W^{k+1}, ..., A]``,
    ``slope`` the product :math:`C` of the :math:`\sigma_j'(0)` along the leading path,
    ``v_prime_norm`` :math:`\|M'\|_2`, ``blowup`` a
    :class:`numerics.matrix_factorization.FactorizationBlowup`, and ``details`` has
    ``leading_term``, ``leading_order``, ``plateau_loss`` and, with an output bias, ``output_bias``.
    """

    iteration: float
    time: float
    t_star: float
    epsilon: float
    v_prime_norm: float
    reduced_state: list[np.ndarray]
    depth: int
    slope: float
    time_scale: float
    lr: float
    method: str
    activation: str = "tanh"
    blowup: object | None = None
    details: dict = field(default_factory=dict)


def reduced_factors(weights, v: np.ndarray) -> list[np.ndarray]:
    r"""``[u, W^2, ..., W^{L-1}, a]`` with :math:`u = W^1 v` (docs/mathematics.md#reduced-variables), input to output."""
    return [np.asarray(weights[0], dtype=float) @ v] + [np.asarray(w, dtype=float).copy() for w in weights[1:]]


def _activation_slope(activation) -> float:
    r""":math:`c = \sigma'(0)`; refuses non-smooth activations and multiplicity > 1."""
    expr = check_smooth_activation(activation)
    slope = sp.diff(expr, z).subs(z, 0)
    slope = float(sp.N(slope, 20))
    if slope == 0.0:
        raise ValueError(
            f"activation: sigma'(0) = 0 for {activation_name(activation)} (multiplicity > 1): the leading "
            "order of f is not a^T W^(L-1)...W^1 x, and the plateau prediction implemented here "
            "(multiplicity one) does not apply"
        )
    return slope


def _linear_escape_time(X, y, weights, v_prime, v, slope, fraction, loss0=None):
    r"""Depth-2 logistic prediction (module docstring); returns (time, details). ``loss0``: the
    initial loss (default :math:`\frac12\overline{y^2}`; the total loss for a projected vector target)."""
    kappa = slope * float(np.linalg.norm(v_prime))
    a, u = weights[1], weights[0] @ v
    growing = 0.5 * (a + u)
    b0 = slope * float(growing @ growing)
    curvature = float(v @ (X.T @ X / X.shape[0]) @ v)
    b_star = float(np.linalg.norm(v_prime)) / curvature
    loss0 = float(0.5 * np.mean(y**2)) if loss0 is None else float(loss0)
    discriminant = float(np.linalg.norm(v_prime)) ** 2 - 2 * curvature * (1 - fraction) * loss0
    if discriminant >= 0:
        target = (float(np.linalg.norm(v_prime)) - math.sqrt(discriminant)) / curvature
        target_name = f"loss fraction {fraction}"
    else:
        target, target_name = 0.5 * b_star, "half of b*"
    details = dict(b0=b0, b_star=b_star, b_target=target, target=target_name, kappa=kappa)
    if b0 <= 0 or b0 >= target:
        return (0.0 if b0 >= target else math.inf), details
    time = math.log((b_star / b0 - 1) / (b_star / target - 1)) / (2 * kappa)
    return time, details


def predict_escape(
    X,
    y,
    weights,
    lr: float,
    *,
    activation="tanh",
    epsilon: float | None = None,
    fraction: float = 0.5,
    rtol: float = 1e-12,
) -> EscapePrediction:
    r"""Predict the GD iteration at which training from ``weights`` leaves the initial plateau
    (module docstring): :math:`k_{\rm esc} = T^*(\bar\theta_0)/(c^{L-1}\varepsilon^{L-2}\|v'\|\eta)`
    for depth :math:`L \ge 3` (docs/mathematics.md#blow-up), the logistic linear-flow time for :math:`L = 2`.

    ``epsilon`` defaults to the RMS of all initial weights (:func:`numerics.init.init_scale`);
    ``fraction`` is the loss fraction that defines escape (used by the depth-2 formula; the
    blow-up prediction does not depend on it at leading order).  Raises ``ValueError`` for
    :math:`v' = 0` (no target direction), non-smooth activations and :math:`\sigma'(0) = 0`.
    """
    if isinstance(fraction, bool) or not isinstance(fraction, Real) or not 0 < fraction < 1:
        raise ValueError(f"fraction: must be a real number in (0, 1), got {fraction!r}")
    arrays, layout = parse_network(weights, input_dim=np.shape(X)[1] if np.ndim(X) == 2 else None,
                                   targets=_targets(y))
    if not (layout.vector_a and not layout.has_bias and np.ndim(y) == 1
            and not isinstance(activation, tuple | list)):
        return _predict_general(X, y, arrays, layout, lr, activation, epsilon, fraction, rtol)
    X, y = check_data(X, y)
    weights = check_weights(weights, input_dim=X.shape[1])
    lr = _check_positive_real(lr, "lr")
    epsilon = init_scale(weights) if epsilon is None else _check_positive_real(epsilon, "epsilon")
    if epsilon == 0:
        raise ValueError("weights: all initial weights are zero; the plateau never ends (epsilon = 0)")
    slope = _activation_slope(activation)
    v_prime, v = data_direction(X, y)
    norm = float(np.linalg.norm(v_prime))
    depth = len(weights)
    # f ~ c^(L-1) a^T W...W^1 x: for c^(L-1) < 0 the flow of -E is the flow of E with a -> -a.
    sign = 1.0 if slope ** (depth - 1) > 0 else -1.0
    weights = weights[:-1] + [sign * weights[-1]]
    factors = reduced_factors(weights, v)
    normalized = [f / epsilon for f in factors]
    time_scale = abs(slope) ** (depth - 1) * epsilon ** (depth - 2) * norm
    common = dict(
        epsilon=epsilon,
        v_prime_norm=norm,
        reduced_state=normalized,
        depth=depth,
        slope=slope,
        time_scale=time_scale,
        lr=lr,
        activation=activation_name(activation),
    )
    if depth == 2:
        time, details = _linear_escape_time(X, y, weights, v_prime, v, abs(slope), fraction)
        # GD multiplies the growing mode by (1 + kappa*lr) per step, not exp(kappa*lr): count
        # iterations with the discrete rate (-> time/lr as lr -> 0).
        kappa = details["kappa"]
        iteration = time * kappa / math.log1p(kappa * lr) if math.isfinite(time) else math.inf
        details["iteration_continuous"] = time / lr
        return EscapePrediction(
            iteration=iteration, time=time, t_star=math.nan, method="linear", details=details, **common
        )
    from numerics.blowup import blowup_time_deep

    result = blowup_time_deep(normalized, rtol=rtol)
    time = result.t_star / time_scale if result.blew_up else math.inf
    details = {"reason": result.diagnostics.get("reason", "")} if not result.blew_up else {}
    return EscapePrediction(
        iteration=time / lr, time=time, t_star=result.t_star, method="blow-up", blowup=result, details=details, **common
    )


def _predict_general(X, y, arrays, layout, lr, activation, epsilon, fraction, rtol) -> EscapePrediction:
    r"""Escape prediction for a general network (vector output, biases, per-layer activations).

    The leading order comes from the linearized network (multiplicity one,
    :math:`c_k=\sigma_k'(0)`): a term is a path from the input, or from a bias :math:`b^k`, to the
    output; the bias of hidden layer :math:`k` reaches the output at order :math:`q=L-k+1` and pairs
    with :math:`\bar y`, the input (and the first-layer bias, as an input :math:`(x,1)`) at order
    :math:`L` with :math:`M'=\frac1n\sum_iy_i\tilde x_i^\top`. The lowest order with a nonzero data
    moment leads (``theory.derive_effective_model(network=...)`` finds the same order
    symbolically). Its energy is the chain (deep matrix factorization) energy
    :math:`E=\langle\bar M, A W^{L-1}\cdots W^{k+1}F\rangle` with :math:`F=b^k` (target
    :math:`\bar y`) or :math:`F=[W^1|b^1]`, in the time :math:`\tau=C\varepsilon^{q-2}\|M'\|_2t`,
    :math:`C=\prod c_j` over the layers on the path. :math:`q\ge3`: blow-up time of
    ``numerics.matrix_factorization.effective_blowup``; :math:`q=2`: the linear flow, projected on the
    top singular pair of :math:`M'` (the logistic depth-2 formula). An output bias (order 1, constant
    gradient) first fits :math:`\bar y` within :math:`O(1/\eta)` steps; the plateau is then
    predicted from the centred target :math:`y-\bar y` (``details["plateau_loss"]`` is the loss
    level to compare with, see :func:`observed_escape_iteration`'s ``reference``)."""
    from numerics.matrix_factorization import effective_blowup

    X, Y = check_targets(X, y, layout.output_dim)
    lr = _check_positive_real(lr, "lr")
    L = layout.depth
    activations = _activation_tuple(activation, L - 1)
    slopes = [_activation_slope(a) for a in activations]
    epsilon = init_scale(arrays) if epsilon is None else _check_positive_real(epsilon, "epsilon")
    if epsilon == 0:
        raise ValueError("weights: all initial weights are zero; the plateau never ends (epsilon = 0)")
    details: dict = {}
    loss0 = float(0.5 * np.sum(Y**2) / Y.shape[0])
    if layout.biases[-1] >= 0:
        ybar = Y.mean(axis=0)
        Y = Y - ybar
        details["output_bias"] = (
            f"the output bias is of order eps (p = 1) with a constant gradient: it fits the mean target "
            f"(|ybar| = {np.linalg.norm(ybar):.3g}) within O(1/lr) steps; the plateau that follows is predicted "
            "from the centred target y - ybar")
        loss0 = float(0.5 * np.sum(Y**2) / Y.shape[0])
    details["plateau_loss"] = loss0
    n = X.shape[0]
    A = arrays[layout.matrices[-1]]
    A = A.reshape(1, -1) if A.ndim == 1 else A
    ybar = Y.mean(axis=0)
    scale = float(np.sqrt(np.mean(Y**2))) or 1.0
    hidden_bias = [k for k in range(1, L - 1) if layout.biases[k] >= 0]  # 0-based hidden layers >= 2
    if hidden_bias and np.linalg.norm(ybar) > 1e-12 * scale:
        k = max(hidden_bias)
        order = L - k
        features = np.ones((n, 1))
        first = arrays[layout.biases[k]][:, None]
        middle = [arrays[layout.matrices[j]] for j in range(k + 1, L - 1)]
        C = float(np.prod(slopes[k:]))
        details["leading_term"] = f"bias of layer {k + 1} (x-independent, pairs with the mean target), order {order}"
    else:
        order = L
        features = X if layout.biases[0] < 0 else np.hstack([X, np.ones((n, 1))])
        W1 = arrays[layout.matrices[0]]
        first = W1 if layout.biases[0] < 0 else np.hstack([W1, arrays[layout.biases[0]][:, None]])
        middle = [arrays[layout.matrices[j]] for j in range(1, L - 1)]
        C = float(np.prod(slopes))
        details["leading_term"] = ("input (x, 1) with the first-layer bias" if layout.biases[0] >= 0 else "input x") \
            + f", order {order}"
    details["leading_order"] = order
    M = Y.T @ features / n
    norm = float(np.linalg.norm(M, 2))
    if not norm > 1e-12 * scale * float(np.sqrt(np.mean(features**2))):
        raise ValueError("X, y: the data moment M' = (1/n) sum_i y_i x_i^T of the leading term is zero: no target "
                         "direction, the effective model is degenerate")
    sign = 1.0 if C > 0 else -1.0
    factors = [first] + middle + [sign * A]
    normalized = [f / epsilon for f in factors]
    time_scale = abs(C) * epsilon ** (order - 2) * norm
    common = dict(epsilon=epsilon, v_prime_norm=norm, reduced_state=normalized, depth=L, slope=C,
                  time_scale=time_scale, lr=lr, activation=",".join(map(str, activations))
                  if len(set(map(str, activations))) > 1 else str(activations[0]))
    if order == 2:
        left, _, right = np.linalg.svd(M)
        u1, v1 = left[:, 0], right[0]
        time, lin = _linear_escape_time(features, Y @ u1, [first, sign * A.T @ u1], M.T @ u1, v1, abs(C), fraction,
                                        loss0=loss0)
        details.update(lin)
        kappa = lin["kappa"]
        iteration = time * kappa / math.log1p(kappa * lr) if math.isfinite(time) else math.inf
        details["iteration_continuous"] = time / lr
        return EscapePrediction(iteration=iteration, time=time, t_star=math.nan, method="linear", details=details,
                                **common)
    result = effective_blowup(normalized, M / norm, rtol=max(rtol, 1e-10))
    time = result.t_star / time_scale if result.blew_up else math.inf
    if not result.blew_up:
        details["reason"] = result.message
    return EscapePrediction(iteration=time / lr, time=time, t_star=result.t_star, method="blow-up", blowup=result,
                            details=details, **common)


def observed_escape_iteration(loss, fraction: float = 0.5, reference: float | None = None) -> int | None:
    r"""First iteration :math:`k` with ``loss[k] < fraction * reference`` (``None`` if never);
    ``reference`` defaults to ``loss[0]`` (give the plateau's level, e.g. the centred loss
    ``details["plateau_loss"]`` of a network with an output bias)."""
    if isinstance(fraction, bool) or not isinstance(fraction, Real) or not 0 < fraction < 1:
        raise ValueError(f"fraction: must be a real number in (0, 1), got {fraction!r}")
    loss = np.asarray(loss, dtype=float)
    if loss.ndim != 1 or loss.size == 0:
        raise ValueError(f"loss: expected a non-empty 1-d array, got shape {loss.shape}")
    if not math.isfinite(loss[0]) or loss[0] <= 0:
        raise ValueError(f"loss: the initial loss must be finite and > 0, got {loss[0]}")
    level = loss[0] if reference is None else _check_positive_real(reference, "reference")
    below = np.flatnonzero(loss < fraction * level)
    return int(below[0]) if below.size else None


def train_until_escape(
    X, y, weights, lr: float, predicted: float, *, activation="tanh", fraction: float = 0.5, max_factor: float = 3.0,
    reference: float | None = None,
) -> int | None:
    r"""Train by GD (:func:`numerics.training.train_network`) until the plateau is left and return
    :func:`observed_escape_iteration` of the loss (``None`` if the loss has not fallen below
    ``fraction`` of its initial value by ``max_factor * predicted + 20`` iterations, or on divergence).

    Trains in chunks — first :math:`1.05\,k_{\rm pred}`, then :math:`0.25\,k_{\rm pred}` at a time —
    so that a good prediction ``predicted`` (:func:`predict_escape`) costs little beyond the escape.
    GD is deterministic, so the chunked loss equals the loss of one long run.
    """
    from numerics.training import train_network

    predicted = _check_positive_real(predicted, "predicted")
    losses, current, done = [], weights, 0
    chunk = int(1.05 * predicted) + 20
    while done < max_factor * predicted + 20:
        history = train_network(X, y, current, activation=activation, lr=lr, steps=chunk, record_every=chunk)
        losses.append(np.asarray(history.loss))
        if history.diverged:
            return None
        k = observed_escape_iteration(np.concatenate(losses), fraction, reference)
        if k is not None:
            return k
        current, done, chunk = history.weights, done + chunk, int(0.25 * predicted) + 20
    return None
