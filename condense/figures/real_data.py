r"""The theorems on real data: plateau escape and condensation on scikit-learn's handwritten digits.

(a)–(f) A three-layer tanh network :math:`f(x) = a^\top\tanh(W^2\tanh(W^1x))`, entries
:math:`\mathcal N(0, \varepsilon^2)`, trained by full-batch GD on a binary digits task (default 0
against 1, :math:`y = \pm1`, 64 standardized pixels; :func:`numerics.make_dataset`).  The loss with
the escape iteration predicted by the effective model, :math:`k_{\rm esc} =
T^*(\bar\theta_0)/(\varepsilon\|v'\|\eta)` (docs/mathematics.md#blow-up, :func:`numerics.predict_escape`);
observed/predicted (loss first below half of :math:`R_0`) for several :math:`\varepsilon`, which
tends to 1 as :math:`\varepsilon \to 0` (the relative error is :math:`O(\varepsilon)`); the cosine
heatmaps of the rows of :math:`W^1` and :math:`W^2` at initialization and after the escape (loss
below 10% of :math:`R_0`), neurons in the leading-eigenvector order (docs/mathematics.md#final-stage).  In
:math:`d = 64` the rows whose :math:`u_k = W^1_k v` stayed small keep their random direction
:math:`W^1_k(0)(I - vv^\top)` (docs/mathematics.md#reduced-variables, #final-stage); the rows that grew align.

(g)–(h) A two-layer tanh network on a second real data set (default breast cancer, benign
against malignant, 30 standardized features), trained from small initialization through its
initial stage (loss fallen by ``--two-layer-drop``): for an activation of multiplicity one the
input weights of the neurons that grow condense on the line of :math:`v = v'/\|v'\|`
(docs/mathematics.md#multiplicity–#one-dimensional-features).  Shown: every neuron's :math:`|\cos(w_k, v)|` against its amplitude
:math:`A_k = |a_k|\,\|w_k\|` at initialization and at the end of the initial stage, and the
number of condensed orientations (:func:`condense.diagnostics.condensed_orientations`) and the
effective rank of :math:`W` along training.

Check (verify's criteria, :func:`verify.checks.plateau.evaluate_plateau_escape` and
:func:`verify.checks.final_stage.evaluate_condensation`): at the smallest :math:`\varepsilon`
(default :math:`10^{-3}`) observed/predicted is within 2% of 1, the error shrinking as
:math:`\varepsilon` decreases; after the escape the mean :math:`|D|` between distinct rows that grew (together
:math:`90\%` of :math:`\sum_k\|W_{k,:}\|^2`) is at least 0.9 in both layers;
in the two-layer network the largest neurons (90% of :math:`\sum_k A_k^2`) all have
:math:`|\cos(w_k, v)| \ge 0.95`.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from condense.figures._base import FigureResult
from condense.figures._params import require_int, require_range, resolve_parameters

NAME = "real_data"
TITLE = "Plateau escape and condensation on real data (handwritten digits, breast cancer)"
CLAIM = (
    "On real data (scikit-learn's digits, 0 against 1) a three-layer tanh network from small initialization "
    "leaves its plateau at the blow-up time of the effective model, k_esc = T*/(ε‖v'‖η), with relative error "
    "O(ε) (docs/mathematics.md#blow-up), and leaves it condensed (docs/mathematics.md#final-stage); a two-layer network condenses its "
    "growing neurons on the line of v (docs/mathematics.md#multiplicity–#one-dimensional-features)."
)

ALIGNED = 0.95

#: Defaults of ``--quick`` (options given explicitly are kept).
QUICK = {"epsilons": [1e-2, 1e-3]}


def _classes(text: str) -> list[int]:
    try:
        pair = [int(c) for c in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected two comma-separated digits, got {text!r}") from None
    if len(pair) != 2 or len(set(pair)) != 2 or not all(0 <= c <= 9 for c in pair):
        raise argparse.ArgumentTypeError(f"expected two different digits 0..9, e.g. 0,1, got {text!r}")
    return pair


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--classes", type=_classes, default=[0, 1], metavar="C_PLUS,C_MINUS",
                        help="the digits of the binary task, comma-separated (y = +1, -1)")
    parser.add_argument("--epsilon", type=float, default=1e-3, help="init scale of the three-layer network shown")
    parser.add_argument("--epsilons", type=float, nargs="+", default=[1e-2, 3e-3, 1e-3],
                        help="init scales of the observed/predicted panel (the check uses the smallest)")
    parser.add_argument("--widths", type=int, nargs=2, default=[20, 20], metavar=("M1", "M2"), help="hidden widths")
    parser.add_argument("--lr", type=float, default=0.05, help="GD step size (three-layer network)")
    parser.add_argument("--two-layer-dataset", default="breast_cancer", choices=("breast_cancer", "wine", "iris", "digits"),
                        help="real data set of the two-layer part (binary target, default classes)")
    parser.add_argument("--two-layer-width", type=int, default=100, help="hidden neurons of the two-layer network")
    parser.add_argument("--two-layer-epsilon", type=float, default=1e-4, help="init scale of the two-layer network")
    parser.add_argument("--two-layer-lr", type=float, default=0.05, help="GD step size of the two-layer network")
    parser.add_argument("--two-layer-drop", type=float, default=0.1,
                        help="the two-layer run stops when the loss has fallen by this fraction (end of the initial stage)")
    parser.add_argument("--two-layer-max-steps", type=int, default=20000, help="step cap of the two-layer run")


def escape_ratios(X, y, epsilons, widths, lr: float, seed: int) -> list[dict]:
    """Predicted and observed escape of the three-layer tanh network at each ``epsilon``
    (:func:`condense.figures.plateau_scaling.run_point`), with ``"ratio"`` = observed/predicted."""
    from condense.figures.plateau_scaling import run_point

    if widths[0] != widths[1]:
        raise ValueError(f"widths: the observed/predicted series uses equal hidden widths, got {widths!r}")
    rows = []
    for epsilon in epsilons:
        point = run_point(X, y, 3, epsilon, widths[0], lr, seed)
        observed = point["observed"]
        point["ratio"] = observed / point["predicted"] if observed is not None else math.nan
        rows.append(point)
    return rows


def make(out_dir: Path, *, quick: bool = False, seed: int = 0, **params) -> FigureResult:
    import numpy as np
    import matplotlib.pyplot as plt

    from condense.diagnostics import condensed_orientations, effective_rank
    from condense.figures._base import apply_style, save_figure
    from condense.figures._plotting import EscapeRun, draw_cosine_heatmap
    from condense.figures.feature_maps import top_neurons, train_initial_stage
    from numerics import gaussian_init, make_dataset, train_network
    from numerics.data import data_direction
    from verify.checks.final_stage import CONDENSED_CONCENTRATION as CONDENSED
    from verify.checks.final_stage import evaluate_condensation
    from verify.checks.plateau import ESCAPE_TOLERANCE as RATIO_TOLERANCE
    from verify.checks.plateau import evaluate_plateau_escape
    from verify.measures import row_abs_cosines, row_concentration

    p = resolve_parameters(add_arguments, params, quick=QUICK if quick else None)
    _validate(p)
    apply_style()

    # three-layer network on digits
    X, y = make_dataset("digits", target="binary", classes=p["classes"])
    weights = gaussian_init((X.shape[1], *p["widths"]), p["epsilon"], seed=seed)
    run = EscapeRun(X, y, weights, p["lr"], 1.6)
    prediction, history, loss, observed, ratio = run.prediction, run.history, run.loss, run.observed, run.ratio
    k_after, before, after = run.k_after, run.before, run.after
    concentration = {f"W{k + 1} {when}": row_concentration(state[k])
                     for when, state in (("init", before), ("after", after)) for k in (0, 1)}
    # the rows that grew (holding 90% of sum_k |w_k|^2) are the ones the theory says align
    grown = {k: top_neurons(np.linalg.norm(after[k], axis=1)) for k in (0, 1)}
    condensation = evaluate_condensation({"W1": after[0][grown[0]], "W2": after[1][grown[1]]})
    concentration.update({f"{name} grown": value for name, value in condensation.details["concentration"].items()})
    series = escape_ratios(X, y, sorted(p["epsilons"], reverse=True), p["widths"], p["lr"], seed)
    smallest = series[-1]

    fig = plt.figure(figsize=(13.0, 11.5))
    grid = fig.add_gridspec(3, 4, height_ratios=[1.0, 1.05, 1.0])
    ax = fig.add_subplot(grid[0, :3])
    ax.semilogy(np.arange(len(loss)), loss, color="black", lw=1.6, label="training loss (GD)")
    ax.axvline(prediction.iteration, color="tab:red", lw=1.4,
               label=f"predicted escape $T^*/(\\varepsilon\\|v'\\|\\eta)$ = {prediction.iteration:.0f}")
    if observed is not None:
        ax.axvline(observed, color="tab:blue", ls=":", lw=1.6, label=f"observed escape (loss halved) = {observed}")
    ax.axvline(history.record_steps[k_after], color="0.4", ls="-.", lw=1, label="snapshot 'after' below")
    ax.set(xlim=(0, len(loss)), xlabel="GD iteration $k$", ylabel="loss $R$",
           title=f"(a) digits {p['classes'][0]} vs {p['classes'][1]} (n = {X.shape[0]}, d = 64), tanh "
           f"64–{p['widths'][0]}–{p['widths'][1]}–1, ε = {p['epsilon']:g}, η = {p['lr']:g}: observed/predicted = {ratio:.4f}")
    ax.legend(loc="lower left")
    ax_ratio = fig.add_subplot(grid[0, 3])
    eps = np.array([r["epsilon"] for r in series])
    ax_ratio.semilogx(eps, [r["ratio"] for r in series], "o-", color="tab:purple")
    ax_ratio.axhline(1.0, color="black", lw=1)
    ax_ratio.axhspan(1 - RATIO_TOLERANCE, 1 + RATIO_TOLERANCE, color="tab:green", alpha=0.15, label=f"±{RATIO_TOLERANCE:.0%}")
    for r in series:
        ax_ratio.annotate(f"{r['ratio']:.4f}", (r["epsilon"], r["ratio"]), textcoords="offset points", xytext=(0, 7),
                          ha="center", fontsize=8)
    ax_ratio.invert_xaxis()
    ax_ratio.set(title="(b) observed/predicted escape", xlabel="init scale ε (→ 0)", ylabel="ratio")
    ax_ratio.legend(loc="lower right")
    image = None
    panels = [(before[0], "(c) $W^1$ rows, initialization"), (after[0], "(d) $W^1$ rows, after escape"),
              (before[1], "(e) $W^2$ rows, initialization"), (after[1], "(f) $W^2$ rows, after escape")]
    for j, (rows, title) in enumerate(panels):
        image = draw_cosine_heatmap(fig.add_subplot(grid[1, j]), rows, title)
    fig.colorbar(image, ax=fig.axes[-4:], shrink=0.8, label="cosine similarity $D(u, v)$")

    # two-layer network on a second real data set, through its initial stage
    X2, y2 = make_dataset(p["two_layer_dataset"], target="binary")
    _, v2 = data_direction(X2, y2)
    start = gaussian_init((X2.shape[1], p["two_layer_width"]), p["two_layer_epsilon"], seed=seed)
    end, steps2, _ = train_initial_stage(X2, y2, start, "tanh", p["two_layer_lr"], p["two_layer_max_steps"],
                                         p["two_layer_drop"])
    replay = train_network(X2, y2, start, activation="tanh", lr=p["two_layer_lr"], steps=max(1, steps2),
                           record_every=max(1, steps2 // 40))  # GD is deterministic: the same path, sampled
    trajectory = list(zip(replay.record_steps.tolist(), replay.snapshots))
    ax_scatter = fig.add_subplot(grid[2, :2])
    for state, colour, label in ((start, "0.6", "initialization"), (end, "tab:red", f"end of the initial stage (step {steps2})")):
        amplitude = np.abs(state[1]) * np.linalg.norm(state[0], axis=1)
        ax_scatter.scatter(amplitude / amplitude.max(), row_abs_cosines(state[0], v2), s=12, color=colour, label=label)
    amplitude = np.abs(end[1]) * np.linalg.norm(end[0], axis=1)
    top = top_neurons(amplitude)
    aligned = row_abs_cosines(end[0][top], v2)
    ax_scatter.axhline(ALIGNED, color="black", ls="--", lw=1, label=f"|cos| = {ALIGNED}")
    ax_scatter.set(xscale="log", xlabel=r"amplitude $A_k = |a_k|\,\|w_k\|$ / max", ylabel=r"$|\cos(w_k, v)|$", ylim=(0, 1.05),
                   title=f"(g) two-layer tanh, {p['two_layer_dataset'].replace('_', ' ')} (d = {X2.shape[1]}, "
                   f"m = {p['two_layer_width']}, ε = {p['two_layer_epsilon']:g}):\ninput weights against v = v'/‖v'‖")
    ax_scatter.legend(loc="lower left")
    ax_count = fig.add_subplot(grid[2, 2:])
    trajectory_steps = [s for s, _ in trajectory]
    counts = [condensed_orientations(w[0][top_neurons(np.abs(w[1]) * np.linalg.norm(w[0], axis=1))]).count
              for _, w in trajectory]
    ranks = [effective_rank(w[0]) for _, w in trajectory]
    ax_count.plot(trajectory_steps, counts, "o-", ms=3, color="tab:red", label="orientations of the largest neurons (90% of ΣA²)")
    ax_count.plot(trajectory_steps, ranks, "s-", ms=3, color="tab:blue", label="effective rank of W")
    ax_count.set(yscale="log", xlabel="GD iteration", title="(h) condensed orientations (δ = 0.05) and effective rank")
    ax_count.legend(loc="upper right")
    fig.suptitle("The theorems on real data (scikit-learn's bundled data sets, nothing downloaded)")
    paths = save_figure(fig, out_dir, NAME)

    escape = evaluate_plateau_escape([r["epsilon"] for r in series], [r["predicted"] for r in series],
                                     [math.nan if r["observed"] is None else r["observed"] for r in series])
    ratio_ok, condensed_ok = escape.passed, condensation.passed
    aligned_ok = bool(np.min(aligned) >= ALIGNED)
    table = "\n".join(f"| {r['epsilon']:g} | {r['predicted']:.1f} | {r['observed']} | {r['ratio']:.4f} |" for r in series)
    summary = (
        f"Three-layer tanh network on digits {p['classes'][0]} vs {p['classes'][1]} (n = {X.shape[0]}, ‖v'‖ = "
        f"{prediction.v_prime_norm:.4g}): predicted escape {prediction.iteration:.1f}, observed {observed}, ratio "
        f"{ratio:.4f} at ε = {p['epsilon']:g}. Observed/predicted against ε (check: within ±{RATIO_TOLERANCE:.0%} at "
        f"ε = {smallest['epsilon']:g} and shrinking as ε decreases, verify's plateau-escape criterion):\n\n| ε | predicted | observed | observed/predicted |\n| --- | --- | --- | --- |\n"
        f"{table}\n\nMean |cosine| between distinct rows, initialization → after escape (iteration "
        f"{history.record_steps[k_after]}): W¹ {concentration['W1 init']:.3f} → {concentration['W1 after']:.3f}, "
        f"W² {concentration['W2 init']:.3f} → {concentration['W2 after']:.3f}; among the rows that grew (holding 90% "
        f"of Σ‖w_k‖²: {len(grown[0])} of W¹, {len(grown[1])} of W²) {concentration['W1 grown']:.3f} and "
        f"{concentration['W2 grown']:.3f} (check: both ≥ {CONDENSED}, verify's condensation criterion). "
        f"Two-layer tanh network on {p['two_layer_dataset'].replace('_', ' ')}: after {steps2} steps (loss fallen by "
        f"{p['two_layer_drop']:.0%}) the {len(top)} largest neurons (90% of ΣA²) have |cos(w_k, v)| ≥ "
        f"{np.min(aligned):.4f} (check: ≥ {ALIGNED}), on {counts[-1]} orientation(s); effective rank of W "
        f"{ranks[0]:.2f} → {ranks[-1]:.2f}."
    )
    used = {**p, "steps": run.steps, "predicted_escape": round(prediction.iteration, 2), "observed_escape": observed,
            "ratios": {f"{r['epsilon']:g}": round(r["ratio"], 5) for r in series}}
    return FigureResult(NAME, TITLE, CLAIM, paths, passed=bool(ratio_ok and condensed_ok and aligned_ok),
                        summary=summary, params=used)


def _validate(p: dict) -> None:
    require_range(p, "epsilon", 0.0, 1.0)
    if not p["epsilons"] or not all(0 < e < 1 for e in p["epsilons"]):
        raise ValueError(f"epsilons: need values in (0, 1), got {p['epsilons']!r}")
    if len(p["widths"]) != 2 or min(p["widths"]) < 2:
        raise ValueError(f"widths: need two hidden widths >= 2, got {p['widths']!r}")
    require_range(p, "lr", 0.0)
    require_int(p, "two_layer_width", 2)
    require_range(p, "two_layer_epsilon", 0.0, 1.0)
    require_range(p, "two_layer_lr", 0.0)
    require_range(p, "two_layer_drop", 0.0, 1.0)
    require_int(p, "two_layer_max_steps", 40)
