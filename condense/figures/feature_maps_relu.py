"""Figure: feature maps (θ_k, |a_k|A_k) at a condensed and a linear point of the phase diagram (docs/mathematics.md#phase-diagram, #one-dimensional-features)."""

from __future__ import annotations

import argparse
from pathlib import Path

from condense.figures._base import FigureResult, apply_style, save_figure

NAME = "feature_maps_relu"
TITLE = "Feature maps of the phase diagram's regimes: condensed (γ = 1.75) against linear (γ = 0.25)"
CLAIM = (
    "docs/mathematics.md#phase-diagram and #one-dimensional-features: in the condensed regime the input weights (w_k, b_k) of a two-layer network "
    "gather at a few orientations θ_k = sign(b_k)·arccos(w_k/√(w_k²+b_k²)); in the linear regime they stay "
    "where they started. Measured by the number of 5° orientation bins holding 90% of the amplitude "
    "Σ|a_k|·A_k (fewer bins = condensed)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--width", type=int, default=None, help="neurons m (default 1000, quick 200)")
    parser.add_argument("--gamma-prime", type=float, default=0.0, help="γ' of both points (default 0)")
    from condense.figures._params import activations_option

    parser.add_argument("--activations", type=activations_option, default="relu,tanh",
                        help="comma-separated activations: names or expressions in z (default relu,tanh)")


def orientation_bins(theta, weight, mass: float = 0.9, bins: int = 72) -> int:
    """Smallest number of the ``bins`` equal orientation bins on (−π, π] holding ``mass`` of ``weight``."""
    import numpy as np

    hist, _ = np.histogram(theta, bins=bins, range=(-np.pi, np.pi), weights=weight)
    ordered = np.sort(hist)[::-1]
    return int(np.searchsorted(np.cumsum(ordered) / ordered.sum(), mass) + 1)


def make(out_dir: Path, *, quick: bool = False, seed: int = 0, width: int | None = None,
         gamma_prime: float = 0.0, activations: str = "relu,tanh", **_ignored) -> FigureResult:
    import matplotlib.pyplot as plt
    import numpy as np

    from numerics.two_layer import feature_map, init_two_layer, phase_dataset, scaling, train_two_layer

    m = width if width is not None else (200 if quick else 1000)
    from condense.figures._params import split_activations

    acts = split_activations(activations)
    points = {"condensed": 1.75, "linear": 0.25}
    X, y = phase_dataset("three_point")
    apply_style()
    fig, axes = plt.subplots(len(acts), 2, figsize=(10, 4 * len(acts)), squeeze=False)
    counts = {}
    for row, act in enumerate(acts):
        for col, (regime, gamma) in enumerate(points.items()):
            sc = scaling(gamma, gamma_prime, m)
            a0, W0 = init_two_layer(m, 1, sc.beta1, sc.beta2, seed)
            run = train_two_layer(X, y, a0, W0, sc.alpha, activation=act, loss_tol=1e-4 * np.mean(y**2) / 2,
                                  max_steps=20_000)
            ax = axes[row, col]
            for label, (a, W), style in (("initial", (a0, W0), dict(color="0.6", s=8)),
                                         ("final", (run.a, run.W), dict(color="tab:red", s=10))):
                theta, amp = feature_map(W, a)
                ax.scatter(theta, amp / sc.alpha, label=label, **style)
                counts[(act, regime, label)] = orientation_bins(theta, amp)
            ax.set_yscale("log")
            ax.set_xlim(-np.pi, np.pi)
            ax.set_xlabel(r"orientation $\theta_k$")
            ax.set_ylabel(r"amplitude $|a_k|\,A_k/\alpha$")
            ax.set_title(f"{act}, {regime}: γ = {gamma:g}, γ' = {gamma_prime:g}, m = {m}\n"
                         f"bins with 90% amplitude: {counts[(act, regime, 'initial')]} → "
                         f"{counts[(act, regime, 'final')]}; loss {run.final_loss:.1e}")
            ax.legend(fontsize=8)
    paths = save_figure(fig, out_dir, NAME)
    passed = all(counts[(a, "condensed", "final")] * 3 <= counts[(a, "linear", "final")] for a in acts)
    summary = " ".join(
        f"{a}: 5° orientation bins holding 90% of the amplitude, condensed point {counts[(a, 'condensed', 'final')]} "
        f"(from {counts[(a, 'condensed', 'initial')]} at start), linear point {counts[(a, 'linear', 'final')]} "
        f"(from {counts[(a, 'linear', 'initial')]})." for a in acts
    ) + " Pass if the condensed count is at most a third of the linear one."
    return FigureResult(NAME, TITLE, CLAIM, paths, passed=passed, summary=summary,
                        params={"width": m, "gamma_prime": gamma_prime, "activations": acts, "seed": seed,
                                "points": points})
