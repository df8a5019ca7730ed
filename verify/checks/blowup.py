r"""Blow-up of the effective flow (docs/mathematics.md#blow-up).

* :func:`check_blowup_bounds`: :math:`\sqrt3/\|y_0\| \le T^* \le E_0^{-1/3}` for ``numerics.blowup_time``
  (the bounds are recomputed here from the state, not taken from the solver).
* :func:`check_blowup_scalar`: in the scalar case :math:`m_1 = m_2 = 1` the solver's :math:`T^*`
  agrees with the elliptic closed form ``theory.blowup.scalar_blowup_time`` (mpmath, independent
  of the ODE solvers), and with :math:`T^* = 1/x_0` for balanced data :math:`a = w = u = x_0`.
* :func:`check_blowup_rate`: :math:`\|y(\tau)\|\,(T^* - \tau) \to \sqrt3` as :math:`\tau \to T^*`.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from verify.instances import blowup_time_of, chain_energy, flatten_state
from verify.measures import observed_order
from verify.progress import as_progress
from verify.result import CheckResult

SQRT3 = float(np.sqrt(3.0))
#: Relative slack for the bounds (both are attained only in the limit of balanced rank-one data).
BOUNDS_SLACK = 1e-10
#: Relative agreement required with the closed form in the scalar case (issue 3's target).
SCALAR_TOLERANCE = 1e-11
#: Largest :math:`|\|y\|(T^*-\tau)/\sqrt3 - 1|` allowed at the closest approach.
RATE_TOLERANCE = 1e-6


def blowup_bounds(*factors) -> tuple[float, float]:
    r"""Blow-up bounds of the reduced factors ``[u, W^2, ..., a]`` (input to output) with :math:`E_0 > 0`,
    from ``theory.blowup``: :math:`L^{L/2-1}/((L-2)\|y_0\|^{L-2}) \le T^* \le E_0^{-(L-2)/L}/(L-2)`
    (depth 3: :math:`\sqrt3/\|y_0\| \le T^* \le E_0^{-1/3}`)."""
    from theory.blowup import blowup_lower_bound, blowup_upper_bound

    depth = len(factors)
    energy = chain_energy(factors)
    if energy <= 0:
        raise ValueError(f"factors: need E0 > 0 for the upper bound, got {energy}")
    r0 = float(np.linalg.norm(flatten_state(factors)))
    return blowup_lower_bound(r0, depth), blowup_upper_bound(energy, depth)


def evaluate_blowup_bounds(t_stars: Sequence[float], bounds: Sequence[tuple[float, float]],
                           slack: float = BOUNDS_SLACK, details: dict | None = None) -> CheckResult:
    r"""Margin :math:`\min(T^*/\text{lower},\ \text{upper}/T^*)` over instances; passes when
    it is at least :math:`1 - \text{slack}` (every :math:`T^*` inside its bounds)."""
    margins = [min(t / lo, hi / t) for t, (lo, hi) in zip(t_stars, bounds)]
    worst = float(min(margins))
    info = dict(details or {})
    info.update(
        criterion="min over states of min(T*/lower, upper/T*) >= 1 - slack",
        t_star=list(t_stars), lower=[b[0] for b in bounds], upper=[b[1] for b in bounds],
    )
    return CheckResult("blowup_bounds", bool(worst >= 1 - slack), worst, 1 - slack, info)


def check_blowup_bounds(n_states: int = 8,
                        widths: Sequence[tuple[int, ...]] = ((1, 1), (3, 2), (5, 4), (8, 6), (3, 3, 3), (4, 2, 5)),
                        seed: int = 0, progress=False) -> CheckResult:
    r"""``numerics.blowup_time`` (depth 3) and ``numerics.blowup_time_deep`` (depth 4) of random
    positive-energy states lie within the bounds of docs/mathematics.md#blow-up (``theory.blowup``): the claims
    ``t_star >= lower`` and ``t_star <= upper`` of :func:`verify.conjecture.inequality` over these
    cases (:func:`verify.conjecture.cases.positive_energy_case`, factors input to output)."""
    from verify.conjecture import inequality
    from verify.conjecture.cases import positive_energy_case

    say = as_progress(progress)
    cases = [positive_energy_case(widths[k % len(widths)], seed + 7919 * k) for k in range(n_states)]
    for k, case in enumerate(cases):
        if not np.isfinite(case.t_star):
            raise RuntimeError(f"blowup_time: positive-energy state {k} reported no blow-up: {case.reason}")
    claims = {text: inequality(text, over=cases, rtol=BOUNDS_SLACK).status
              for text in ("t_star >= lower", "t_star <= upper")}
    say(f"blow-up bounds: {n_states} states, depths {sorted({c.depth for c in cases})}")
    return evaluate_blowup_bounds(
        [c.t_star for c in cases], [(c.lower, c.upper) for c in cases],
        details={"solver_bounds": [list(c.solver_bounds) for c in cases], "depth": [c.depth for c in cases],
                 "seed": seed, "claims": claims},
    )


def evaluate_blowup_scalar(computed: Sequence[float], reference: Sequence[float],
                           tolerance: float = SCALAR_TOLERANCE, details: dict | None = None) -> CheckResult:
    """Largest relative difference between solver and closed-form blow-up times."""
    computed = np.asarray(computed, dtype=float)
    reference = np.asarray(reference, dtype=float)
    errors = np.abs(computed - reference) / np.abs(reference)
    worst = float(np.max(errors)) if np.all(np.isfinite(errors)) else float("inf")
    info = dict(details or {})
    info.update(criterion="max |T*_solver - T*_closed| / T*_closed <= tolerance",
                computed=computed, reference=reference, relative_error=errors)
    return CheckResult("blowup_scalar_closed_form", bool(worst <= tolerance), worst, tolerance, info)


def check_blowup_scalar(n_states: int = 6, seed: int = 0, progress=False) -> CheckResult:
    r"""Scalar case: solver vs ``theory.blowup.scalar_blowup_time`` on random positive
    :math:`(a_0, w_0, u_0)`, plus balanced data :math:`T^* = 1/x_0`."""
    from theory.blowup import scalar_blowup_time

    say = as_progress(progress)
    rng = np.random.default_rng(seed)
    triples = [tuple(rng.uniform(0.2, 2.0, size=3)) for _ in range(n_states)]
    computed, reference = [], []
    for a0, w0, u0 in triples:
        computed.append(blowup_time_of(np.array([a0]), np.array([[w0]]), np.array([u0])))
        reference.append(float(scalar_blowup_time(a0, w0, u0)))
    for x0 in (0.5, 1.0, 3.0):  # balanced data: T* = 1/x0 exactly (a = w = u solves a' = a^2)
        triples.append((x0, x0, x0))
        computed.append(blowup_time_of(np.array([x0]), np.array([[x0]]), np.array([x0])))
        reference.append(1.0 / x0)
    say(f"blow-up scalar closed form: {len(triples)} cases")
    return evaluate_blowup_scalar(computed, reference, details={"initial_values": triples, "seed": seed})


def evaluate_blowup_rate(gaps: Sequence[float], products: Sequence[Sequence[float]],
                         tolerance: float = RATE_TOLERANCE, details: dict | None = None) -> CheckResult:
    r"""``products[i][j]`` is :math:`\|y(\tau)\|(T^* - \tau)` for instance ``i`` at relative gap
    ``gaps[j]`` :math:`= (T^*-\tau)/T^*` (decreasing). Passes when the deviation from
    :math:`\sqrt3` at the smallest gap is at most ``tolerance`` and decreases along the gaps."""
    gaps = np.asarray(gaps, dtype=float)
    deviation = np.abs(np.asarray(products, dtype=float) / SQRT3 - 1.0)
    if deviation.ndim != 2 or deviation.shape[1] != gaps.size:
        raise ValueError("products: need one row per instance with one value per gap")
    worst = float(np.max(deviation[:, -1])) if np.all(np.isfinite(deviation)) else float("inf")
    decreasing = bool(np.all(np.diff(deviation, axis=1) < 0))
    orders = [observed_order(gaps, row) if np.all(row > 0) else float("nan") for row in deviation]
    info = dict(details or {})
    info.update(criterion="| |y|(T*-tau)/sqrt(3) - 1 | at the smallest gap <= tolerance, decreasing",
                gaps=gaps, deviation=deviation, decreasing=decreasing, observed_order_in_gap=orders)
    return CheckResult("blowup_rate_sqrt3", bool(worst <= tolerance and decreasing), worst, tolerance, info)


def check_blowup_rate(n_states: int = 3, widths: tuple[int, int] = (4, 3),
                      gaps: Sequence[float] = (1e-1, 1e-2, 1e-3, 1e-4), seed: int = 0,
                      progress=False) -> CheckResult:
    r""":math:`\|y(\tau)\|(T^*-\tau) \to \sqrt3` (docs/mathematics.md#blow-up: :math:`\|y\| \approx \sqrt3/(T^*-\tau)`)
    measured at :math:`\tau = T^*(1 - g)` for the relative ``gaps`` g
    (:func:`verify.conjecture.rates.blowup_norms` of :func:`verify.conjecture.cases.positive_energy_case`)."""
    from verify.conjecture.cases import positive_energy_case
    from verify.conjecture.rates import blowup_norms

    say = as_progress(progress)
    gaps = np.asarray(sorted(gaps, reverse=True), dtype=float)
    products = []
    for k in range(n_states):
        case = positive_energy_case(widths, seed + 104729 * k)
        if not np.isfinite(case.t_star):
            raise RuntimeError(f"blowup_time: the state does not blow up: {case.reason}")
        remaining, norms = blowup_norms(case, gaps)
        products.append(norms * remaining)
        say(f"blow-up rate: state {k + 1}/{n_states}, T* = {case.t_star:.6g}")
    return evaluate_blowup_rate(gaps, products, details={"widths": list(widths), "seed": seed})
