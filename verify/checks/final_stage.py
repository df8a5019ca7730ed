r"""Final-stage condition and condensation (docs/mathematics.md#final-stage; Chen & Luo, arXiv 2402.15958).

**Condition implemented** (docs/mathematics.md#final-stage; the paper's exact statement of its Assumption
"final stage condition" was not available to us, see docs/verify.md): every term of
:math:`E = a^\top W u` is positive,

.. math:: a_i W_{ij} u_j > 0 \quad \forall i, j
   \qquad\Longleftrightarrow\qquad \operatorname{sign} W = \operatorname{sign}(a)\,\operatorname{sign}(u)^\top .

It is forward invariant for :math:`a' = Wu,\ W' = au^\top,\ u' = W^\top a` (every right-hand side
has the sign of the coordinate it moves, so all :math:`|a_i|, |W_{ij}|, |u_j|` grow). After it
holds, condensation follows: the rows of :math:`W^1 = W^1(0)(I - vv^\top) + uv^\top` align with
:math:`\pm v` (their :math:`v`-component :math:`u_k` grows, the rest is frozen), the rows of
:math:`W^2` with :math:`\pm\hat u`.

Closeness to the condition (the paper's Fig. 2 "sum of positive numbers"): the fraction of
positive terms and :math:`\rho = \sum_{ij}\max(t_{ij},0)/\sum_{ij}|t_{ij}|`
(:func:`verify.measures.final_stage_fraction`, :func:`verify.measures.final_stage_weighted`).

Checks: along effective trajectories (``numerics.integrate_effective``) and along direct gradient
descent (``numerics.train_network``, reduced variables :math:`a, W^2, u = W^1 v`), detect the
first time the condition holds, check that it then holds at every later sample (invariance),
and that the condensation cosines then tend to 1 (first-layer cosines non-decreasing).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from verify.instances import (
    depth3_named,
    approach_grid,
    blowup_time_of,
    integrate_at,
    positive_energy_state,
    reduced_from_weights,
    unflatten_factors,
)
from verify.measures import (
    condensation_cosines,
    final_stage_fraction,
    final_stage_holds,
    final_stage_weighted,
    first_index_holding,
    lift_first_layer,
    row_concentration,
    stays_true_after,
)
from verify.progress import as_progress
from verify.result import CheckResult, combine_worst

#: Largest :math:`1 - \min|\cos|` allowed at the end of an effective trajectory
#: (:math:`\tau = (1 - 10^{-8})T^*`, where the state has grown about :math:`10^8\times`).
EFFECTIVE_COSINE_TOLERANCE = 1e-6
#: Largest :math:`1 - \min|\cos|` allowed for direct training at the end of the plateau (smallest
#: :math:`\varepsilon`).
DIRECT_COSINE_TOLERANCE = 5e-2
#: Relative agreement required between the first iteration where the condition holds in direct
#: training and the effective prediction :math:`\tau_{fs}/(\varepsilon\|v'\|\eta)`.
FIRST_STEP_TOLERANCE = 0.05
#: The theory is tested at an :math:`\varepsilon` only if the predicted first iteration is at least
#: this fraction before the end of the plateau.
APPLICABILITY_MARGIN = 0.02
#: Tolerated decrease of a first-layer cosine between samples (round-off).
MONOTONE_SLACK = 1e-12


def trajectory_record(times, states: Sequence[tuple], first_layers: Sequence[np.ndarray], v) -> dict:
    r"""Final-stage and condensation measures along one sampled trajectory.

    ``states[k] = (a, W, u)`` (``W`` is :math:`W^2`), ``first_layers[k]`` the matching
    :math:`W^1`, ``v`` the unit target direction. Returns the per-sample ``holds``, ``fraction``,
    ``weighted`` and ``cosine`` (:math:`\min|\cos|` over both layers) series, ``first_index``
    (first sample where the condition holds), ``invariant`` (holds at every later sample),
    ``first_layer_monotone`` (every first-layer :math:`|\cos|` non-decreasing after
    ``first_index``) and ``final_gap`` :math:`= 1 - \text{cosine}` at the last sample.
    """
    holds, fraction, weighted, cosine, first_cos = [], [], [], [], []
    for (a, W, u), W1 in zip(states, first_layers):
        holds.append(final_stage_holds(a, W, u))
        fraction.append(final_stage_fraction(a, W, u))
        weighted.append(final_stage_weighted(a, W, u))
        cos = condensation_cosines(W1, W, v, u)
        cosine.append(cos["measure"])
        first_cos.append(cos["first"])
    first = first_index_holding(holds)
    monotone = True
    if first is not None and len(first_cos) - first > 1:
        monotone = bool(np.all(np.diff(np.asarray(first_cos[first:]), axis=0) >= -MONOTONE_SLACK))
    return {
        "times": np.asarray(times, dtype=float),
        "holds": np.asarray(holds),
        "fraction": np.asarray(fraction),
        "weighted": np.asarray(weighted),
        "cosine": np.asarray(cosine),
        "first_index": first,
        "first_time": None if first is None else float(np.asarray(times)[first]),
        "invariant": stays_true_after(holds, first),
        "first_layer_monotone": monotone,
        "final_gap": float(1.0 - cosine[-1]),
    }


#: A layer counts as condensed when the mean :math:`|\cos|` between its distinct rows is at least
#: this (:func:`verify.measures.row_concentration`; the three-layer paper's Fig. 1 criterion).
CONDENSED_CONCENTRATION = 0.9


def evaluate_condensation(layers: dict, threshold: float = CONDENSED_CONCENTRATION,
                          details: dict | None = None) -> CheckResult:
    r"""Condensation of trained layers (``layers``: name → weight matrix, rows = neurons): the
    measured value is the smallest :func:`verify.measures.row_concentration` over the layers;
    passes when it is at least ``threshold``."""
    if not layers:
        raise ValueError("layers: need at least one weight matrix")
    concentration = {name: row_concentration(M) for name, M in layers.items()}
    worst = float(min(concentration.values()))
    info = dict(details or {})
    info.update(criterion="min over layers of the mean |cos| between distinct rows >= threshold",
                concentration=concentration)
    return CheckResult("condensation", bool(worst >= threshold), worst, threshold, info)


def _thin(values: np.ndarray, count: int = 25) -> list:
    """At most ``count`` evenly spaced entries (for the JSON report)."""
    values = np.asarray(values)
    index = np.unique(np.linspace(0, len(values) - 1, min(count, len(values))).astype(int))
    return values[index].tolist()


def evaluate_final_stage(name: str, records: Sequence[dict], tolerance: float,
                         details: dict | None = None) -> CheckResult:
    """Passes when on every trajectory the condition is reached, stays (invariance), first-layer
    cosines never decrease afterwards, and :math:`1 - \\min|\\cos| \\le` ``tolerance`` at the end."""
    if not records:
        raise ValueError("records: need at least one trajectory record")
    reached = [r["first_index"] is not None for r in records]
    invariant = [r["invariant"] for r in records]
    monotone = [r["first_layer_monotone"] for r in records]
    gaps = [r["final_gap"] for r in records]
    worst = float(max(gaps))
    passed = all(reached) and all(invariant) and all(monotone) and worst <= tolerance
    info = dict(details or {})
    info.update(
        criterion="condition reached and invariant on every trajectory, first-layer |cos| non-decreasing "
                  "after it, and 1 - min|cos| at the end <= tolerance",
        reached=reached, invariant=invariant, first_layer_monotone=monotone, final_gap=gaps,
        first_time=[r["first_time"] for r in records],
        measure_over_time=[
            {"time": _thin(r["times"]), "fraction_positive": _thin(r["fraction"]),
             "weighted": _thin(r["weighted"]), "min_abs_cosine": _thin(r["cosine"])}
            for r in records
        ],
    )
    return CheckResult(name, bool(passed), worst, tolerance, info)


def _first_layer_through(u, input_dim: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A random unit ``v`` and a random :math:`W^1(0)` with :math:`W^1(0) v = u`."""
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(input_dim)
    v /= np.linalg.norm(v)
    W1 = rng.standard_normal((u.size, input_dim))
    return W1 - np.outer(W1 @ v - u, v), v


def check_final_stage_effective(n_states: int = 4, widths: Sequence[tuple[int, int]] = ((5, 4), (3, 3), (8, 6)),
                                input_dim: int = 3,
                                closest_gap: float = 1e-8, seed: int = 0,
                                tolerance: float = EFFECTIVE_COSINE_TOLERANCE, progress=False) -> CheckResult:
    r"""Along effective trajectories up to :math:`\tau = (1 - \text{closest\_gap})T^*`: the
    final-stage condition is reached, stays, and condensation follows. Times are reported as
    :math:`\tau/T^*`."""
    say = as_progress(progress)
    records = []
    for k in range(n_states):
        m1, m2 = widths[k % len(widths)]
        a, W, u = positive_energy_state(m1, m2, seed + 31337 * k)
        W1_0, v = _first_layer_through(u, input_dim, seed + 31337 * k + 1)
        t_star = blowup_time_of(a, W, u)
        times = approach_grid(t_star, 1.0 - closest_gap, n_linear=60, n_geometric=40)
        states = [depth3_named(unflatten_factors(row, (m1, m2))) for row in integrate_at(a, W, u, times)]
        first_layers = [lift_first_layer(W1_0, v, s[2]) for s in states]
        records.append(trajectory_record(times / t_star, states, first_layers, v))
        say(f"final stage (effective): state {k + 1}/{n_states}, first holds at tau/T* = {records[-1]['first_time']}")
    return evaluate_final_stage(
        "final_stage_effective", records, tolerance,
        {"widths": [list(w) for w in widths], "closest_gap": closest_gap, "time_unit": "tau / T*", "seed": seed},
    )


def direct_record(history, v, epsilon: float, end_step: int) -> dict:
    r"""Final-stage record of a direct GD ``history`` up to iteration ``end_step``: reduced
    variables :math:`(a, W^2, W^1 v)/\varepsilon` of every snapshot (unit ``v``); times are
    iterations."""
    steps = np.asarray(history.record_steps)
    keep = [i for i, s in enumerate(steps) if s <= end_step]
    states = [depth3_named(reduced_from_weights(history.snapshots[i], v, epsilon)) for i in keep]
    first_layers = [np.asarray(history.snapshots[i][0], dtype=float) for i in keep]
    return trajectory_record(steps[keep], states, first_layers, v)


def evaluate_final_stage_direct(epsilons: Sequence[float], records: Sequence[dict], end_steps: Sequence[int],
                                predicted_first: Sequence[float | None],
                                tolerance: float = DIRECT_COSINE_TOLERANCE, details: dict | None = None) -> CheckResult:
    r"""Direct training of one initialization, ``records[k]`` for ``epsilons[k]``, the plateau
    ending at ``end_steps[k]``, the effective flow predicting the first iteration with the
    condition at ``predicted_first[k]`` (``None``: never).

    The theory applies at :math:`\varepsilon` when the predicted first iteration is before the end
    of the plateau (with a 2% margin). Passes when at every applicable :math:`\varepsilon` the
    condition is reached within ``FIRST_STEP_TOLERANCE`` of the prediction and stays until the
    plateau ends, :math:`1 - \min|\cos| \le` ``tolerance`` at the end of the plateau for the
    smallest applicable :math:`\varepsilon`, and the largest closeness :math:`\rho` over the
    plateau does not decrease as :math:`\varepsilon` decreases (the trend of the paper's Fig. 2).
    ``details["applicable"]`` is False (and ``passed`` False, ``measured`` NaN) when no
    :math:`\varepsilon` is applicable: nothing was tested."""
    order = np.argsort(np.asarray(epsilons, dtype=float))[::-1]  # decreasing epsilon
    eps = [float(epsilons[i]) for i in order]
    recs = [records[i] for i in order]
    ends = [int(end_steps[i]) for i in order]
    preds = [predicted_first[i] for i in order]
    applicable = [p is not None and p < (1 - APPLICABILITY_MARGIN) * e for p, e in zip(preds, ends)]
    agrees = [
        (not app) or (r["first_time"] is not None and r["invariant"]
                      and abs(r["first_time"] / p - 1) <= FIRST_STEP_TOLERANCE)
        for app, r, p in zip(applicable, recs, preds)
    ]
    best = [float(np.max(r["weighted"])) for r in recs]
    gaps = [r["final_gap"] for r in recs]
    trend = bool(np.all(np.diff(best) >= -1e-12))
    last = max((k for k, app in enumerate(applicable) if app), default=None)
    measured = float("nan") if last is None else float(gaps[last])
    passed = last is not None and all(agrees) and measured <= tolerance and trend
    shown = recs[-1 if last is None else last]
    info = dict(details or {})
    info.update(
        criterion="at every eps where the effective flow reaches the condition before the plateau ends: reached "
                  f"within {FIRST_STEP_TOLERANCE:.0%} of the predicted iteration and invariant to the plateau end; "
                  "1 - min|cos| <= tolerance at the plateau end for the smallest such eps; max closeness rho "
                  "non-decreasing as eps decreases",
        epsilons=eps, applicable=applicable, agrees_with_prediction=agrees, plateau_end_step=ends,
        first_step_holding=[r["first_time"] for r in recs], effective_prediction_first_step=preds,
        max_weighted_closeness=best, max_fraction_positive=[float(np.max(r["fraction"])) for r in recs],
        final_gap=gaps, invariant=[r["invariant"] for r in recs],
        first_layer_monotone=[r["first_layer_monotone"] for r in recs], trend=trend,
        measure_over_time={"epsilon": eps[-1 if last is None else last], "time": _thin(shown["times"]),
                           "fraction_positive": _thin(shown["fraction"]), "weighted": _thin(shown["weighted"]),
                           "min_abs_cosine": _thin(shown["cosine"])},
    )
    return CheckResult("final_stage_direct", bool(passed), measured, tolerance, info)


def check_final_stage_direct(epsilons: Sequence[float] = (1e-2, 1e-3, 1e-4), widths: tuple[int, int] = (4, 4),
                             n: int = 40, input_dim: int = 3, lr: float = 0.1, seed: int = 0, n_inits: int = 1,
                             plateau_end: float = 0.9, tolerance: float = DIRECT_COSINE_TOLERANCE,
                             progress=False) -> CheckResult:
    r"""Direct tanh GD from :math:`N(0, \varepsilon^2)` (same normalized weights for every
    :math:`\varepsilon`): the final-stage condition on the reduced variables
    :math:`(a, W^2, W^1 v)` is reached during the plateau, stays until the plateau ends (loss first
    below ``plateau_end`` times its initial value), and condensation cosines are close to 1 there.
    The first iteration where it holds must match the effective prediction
    :math:`\tau_{fs}/(\varepsilon\|v'\|\eta)` (see :func:`evaluate_final_stage_direct`, which
    also says when an :math:`\varepsilon` is applicable). ``n_inits`` initializations (seeds
    ``seed, seed + 1, ...``): every one with an applicable :math:`\varepsilon` must pass, and at
    least one must have one."""
    import numerics
    from numerics.data import data_direction

    say = as_progress(progress)
    X, y = numerics.make_dataset(n=n, d=input_dim, seed=seed)
    v_prime, v = data_direction(X, y)
    speed = float(np.linalg.norm(v_prime))
    results = []
    for init in range(n_inits):
        base = numerics.gaussian_init((input_dim, *widths), 1.0, seed + init)
        u, W, a = reduced_from_weights(base, v)
        t_star = blowup_time_of(a, W, u)
        times = approach_grid(t_star, 1.0 - 1e-6, n_linear=200, n_geometric=200)
        holds = [final_stage_holds(*depth3_named(unflatten_factors(row, widths))) for row in integrate_at(a, W, u, times)]
        first = first_index_holding(holds)
        tau_first = None if first is None else float(times[first])
        records, predicted_first, end_steps = [], [], []
        for eps in epsilons:
            steps = int(1.5 * t_star / (eps * speed * lr)) + 10
            history = numerics.train_network(X, y, [eps * w for w in base], activation="tanh", lr=lr, steps=steps,
                                             record_every=max(1, steps // 400))
            loss = np.asarray(history.loss)
            below = np.nonzero(loss <= plateau_end * loss[0])[0]
            end_step = int(below[0]) if below.size else len(loss)
            end_steps.append(end_step)
            records.append(direct_record(history, v, eps, end_step))
            predicted_first.append(None if tau_first is None else tau_first / (eps * speed * lr))
            say(f"final stage (direct): init {init}, eps = {eps:g}, condition first holds at step "
                f"{records[-1]['first_time']} (effective prediction {predicted_first[-1]}), plateau ends at {end_step}")
        results.append(evaluate_final_stage_direct(
            epsilons, records, end_steps, predicted_first, tolerance,
            {"init_seed": seed + init,
             "effective_first_tau_over_T*": None if tau_first is None else tau_first / t_star},
        ))
    tested = [r for r in results if any(r.details["applicable"])]
    info = {"widths": list(widths), "lr": lr, "time_unit": "GD iteration", "seed": seed,
            "inits_tested": len(tested), "inits_not_applicable": [r.details["init_seed"] for r in results
                                                                  if not any(r.details["applicable"])]}
    if not tested:
        return CheckResult("final_stage_direct", False, float("nan"), tolerance,
                           {**info, "error": "no initialization reaches the condition before its plateau ends at "
                                             "these epsilons: nothing tested; use smaller epsilons",
                            "per_instance": [r.details for r in results]})
    summary = {k: tested[0].details[k] for k in ("epsilons", "first_step_holding", "effective_prediction_first_step",
                                                 "max_weighted_closeness", "final_gap")}
    return combine_worst("final_stage_direct", tested, {**info, **summary})
