r"""Conservation laws along integrated effective trajectories (docs/mathematics.md#conservation-laws).

Along :math:`a' = Wu,\ W' = au^\top,\ u' = W^\top a` the matrices :math:`aa^\top - WW^\top` and
:math:`W^\top W - uu^\top` (hence the per-neuron laws on their diagonals) are constant. The check
integrates ``numerics.integrate_effective`` from random states with :math:`E_0 > 0` up to
:math:`\tau = f\,T^*` (default :math:`f = 0.99`, where :math:`\|y\|` has grown about
:math:`100\times`) and measures the drift relative to :math:`\|y(\tau)\|^2`
(:func:`verify.measures.conservation_drift`).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from verify.measures import conservation_drift
from verify.progress import as_progress
from verify.result import CheckResult

#: Relative drift allowed: about 450 machine epsilons (the integrator runs at rtol 1e-14, its
#: tightest; observed drift ~2e-15, i.e. about 10 epsilons).
CONSERVATION_TOLERANCE = 1e-13


def evaluate_conservation(trajectories: Sequence[Sequence[Sequence[np.ndarray]]],
                          tolerance: float = CONSERVATION_TOLERANCE, details: dict | None = None) -> CheckResult:
    """Check result for given trajectories (each a list of factor lists ``[a, W, u]``):
    passes when the largest relative drift is at most ``tolerance``."""
    drifts = [conservation_drift(traj) for traj in trajectories]
    if not drifts:
        raise ValueError("trajectories: need at least one trajectory")
    worst = max(d["relative_drift"] for d in drifts)
    info = dict(details or {})
    info.update(
        criterion="max_t max_k ||C_k(t) - C_k(0)||_F / ||y(t)||^2 <= tolerance",
        relative_drift=[d["relative_drift"] for d in drifts],
        per_neuron_drift=[d["per_neuron_drift"] for d in drifts],
    )
    return CheckResult("conservation_laws", bool(worst <= tolerance), worst, tolerance, info)


def check_conservation(n_states: int = 4, widths: Sequence[tuple[int, int]] = ((4, 3), (1, 1), (6, 5), (2, 7)),
                       fraction: float = 0.99,
                       seed: int = 0, tolerance: float = CONSERVATION_TOLERANCE,
                       progress=False) -> CheckResult:
    r"""Integrate ``n_states`` random positive-energy states (widths ``(m1, m2)`` cycling through
    ``widths``) up to
    ``fraction`` :math:`\cdot T^*` and check the conservation laws of docs/mathematics.md#conservation-laws hold to
    ``tolerance`` relative to :math:`\|y(\tau)\|^2`. The states and trajectories are those of
    :func:`verify.conjecture.conserved`'s integration path
    (:func:`verify.conjecture.cases.positive_energy_case`,
    :func:`verify.conjecture.conservation.integrate_state`, at its tightest tolerance)."""
    from theory import reduced_model
    from numerics.state import flatten_factors, unflatten_factors
    from verify.conjecture.cases import positive_energy_case
    from verify.conjecture.conservation import integrate_state

    say = as_progress(progress)
    trajectories, growth = [], []
    for k in range(n_states):
        m1, m2 = widths[k % len(widths)]
        case = positive_energy_case((m1, m2), seed + 1000 * k)
        if not np.isfinite(case.t_star):
            raise RuntimeError(f"blowup_time: the state does not blow up: {case.reason}")
        ys = integrate_state(reduced_model((m1, m2)), flatten_factors(list(case.factors)), fraction,
                             rtol=1e-14, atol=1e-14)
        trajectories.append([unflatten_factors(row, (m1, m2)) for row in ys])  # [u, W, a] per time
        growth.append(float(np.linalg.norm(ys[-1]) / np.linalg.norm(ys[0])))
        say(f"conservation: state {k + 1}/{n_states}, T* = {case.t_star:.6g}, |y| grew x{growth[-1]:.3g}")
    return evaluate_conservation(
        trajectories, tolerance,
        {"widths": [list(w) for w in widths], "fraction_of_blowup": fraction, "norm_growth": growth, "seed": seed},
    )
