r"""Plateau escape of direct gradient descent (docs/mathematics.md#model, #blow-up).

* :func:`check_plateau_escape`: the escape iteration predicted from data and initial weights,
  :math:`k^* = T^*(\bar\theta_0)/(\varepsilon\|v'\|\eta)` (``numerics.plateau.predict_escape``),
  against the observed one, the first iteration where the loss is below half its initial value
  (``numerics.plateau.observed_escape_iteration``), for a tanh network at decreasing
  :math:`\varepsilon` with the same normalized weights :math:`\bar\theta_0`. The ratio tends to 1
  (the escape happens when :math:`\varepsilon\|\bar\theta\| = O(1)`, i.e. at
  :math:`T^* - \tau = O(\varepsilon)`, so the error shrinks like :math:`\varepsilon`).
* :func:`check_plateau_scaling`: depth 2, the effective flow is linear, the plateau grows like
  :math:`\log(1/\varepsilon)`: with GD's growth factor :math:`1 + \|v'\|\eta` per step on the
  :math:`v` mode, :math:`k^* \approx \log(1/\varepsilon)/\log(1 + \|v'\|\eta) + C`;
  depth 4, :math:`k^* = T^*_4/(\varepsilon^2\|v'\|\eta)`, a log–log slope 2 in :math:`1/\varepsilon`.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from verify.measures import fit_slope, observed_order
from verify.progress import as_progress
from verify.result import CheckResult, combine_worst

#: Goal of issue 4: within 2% at :math:`\varepsilon = 10^{-3}`.
ESCAPE_TOLERANCE = 0.02
#: Relative tolerance on the fitted plateau-scaling slope.
SCALING_TOLERANCE = 0.05


def _check_epsilons(epsilons: Sequence[float], minimum: int) -> tuple[float, ...]:
    """``epsilons``: at least ``minimum`` distinct finite numbers in (0, 1)."""
    try:
        eps = np.asarray(epsilons, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"epsilons: expected a sequence of numbers in (0, 1), got {epsilons!r}") from None
    if eps.ndim != 1 or np.unique(eps).size < minimum or not np.all((eps > 0) & (eps < 1)):
        raise ValueError(f"epsilons: need at least {minimum} distinct numbers in (0, 1), got {epsilons!r}")
    return tuple(float(e) for e in eps)


def evaluate_plateau_escape(epsilons: Sequence[float], predicted: Sequence[float], observed: Sequence[float],
                            tolerance: float = ESCAPE_TOLERANCE, details: dict | None = None) -> CheckResult:
    r"""Relative error :math:`|k_{obs}/k_{pred} - 1|` at the smallest :math:`\varepsilon`;
    passes when it is at most ``tolerance`` and the error decreases as :math:`\varepsilon` decreases."""
    if not len(epsilons) == len(predicted) == len(observed) >= 1:
        raise ValueError(
            f"epsilons, predicted, observed: need equal non-zero lengths, got "
            f"{len(epsilons)}, {len(predicted)}, {len(observed)}"
        )
    order = np.argsort(np.asarray(epsilons, dtype=float))[::-1]
    eps = np.asarray(epsilons, dtype=float)[order]
    ratio = np.asarray(observed, dtype=float)[order] / np.asarray(predicted, dtype=float)[order]
    error = np.abs(ratio - 1.0)
    finite = bool(np.all(np.isfinite(error)))
    worst = float(error[-1]) if finite else float("inf")
    shrinking = finite and bool(np.all(np.diff(error) < 0))
    info = dict(details or {})
    info.update(
        criterion="|observed/predicted - 1| at the smallest eps <= tolerance, decreasing as eps decreases",
        table=[{"epsilon": float(e), "predicted": float(p), "observed": float(o), "ratio": float(r)}
               for e, p, o, r in zip(eps, np.asarray(predicted)[order], np.asarray(observed)[order], ratio)],
        error_shrinks=shrinking,
        error_order_in_eps=(observed_order(eps, error) if finite and np.all(error > 0) and eps.size >= 2
                            else float("nan")),
    )
    return CheckResult("plateau_escape", bool(finite and worst <= tolerance and shrinking), worst, tolerance, info)


def _escape_table(X, y, base, epsilons, lr: float, say, label: str, activation="tanh"
                  ) -> tuple[list[float], list[float]]:
    """Predicted and observed escape iterations of the network ``eps * base`` for every ``eps``
    (observed ``nan`` if no escape by 3x the prediction or on divergence). With an output bias the
    observed escape is measured from the plateau level that follows the fit of the mean
    (``details["plateau_loss"]`` of the prediction)."""
    import numerics
    from numerics.plateau import train_until_escape

    predicted, observed = [], []
    for eps in epsilons:
        weights = [eps * w for w in base]
        prediction = numerics.predict_escape(X, y, weights, lr, activation=activation)
        predicted.append(float(prediction.iteration))
        reference = prediction.details["plateau_loss"] if "output_bias" in prediction.details else None
        k = train_until_escape(X, y, weights, lr, predicted[-1], activation=activation, reference=reference)
        observed.append(float("nan") if k is None else float(k))
        say(f"{label}: eps = {eps:g}, predicted {predicted[-1]:.1f}, observed {observed[-1]:.0f}, "
            f"ratio {observed[-1] / predicted[-1]:.4f}")
    return predicted, observed


def check_plateau_escape(epsilons: Sequence[float] = (1e-2, 3e-3, 1e-3), widths: tuple[int, ...] = (20, 20),
                         n: int = 40, input_dim: int = 3, lr: float = 0.05, seed: int = 0, n_inits: int = 1,
                         tolerance: float = ESCAPE_TOLERANCE, progress=False) -> CheckResult:
    r"""Predicted vs observed plateau escape on a tanh ``input_dim``–``widths``–1 network
    (docs/mathematics.md#blow-up: 3–20–20–1, n = 40), same :math:`\bar\theta_0` for every :math:`\varepsilon`;
    ``n_inits`` initializations (seeds ``seed, seed + 1, ...``), each must pass; measured is the
    worst error at the smallest :math:`\varepsilon`."""
    import numerics

    epsilons = _check_epsilons(epsilons, 1)
    say = as_progress(progress)
    X, y = numerics.make_dataset(n=n, d=input_dim, seed=seed)
    results = []
    for init in range(n_inits):
        base = numerics.gaussian_init((input_dim, *widths), 1.0, seed + init)
        predicted, observed = _escape_table(X, y, base, epsilons, lr, say, f"plateau escape: init {init}")
        results.append(evaluate_plateau_escape(epsilons, predicted, observed, tolerance, {"init_seed": seed + init}))
    return combine_worst("plateau_escape", results,
                         {"widths": list(widths), "lr": lr, "n": n, "seed": seed, "table": results[0].details["table"]})


def evaluate_plateau_scaling(depth: int, epsilons: Sequence[float], observed: Sequence[float],
                             predicted_slope: float, tolerance: float = SCALING_TOLERANCE,
                             details: dict | None = None) -> CheckResult:
    r"""Fit the plateau law and compare its slope with ``predicted_slope``:
    depth 2, :math:`k^*` against :math:`\log(1/\varepsilon)`; otherwise :math:`\log k^*` against
    :math:`\log(1/\varepsilon)` (predicted :math:`L - 2`). Measured: relative slope error."""
    x = np.log(1.0 / np.asarray(epsilons, dtype=float))
    k = np.asarray(observed, dtype=float)
    if not np.all(np.isfinite(k)) or np.any(k <= 0):
        slope = float("nan")
    else:
        slope = fit_slope(x, k if depth == 2 else np.log(k))
    error = abs(slope / predicted_slope - 1.0) if np.isfinite(slope) else float("inf")
    info = dict(details or {})
    info.update(
        criterion=("|fitted slope of k* vs log(1/eps) / (1/log(1 + |v'| lr)) - 1| <= tolerance" if depth == 2
                   else f"|fitted slope of log k* vs log(1/eps) / {depth - 2} - 1| <= tolerance"),
        depth=depth, epsilons=list(map(float, epsilons)), observed=k, fitted_slope=slope,
        predicted_slope=predicted_slope,
    )
    return CheckResult(f"plateau_scaling_depth{depth}", bool(error <= tolerance), float(error), tolerance, info)


def check_plateau_scaling(depth: int = 2, epsilons: Sequence[float] | None = None, width: int = 10,
                          n: int = 40, input_dim: int = 3, lr: float = 0.05, seed: int = 0,
                          tolerance: float = SCALING_TOLERANCE, progress=False) -> CheckResult:
    r"""Plateau length against :math:`\varepsilon` for a tanh network of the given depth
    (hidden widths all ``width``): :math:`\log(1/\varepsilon)` for depth 2,
    :math:`\varepsilon^{-(L-2)}` for depth :math:`L \ge 3` (docs/mathematics.md#model)."""
    import numerics
    from numerics.data import data_direction

    if depth < 2:
        raise ValueError(f"depth: must be >= 2, got {depth}")
    if epsilons is None:
        epsilons = (1e-2, 1e-3, 1e-4, 1e-5, 1e-6) if depth == 2 else (4e-2, 2e-2, 1e-2, 5e-3)
    epsilons = _check_epsilons(epsilons, 2)
    say = as_progress(progress)
    X, y = numerics.make_dataset(n=n, d=input_dim, seed=seed)
    v_prime, _ = data_direction(X, y)
    base = numerics.gaussian_init((input_dim, *([width] * (depth - 1))), 1.0, seed)
    predicted, observed = _escape_table(X, y, base, epsilons, lr, say, f"plateau scaling depth {depth}")
    slope = 1.0 / np.log1p(np.linalg.norm(v_prime) * lr) if depth == 2 else float(depth - 2)
    details = {"width": width, "lr": lr, "seed": seed, "predicted_escape": predicted,
               "observed_over_predicted": (np.asarray(observed) / np.asarray(predicted)).tolist()}
    return evaluate_plateau_scaling(depth, epsilons, observed, slope, tolerance, details)
