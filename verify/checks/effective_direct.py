r"""Effective versus direct dynamics (docs/mathematics.md#model–#reduced-variables).

Direct GD on the network from :math:`\theta_0 = \varepsilon\bar\theta_0`, rescaled
(:math:`\bar\theta = \theta/\varepsilon` at :math:`\tau = \varepsilon\|v'\|t`, :math:`t = k\eta`)
and reduced to :math:`(a, W^2, u = W^1 v)`, must follow the effective flow from the reduced
:math:`\bar\theta_0` until near :math:`T^*`, with an error that shrinks like
:math:`\varepsilon^{q}`, where :math:`q` is the order of the first correction of the expansion:
for :math:`\sigma(z) = z + c_k z^k + \dots` the pre-activations are :math:`O(\varepsilon)`, so the
gradient is corrected by a relative :math:`O(\varepsilon^{k-1})` (tanh: :math:`k = 3`, :math:`q = 2`).

GD is the Euler scheme of the flow with step :math:`h = \varepsilon\|v'\|\eta` in :math:`\tau`, so
its discretization error is :math:`O(h)`. Two errors are measured at every :math:`\varepsilon`:

* ``continuous``: against ``numerics.integrate_effective``; the step is scaled as
  :math:`h \propto \varepsilon^q` (:math:`\eta \propto \varepsilon^{q-1}`) so both error sources
  are :math:`O(\varepsilon^q)` and the observed order must be :math:`q`;
* ``euler``: against the Euler iteration of the effective field with the same :math:`h`
  (``numerics.codegen.compile_field`` of ``theory.reduced_model``): the discretization cancels
  and what remains is the expansion error alone, again of order :math:`q`.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from verify.instances import blowup_time_of, flatten_factors, integrate_at, reduced_from_weights
from verify.measures import observed_order
from verify.progress import as_progress
from verify.result import CheckResult, combine_worst

#: Allowed :math:`|q_{obs} - q|`.
ORDER_TOLERANCE = 0.25
#: Largest relative error allowed at the smallest :math:`\varepsilon` ("follows").
FOLLOW_TOLERANCE = 1e-2


def expansion_correction_order(activation="tanh") -> int:
    r"""Order :math:`q = k - 1` of the first correction, :math:`k \ge 2` the first order with
    :math:`\sigma^{(k)}(0) \ne 0` (from the SymPy activation of ``theory.activations``)."""
    import sympy as sp

    from theory.activations import check_smooth_activation, z

    expr = check_smooth_activation(activation)
    derivative = sp.diff(expr, z)
    for k in range(2, 16):
        derivative = sp.diff(derivative, z)
        if sp.simplify(derivative.subs(z, 0)) != 0:
            return k - 1
    raise ValueError(f"activation: no nonzero derivative of order 2..15 at 0 for {expr}")


def relative_errors(direct: np.ndarray, reference: np.ndarray) -> np.ndarray:
    r""":math:`\|y_d(\tau_k) - y_e(\tau_k)\| / \|y_e(\tau_k)\|` row by row."""
    direct = np.asarray(direct, dtype=float)
    reference = np.asarray(reference, dtype=float)
    if direct.shape != reference.shape:
        raise ValueError(f"direct, reference: shapes differ, {direct.shape} vs {reference.shape}")
    return np.linalg.norm(direct - reference, axis=1) / np.linalg.norm(reference, axis=1)


def evaluate_effective_vs_direct(epsilons: Sequence[float], continuous_errors: Sequence[float],
                                 euler_errors: Sequence[float], expected_order: float,
                                 order_tolerance: float = ORDER_TOLERANCE,
                                 follow_tolerance: float = FOLLOW_TOLERANCE,
                                 details: dict | None = None) -> CheckResult:
    r"""Observed orders (log–log slopes of the max relative error against :math:`\varepsilon`).
    Passes when both are within ``order_tolerance`` of ``expected_order`` and the error against
    the continuous flow at the smallest :math:`\varepsilon` is at most ``follow_tolerance``.
    Measured: :math:`|q_{obs} - q|` of the continuous comparison."""
    eps = np.asarray(epsilons, dtype=float)
    cont = np.asarray(continuous_errors, dtype=float)
    eul = np.asarray(euler_errors, dtype=float)
    finite = bool(np.all(np.isfinite(cont)) and np.all(np.isfinite(eul)) and np.all(cont > 0) and np.all(eul > 0))
    q_cont = observed_order(eps, cont) if finite else float("nan")
    q_eul = observed_order(eps, eul) if finite else float("nan")
    measured = abs(q_cont - expected_order) if finite else float("inf")
    smallest = float(cont[np.argmin(eps)])
    passed = (finite and measured <= order_tolerance and abs(q_eul - expected_order) <= order_tolerance
              and smallest <= follow_tolerance)
    info = dict(details or {})
    info.update(
        criterion=f"|q_obs - {expected_order}| <= tolerance for both the continuous and the Euler comparison, "
                  f"and max relative error at the smallest eps <= {follow_tolerance}",
        epsilons=eps, continuous_error=cont, euler_error=eul, expected_order=expected_order,
        observed_order_continuous=q_cont, observed_order_euler=q_eul, smallest_eps_error=smallest,
    )
    return CheckResult("effective_vs_direct", bool(passed), float(measured), order_tolerance, info)


def euler_effective(field, y0: np.ndarray, h: float, record_steps: Sequence[int]) -> np.ndarray:
    r"""Euler iterates :math:`y_{k+1} = y_k + hF(y_k)` at the given (increasing) step numbers."""
    y = np.array(y0, dtype=float)
    out, k = [], 0
    for target in record_steps:
        while k < target:
            y = y + h * field(y)
            k += 1
        out.append(y.copy())
    return np.asarray(out)


def _effective_field(widths: tuple[int, ...]):
    """Compiled :math:`F = \\nabla E` generated from ``theory.reduced_model`` by
    ``numerics.codegen.compile_field`` (falls back to the chain kernels of ``numerics.kernels``,
    which ``tests/test_numerics_codegen.py`` ties to the symbolic field, if codegen is absent)."""
    try:
        from numerics.codegen import compile_field
        from theory import reduced_model
    except ImportError:
        from numerics.kernels import chain_field

        return lambda y: chain_field(y, widths)
    return compile_field(reduced_model(widths))


def check_effective_vs_direct(epsilons: Sequence[float] = (0.02, 0.01, 0.005, 0.0025), widths: tuple[int, int] = (6, 5),
                              n: int = 30, input_dim: int = 3, horizon: float = 0.8, steps_at_largest: int = 400,
                              seed: int = 0, n_inits: int = 1, activation: str = "tanh", progress=False) -> CheckResult:
    r"""Rescaled direct GD vs the effective flow on :math:`[0, \text{horizon}\cdot T^*]`, for
    ``n_inits`` initializations (seeds ``seed, seed + 1, ...``; all must pass)."""
    results = [_effective_vs_direct_one(epsilons, widths, n, input_dim, horizon, steps_at_largest, seed, seed + k,
                                        activation, as_progress(progress)) for k in range(n_inits)]
    return results[0] if n_inits == 1 else combine_worst("effective_vs_direct", results)


def _effective_vs_direct_one(epsilons, widths, n, input_dim, horizon, steps_at_largest, seed, init_seed,
                             activation, say) -> CheckResult:
    """One initialization of :func:`check_effective_vs_direct`."""
    import numerics
    from numerics.data import data_direction

    q = expansion_correction_order(activation)
    X, y = numerics.make_dataset(n=n, d=input_dim, seed=seed)
    v_prime, v = data_direction(X, y)
    speed = float(np.linalg.norm(v_prime))
    base = numerics.gaussian_init((input_dim, *widths), 1.0, init_seed)
    u0, W0, a0 = reduced_from_weights(base, v)
    t_star = blowup_time_of(a0, W0, u0)
    field = _effective_field(widths)
    eps_max = max(epsilons)
    h_max = horizon * t_star / steps_at_largest
    cont_err, euler_err, discretization, steps_used, profile = [], [], [], [], None
    for eps in sorted(epsilons, reverse=True):
        h = h_max * (eps / eps_max) ** q
        lr = h / (eps * speed)
        steps = int(np.ceil(horizon * t_star / h))
        history = numerics.train_network(X, y, [eps * w for w in base], activation=activation, lr=lr, steps=steps,
                                         record_every=max(1, steps // 40))
        record_steps = np.asarray(history.record_steps)
        direct = np.asarray([flatten_factors(reduced_from_weights(s, v, eps)) for s in history.snapshots])
        taus = h * record_steps
        exact = integrate_at(a0, W0, u0, taus)
        euler_states = euler_effective(field, flatten_factors([u0, W0, a0]), h, record_steps)
        continuous = relative_errors(direct, exact)
        euler = relative_errors(direct, euler_states)
        cont_err.append(float(continuous.max()))
        euler_err.append(float(euler.max()))
        discretization.append(float(relative_errors(euler_states, exact).max()))
        steps_used.append(h)
        profile = {"tau_over_T*": (taus / t_star).tolist(), "continuous": continuous.tolist(), "epsilon": eps}
        say(f"effective vs direct: eps = {eps:g}, lr = {lr:.3g}, {steps} steps, max rel. error "
            f"{cont_err[-1]:.3e} (continuous), {euler_err[-1]:.3e} (Euler)")
    return evaluate_effective_vs_direct(
        sorted(epsilons, reverse=True), cont_err, euler_err, q,
        details={"widths": list(widths), "horizon_over_T*": horizon, "activation": str(activation), "seed": seed,
                 "init_seed": init_seed,
                 "t_star": t_star, "error_profile_smallest_eps": profile,
                 "tau_step_h": steps_used, "euler_discretization_error": discretization,
                 "discretization_order_in_h": observed_order(steps_used, discretization)},
    )
