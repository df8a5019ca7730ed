r"""Figure 2: how close training gets to the final-stage condition, against the initialization scale.

A tanh network :math:`3\to m\to m\to 1` with entries :math:`\mathcal N(0, 1/m^{2\alpha})`
(:func:`numerics.init.power_init`, the parametrization of the three-layer paper's Fig. 2) is
trained by GD on the default data set for several :math:`\alpha`.  Along training, on the reduced
variables :math:`(a, W^2, u = W^1 v)` (docs/mathematics.md#reduced-variables, #final-stage), the terms
:math:`t_{ij} = a_i W^2_{ij} u_j` of :math:`E = a^\top W^2 u` are measured by

* the fraction of positive terms :math:`\#\{t_{ij} > 0\}/(m_1m_2)` (the final-stage condition
  holds when it is 1; :func:`verify.measures.final_stage_fraction`), and
* the weighted closeness :math:`\rho = \sum\max(t_{ij},0)/\sum|t_{ij}| \in [0,1]`
  (:func:`verify.measures.final_stage_weighted`).

Panels: loss and fraction over training (time in units of the observed escape iteration), and the
maximum over training of both measures against :math:`\alpha`.

Check: the maximum of :math:`\rho` over training does not decrease with :math:`\alpha` (slack
0.01), it exceeds 0.99 at the largest :math:`\alpha` and stays below 0.9 at the smallest: small
initialization drives training to the final-stage regime, large initialization does not.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path


from condense.figures._base import FigureResult
from condense.figures._params import require_int, require_range, resolve_parameters

NAME = "final_stage"
TITLE = "Closeness to the final-stage condition versus the initialization exponent α"
CLAIM = (
    "The smaller the initialization (larger α in N(0, 1/m^{2α})), the closer training gets to the "
    "final-stage condition a_i W_ij u_j > 0 for all i, j — the regime in which the paper proves "
    "condensation (docs/mathematics.md#final-stage; three-layer paper, Fig. 2)."
)

MONOTONE_SLACK = 0.01


#: Defaults of ``--quick`` (options given explicitly are kept).
QUICK = {"width": 20, "alphas": [0.25, 0.75, 1.25, 1.75, 2.0], "max_steps": 5000}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--width", type=int, default=50, help="both hidden widths m")
    parser.add_argument("--alphas", type=float, nargs="+", default=[0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0],
                        help="initialization exponents: entries N(0, 1/m^(2 alpha))")
    parser.add_argument("--n", type=int, default=40, help="data points of the default data set")
    parser.add_argument("--lr", type=float, default=0.05, help="GD step size")
    parser.add_argument("--max-steps", type=int, default=30000,
                        help="skip an alpha whose run (twice the predicted escape) would be longer")


def run_alpha(X, y, v, alpha: float, width: int, lr: float, max_steps: int, seed: int) -> dict | None:
    """Train one network to twice its predicted escape and measure the final-stage condition along
    training; ``None`` when that takes more than ``max_steps`` iterations."""
    import numpy as np
    from numerics import observed_escape_iteration, power_init, predict_escape, train_network
    from verify.measures import final_stage_fraction, final_stage_weighted

    weights = power_init((X.shape[1], width, width), alpha, seed=seed)
    predicted = predict_escape(X, y, weights, lr).iteration
    if not math.isfinite(predicted) or 2.0 * predicted + 100 > max_steps:
        return None
    steps = int(2.0 * predicted + 100)
    history = train_network(X, y, weights, activation="tanh", lr=lr, steps=steps, record_every=max(1, steps // 300))
    if history.diverged:
        raise RuntimeError(f"alpha = {alpha}: {history.message}")
    fraction, weighted = [], []
    for W1, W2, a in history.snapshots:
        u = W1 @ v
        fraction.append(final_stage_fraction(a, W2, u))
        weighted.append(final_stage_weighted(a, W2, u))
    return {
        "alpha": alpha, "epsilon": width ** (-alpha), "steps": steps, "predicted": predicted,
        "observed": observed_escape_iteration(history.loss), "loss": history.loss,
        "record_steps": history.record_steps, "fraction": np.array(fraction), "weighted": np.array(weighted),
    }


def make(out_dir: Path, *, quick: bool = False, seed: int = 0, **params) -> FigureResult:
    import numpy as np
    import matplotlib.pyplot as plt
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    from condense.figures._base import apply_style, save_figure
    from numerics import make_dataset
    from numerics.data import data_direction

    p = resolve_parameters(add_arguments, params, quick=QUICK if quick else None)
    _validate(p)
    apply_style()
    X, y = make_dataset("default", n=p["n"], seed=seed)
    _, v = data_direction(X, y)
    runs = [run_alpha(X, y, v, a, p["width"], p["lr"], p["max_steps"], seed) for a in sorted(p["alphas"])]
    skipped = [a for a, run in zip(sorted(p["alphas"]), runs) if run is None]
    runs = [run for run in runs if run is not None]
    if len(runs) < 2:
        raise ValueError(f"max_steps: only {len(runs)} alpha(s) escape within {p['max_steps']} steps; "
                         "raise --max-steps or use smaller alphas")

    norm = Normalize(min(p["alphas"]), max(p["alphas"]))
    cmap = plt.cm.viridis
    fig, (ax_loss, ax_measure, ax_max) = plt.subplots(1, 3, figsize=(15.0, 4.8))
    for run in runs:
        unit = run["observed"] if run["observed"] else run["steps"]
        c = cmap(norm(run["alpha"]))
        ax_loss.semilogy(np.arange(len(run["loss"])) / unit, run["loss"], color=c)
        ax_measure.plot(run["record_steps"] / unit, run["fraction"], color=c)
    for ax in (ax_loss, ax_measure):
        ax.set_xlim(0, 2.0)
        ax.axvline(1.0, color="gray", ls=":", lw=1)
        fig.colorbar(ScalarMappable(norm, cmap), ax=ax, label="α")
    ax_loss.set(title="(a) training loss", xlabel="iteration / observed escape iteration", ylabel="loss")
    ax_measure.set(title=r"(b) fraction of positive terms $a_iW_{ij}u_j$",
                   xlabel="iteration / observed escape iteration", ylabel="fraction positive (1 = condition holds)")
    alphas = np.array([r["alpha"] for r in runs])
    best_fraction = np.array([r["fraction"].max() for r in runs])
    best_weighted = np.array([r["weighted"].max() for r in runs])
    ax_max.plot(alphas, best_fraction, "o-", label="max fraction of positive terms")
    ax_max.plot(alphas, best_weighted, "s--", label=r"max weighted closeness $\rho$")
    ax_max.axhline(1.0, color="black", lw=1, ls=":")
    ax_max.set(title="(c) maximum over training", xlabel=r"initialization exponent $\alpha$", ylabel="measure",
               ylim=(0.4, 1.03))
    ax_max.legend(loc="lower right")
    fig.suptitle(f"Final-stage condition along training: tanh network 3–{p['width']}–{p['width']}–1, "
                 f"entries N(0, 1/{p['width']}^(2α)), η = {p['lr']:g}")
    paths = save_figure(fig, out_dir, NAME)

    monotone = bool(np.all(np.diff(best_weighted) >= -MONOTONE_SLACK))
    top_ok = bool(best_weighted[-1] >= 0.99)
    contrast = bool(best_weighted[0] < 0.9)
    rows = "\n".join(
        f"| {r['alpha']:g} | {r['epsilon']:.3g} | {r['predicted']:.0f} | {r['observed']} | {r['steps']} | "
        f"{r['fraction'].max():.3f} | {r['weighted'].max():.4f} |" for r in runs
    )
    summary = (
        f"Checks: max ρ non-decreasing in α (slack {MONOTONE_SLACK}): {'yes' if monotone else 'NO'}; "
        f"max ρ ≥ 0.99 at α = {alphas[-1]:g}: {'yes' if top_ok else 'NO'}; max ρ < 0.9 at α = {alphas[0]:g}: "
        f"{'yes' if contrast else 'NO'}.\n\n"
        "| α | ε = m^(−α) | predicted escape | observed escape | steps | max fraction positive | max ρ |\n"
        "| --- | --- | --- | --- | --- | --- | --- |\n" + rows
        + (f"\n\nSkipped (a run to twice the predicted escape would exceed max_steps = {p['max_steps']}): "
           f"α = {', '.join(map(str, skipped))}."
           if skipped else "")
    )
    return FigureResult(NAME, TITLE, CLAIM, paths, passed=monotone and top_ok and contrast, summary=summary,
                        params=dict(p))



def _validate(p: dict) -> None:
    require_int(p, "width", 2)
    if len(p["alphas"]) < 2 or any(not 0 < a <= 4 for a in p["alphas"]):
        raise ValueError(f"alphas: need at least two exponents in (0, 4], got {p['alphas']!r}")
    require_int(p, "n", 2)
    require_int(p, "max_steps", 2)
    require_range(p, "lr", 0.0)
