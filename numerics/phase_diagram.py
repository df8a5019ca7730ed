r"""The two-layer phase diagram in :math:`(\gamma, \gamma')` (docs/mathematics.md#phase-diagram, Luo et al. 2021).

For each grid point and width :math:`m` a two-layer network (:mod:`numerics.two_layer`) is trained
from the antisymmetric initialization until the loss falls below ``loss_tol_rel`` times its
initial value; then :math:`\mathrm{RD}(\theta_w) = \|\theta_w(t^*) - \theta_w(0)\|/\|\theta_w(0)\|`.
The slope :math:`s` of :math:`\log\mathrm{RD}` against :math:`\log m` classifies the point:
linear (:math:`s < -\delta`), condensed (:math:`s > \delta`), critical (:math:`|s| \le \delta`).

Theory (Luo et al. 2021, Theorems 1–2): linear when :math:`\gamma < 1` or :math:`\gamma' > \gamma - 1`,
condensed when :math:`\gamma > 1` and :math:`\gamma' < \gamma - 1`; the boundary is
:math:`\gamma = \max(1, 1 + \gamma')`.

A leading-order scaling argument (derived here, not a theorem; see docs/phase-diagram.md)
also predicts the slope: with :math:`\kappa = m^{-\gamma}`, :math:`\kappa' = m^{-\gamma'}`,

* linear, :math:`\gamma < 1`: :math:`s = \gamma - 1 - 2\max(\gamma', 0)`;
* linear, :math:`1 \le \gamma < 1 + \gamma'` (the output layer does the fitting): :math:`s = 2(\gamma - 1 - \gamma')`;
* condensed: :math:`s = \gamma - 1` for :math:`\gamma' \le 0`, :math:`s = (\gamma - 1 - \gamma')/2` for :math:`\gamma' > 0`.
"""

from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from numerics.fit import fit_power

from numerics.sweep import ResultStore, SweepReport, run_sweep
from numerics.two_layer import (
    _check_finite,
    init_two_layer,
    phase_dataset,
    relative_distance,
    scaling,
    train_two_layer,
    warm_up,
)

__all__ = [
    "CLASSIC_POINTS",
    "REGIMES",
    "UNRESOLVED",
    "boundary_gamma",
    "theoretical_regime",
    "heuristic_slope",
    "phase_point",
    "check_grid",
    "fit_slope",
    "classify_slope",
    "PhaseDiagram",
    "phase_diagram",
]

REGIMES = ("linear", "critical", "condensed")
#: Label of a grid point with fewer than two distinct widths trained to the loss tolerance.
UNRESOLVED = "unresolved"

#: Classic initializations as (gamma, gamma') -- Luo et al. 2021, Table 1 (with d fixed):
#: NTK (Jacot et al.) alpha = sqrt(m), beta1 = beta2 = 1; mean field (Mei et al., Chizat & Bach,
#: Rotskoff & Vanden-Eijnden, Sirignano & Spiliopoulos) alpha = m, beta1 = beta2 = 1;
#: Xavier alpha = 1, beta1 = sqrt(2/(m+1)), beta2 = sqrt(2/(m+d)) -> (1, 0) in the limit;
#: LeCun / He alpha = 1, beta1 = sqrt(1/m) (sqrt(2/m)), beta2 = sqrt(1/d) (sqrt(2/d)).
CLASSIC_POINTS: dict[str, tuple[float, float]] = {
    "NTK": (0.5, 0.0),
    "mean field": (1.0, 0.0),
    "Xavier": (1.0, 0.0),
    "LeCun / He": (0.5, 0.5),
}


def boundary_gamma(gamma_prime: float | np.ndarray) -> float | np.ndarray:
    r"""The critical line :math:`\gamma = 1` for :math:`\gamma' \le 0`, :math:`\gamma = 1 + \gamma'` for :math:`\gamma' \ge 0`."""
    return np.maximum(1.0, 1.0 + np.asarray(gamma_prime, dtype=float)) if np.ndim(gamma_prime) else max(
        1.0, 1.0 + float(gamma_prime)
    )


def theoretical_regime(gamma: float, gamma_prime: float, tol: float = 1e-9) -> str:
    """``"linear"``, ``"condensed"`` or ``"critical"`` (within ``tol`` of the boundary) by Luo et al.'s theorems."""
    gamma = _check_finite("gamma", gamma)
    gamma_prime = _check_finite("gamma_prime", gamma_prime)
    distance = gamma - boundary_gamma(gamma_prime)
    if abs(distance) <= tol:
        return "critical"
    return "condensed" if distance > 0 else "linear"


def heuristic_slope(gamma: float, gamma_prime: float) -> float:
    r"""Slope of :math:`\log\mathrm{RD}(\theta_w)` vs :math:`\log m` from the leading-order scaling
    argument of the module docstring (a heuristic derived here; zero on the boundary)."""
    gamma = _check_finite("gamma", gamma)
    gamma_prime = _check_finite("gamma_prime", gamma_prime)
    if gamma < 1.0:
        return gamma - 1.0 - 2.0 * max(gamma_prime, 0.0)
    if gamma < 1.0 + gamma_prime:
        return 2.0 * (gamma - 1.0 - gamma_prime)
    return gamma - 1.0 if gamma_prime <= 0 else (gamma - 1.0 - gamma_prime) / 2.0


#: Bumped whenever :func:`phase_point` or the trainer changes its numbers, so that stored sweep
#: results of an older version are not reused (it is part of every run's key).
TASK_VERSION = 2


def phase_point(
    gamma: float,
    gamma_prime: float,
    m: int,
    seed: int = 0,
    activation: str = "relu",
    convention: str = "beta2_one",
    dataset: str = "three_point",
    loss_tol_rel: float = 1e-4,
    max_steps: int = 100_000,
    lr: float = 1.0,
    version: int = TASK_VERSION,
) -> dict:
    r"""Train one network of the grid and return (JSON-ready) :math:`\mathrm{RD}(\theta_w)`,
    :math:`\mathrm{RD}(\theta_a)`, final loss, steps, status, seconds. This is the sweep's task
    (``version`` only enters the sweep key, see :data:`TASK_VERSION`)."""
    sc = scaling(gamma, gamma_prime, m, convention)
    X, y = phase_dataset(dataset)
    a0, W0 = init_two_layer(m, X.shape[1], sc.beta1, sc.beta2, seed, antisymmetric=True)
    initial_loss = float(np.mean(y**2) / 2)
    run = train_two_layer(
        X, y, a0, W0, sc.alpha, activation=activation, lr=lr, lr_mode="normalized",
        loss_tol=loss_tol_rel * initial_loss, max_steps=max_steps,
    )
    return {
        "rd_w": relative_distance(W0, run.W),
        "rd_a": relative_distance(a0, run.a),
        "final_loss": run.final_loss,
        "loss_ratio": run.final_loss / initial_loss,
        "status": run.status,
        "steps": run.steps_done,
        "halvings": run.halvings,
        "seconds": run.seconds,
    }


def fit_slope(widths: Sequence[float], values: Sequence[float]) -> tuple[float, float, float]:
    r"""Least-squares fit :math:`\log v = s\log m + c`; returns :math:`(s, c, \mathrm{stderr}(s))`
    (stderr ``nan`` for two distinct widths). ``widths`` and ``values`` may repeat widths (seeds).
    The fit is :func:`numerics.fit.fit_power`, the project's one line fit."""
    m = np.asarray(widths, dtype=float)
    v = np.asarray(values, dtype=float)
    if m.shape != v.shape or m.ndim != 1:
        raise ValueError(f"widths, values: need equal 1-d shapes, got {m.shape} and {v.shape}")
    if np.unique(m).size < 2:
        raise ValueError("widths: need at least two distinct widths to fit a slope")
    fit = fit_power(m, v, names=("widths", "values"))
    return fit.slope, fit.intercept, fit.stderr


def classify_slope(slope: float, threshold: float = 0.1) -> str:
    r"""``"linear"`` if :math:`s < -\delta`, ``"condensed"`` if :math:`s > \delta`, else ``"critical"``."""
    slope = _check_finite("slope", slope)
    threshold = _check_finite("threshold", threshold)
    if threshold < 0:
        raise ValueError(f"threshold: must be >= 0, got {threshold}")
    if slope > threshold:
        return "condensed"
    if slope < -threshold:
        return "linear"
    return "critical"


@dataclass
class PhaseDiagram:
    """Result of :func:`phase_diagram`; arrays are indexed ``[i_gamma, j_gamma_prime]``."""

    gammas: np.ndarray
    gamma_primes: np.ndarray
    widths: tuple[int, ...]
    seeds: tuple[int, ...]
    activation: str
    threshold: float
    rd_w: np.ndarray  # [i, j, width, seed]
    slope: np.ndarray
    stderr: np.ndarray
    label: np.ndarray  # numeric classification (str)
    theory: np.ndarray  # theoretical regime (str)
    converged_fraction: float
    sweep: SweepReport | None = None
    options: dict = field(default_factory=dict)

    def agreement(self, margin: float = 0.2) -> tuple[int, int]:
        r"""(agreeing, total) over points at distance :math:`\ge` ``margin`` (in :math:`\gamma`) from the boundary."""
        distance = np.abs(self.gammas[:, None] - boundary_gamma(self.gamma_primes)[None, :])
        far = distance >= margin
        return int(np.sum((self.label == self.theory) & far)), int(np.sum(far))

    def to_json(self) -> dict:
        agree, total = self.agreement()
        return {
            "gammas": self.gammas.tolist(),
            "gamma_primes": self.gamma_primes.tolist(),
            "widths": list(self.widths),
            "seeds": list(self.seeds),
            "activation": self.activation,
            "threshold": self.threshold,
            "slope": self.slope.tolist(),
            "stderr": self.stderr.tolist(),
            "label": self.label.tolist(),
            "theory": self.theory.tolist(),
            "rd_w": self.rd_w.tolist(),
            "converged_fraction": self.converged_fraction,
            "agreement_far_from_boundary": [agree, total],
            "options": self.options,
        }


def _grid_values(name: str, values: Sequence[float]) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1 or arr.size < 1 or not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: need a non-empty list of finite numbers, got {values!r}")
    return arr


def check_grid(
    gammas: Sequence[float], gamma_primes: Sequence[float], widths: Sequence[int]
) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
    """Check a grid before any work: finite ``gammas``/``gamma_primes``, at least two distinct even
    ``widths`` >= 2. Returns them as arrays and a tuple of ints."""
    g = _grid_values("gammas", gammas)
    gp = _grid_values("gamma_primes", gamma_primes)
    try:
        checked = tuple(int(m) for m in widths)
    except (TypeError, ValueError):
        raise ValueError(f"widths: need at least two distinct even integer widths >= 2, got {widths!r}") from None
    if len(set(checked)) < 2 or any(m < 2 or m % 2 or m != w for m, w in zip(checked, widths)):
        raise ValueError(f"widths: need at least two distinct even widths >= 2, got {tuple(widths)}")
    return g, gp, checked


def phase_diagram(
    gammas: Sequence[float],
    gamma_primes: Sequence[float],
    widths: Sequence[int],
    *,
    seeds: Sequence[int] = (0,),
    activation: str = "relu",
    store: str | Path | ResultStore,
    scheduler: str | None = None,
    workers: int = 2,
    progress: bool = True,
    threshold: float = 0.1,
    connect_timeout: float = 10.0,
    worker_timeout: float = 60.0,
    **run_options,
) -> PhaseDiagram:
    r"""Run the grid ``gammas × gamma_primes × widths × seeds`` through :func:`numerics.sweep.run_sweep`
    (task :func:`phase_point`, extra keyword options passed to it) and classify every point.

    The slope is fitted over the runs whose training ended: loss at the tolerance (``"converged"``)
    or no further decrease (``"stalled"``: GD sits at a stationary point, e.g. ReLU kinks on a data
    point, at loss ≈ 0.18× the initial one for ReLU at γ ≥ 1.5, γ' ≤ −0.5). Runs cut off at
    ``max_steps`` are still moving and are left out; a point with fewer than two usable widths is
    ``"unresolved"`` (slope ``nan``) and counts as a disagreement in :meth:`PhaseDiagram.agreement`."""
    g, gp, widths = check_grid(gammas, gamma_primes, widths)
    seeds = tuple(seeds)
    if not seeds:
        raise ValueError("seeds: need at least one seed")
    for s in seeds:  # int(0.5) would silently become seed 0
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 0:
            raise ValueError(f"seeds: every seed must be an int >= 0, got {seeds!r}")
    seeds = tuple(int(s) for s in seeds)
    classify_slope(0.0, threshold)  # check threshold now, not after the whole sweep
    defaults = {
        name: p.default for name, p in inspect.signature(phase_point).parameters.items()
        if p.default is not inspect.Parameter.empty
    }
    if "seed" in run_options:  # would be silently replaced by the entries of ``seeds``
        raise TypeError("seed: not an option of phase_diagram; pass seeds=(...) instead")
    unknown = set(run_options) - set(defaults)
    if unknown:
        raise TypeError(f"run_options: unknown option(s) {sorted(unknown)}; allowed: {sorted(defaults)}")
    options = {**defaults, **run_options}  # every option in the key, so a changed default is a new run
    options.pop("seed")
    options["activation"] = activation
    params = [
        dict(gamma=float(a), gamma_prime=float(b), m=m, seed=s, **options)
        for a in g
        for b in gp
        for m in widths
        for s in seeds
    ]
    report = run_sweep(
        phase_point, params, store=store, scheduler=scheduler, workers=workers, progress=progress,
        label=f"phase diagram ({activation})", prepare=functools.partial(warm_up, activation),
        connect_timeout=connect_timeout, worker_timeout=worker_timeout,
    )
    shape = (g.size, gp.size, len(widths), len(seeds))
    rd = np.array([r["rd_w"] for r in report.results], dtype=float).reshape(shape)
    converged = np.mean([r["status"] == "converged" for r in report.results])
    # the end point of training: at the loss tolerance, or where the loss stopped decreasing
    # ("stalled", a stationary point); a run cut off at max_steps is still moving and is left out
    ok = np.array([r["status"] in ("converged", "stalled") for r in report.results]).reshape(shape)
    slope = np.empty(shape[:2])
    stderr = np.empty(shape[:2])
    label = np.empty(shape[:2], dtype=object)
    theory = np.empty(shape[:2], dtype=object)
    m_all = np.repeat(np.array(widths, dtype=float), len(seeds))
    for i in range(g.size):
        for j in range(gp.size):
            keep = ok[i, j].ravel()
            theory[i, j] = theoretical_regime(g[i], gp[j])
            if np.unique(m_all[keep]).size < 2:
                slope[i, j] = stderr[i, j] = np.nan
                label[i, j] = UNRESOLVED
                continue
            slope[i, j], _, stderr[i, j] = fit_slope(m_all[keep], rd[i, j].ravel()[keep])
            label[i, j] = classify_slope(slope[i, j], threshold)
    return PhaseDiagram(
        gammas=g, gamma_primes=gp, widths=widths, seeds=seeds, activation=activation,
        threshold=threshold, rd_w=rd, slope=slope, stderr=stderr, label=label, theory=theory,
        converged_fraction=float(converged), sweep=report, options=dict(run_options),
    )
