r"""Figure 1: loss plateau, predicted escape, and condensation of a small-init three-layer tanh network.

A tanh network :math:`f(x) = a^\top\tanh(W^2\tanh(W^1x))` with entries
:math:`\mathcal N(0,\varepsilon^2)` is trained by full-batch GD on the default data set.

* Loss panel (a), with a zoom (b) around the escape: the training loss, the predicted escape iteration
  :math:`k_{\rm esc} = T^*(\bar\theta_0)/(\varepsilon\|v'\|\eta)` (docs/mathematics.md#blow-up, from
  :func:`numerics.predict_escape`), and the loss predicted by the effective model: the effective
  flow :math:`(a, W, u)(\tau)` (docs/mathematics.md#reduced-variables) integrated from :math:`\bar\theta_0` at
  :math:`\tau = \varepsilon\|v'\|\eta k`, mapped back to the weights
  :math:`a = \varepsilon\bar a`, :math:`W^2 = \varepsilon\bar W`,
  :math:`W^1 = \varepsilon(\bar W^1_0(I - vv^\top) + \bar u v^\top)` and evaluated with the
  leading-order (linear) network :math:`f \approx a^\top W^2 W^1 x`.  The shaded region is where the
  effective model fails: from the first iteration where its loss differs from the real loss by more
  than ``--fail-tolerance`` :math:`\times R_0` (or where it has blown up).
* Heatmaps (c)–(f): cosine similarity :math:`D(u,v) = u^\top v/(\|u\|\|v\|)` of the rows of :math:`W^1` and
  of :math:`W^2` at initialization and just after the escape (loss below 10% of :math:`R_0`),
  neurons ordered by the leading eigenvector, colour range −1..1 (docs/mathematics.md#final-stage).

Check (the criteria of :mod:`verify`, not a second copy): the escape verdict is
:func:`verify.checks.plateau.evaluate_plateau_escape` (observed/predicted within its tolerance, 2%)
and the condensation verdict :func:`verify.checks.final_stage.evaluate_condensation` (mean
:math:`|D|` off the diagonal at least 0.9 for both layers after the escape); both are shown.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path


from condense.figures._base import FigureResult
from condense.figures._params import require_int, require_range, resolve_parameters

NAME = "loss_condensation"
TITLE = "Plateau, predicted escape and condensation of a three-layer tanh network"
CLAIM = (
    "From small initialization a three-layer network stays on a plateau until the blow-up time T* of "
    "the effective model, k_esc = T*/(ε‖v'‖η) (docs/mathematics.md#blow-up), and leaves it condensed: the rows of W¹ "
    "align with ±v and those of W² with ±û (docs/mathematics.md#final-stage)."
)



#: Defaults of ``--quick`` (options given explicitly are kept).
QUICK = {"steps_factor": 1.5}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--epsilon", type=float, default=1e-3, help="init scale: entries N(0, eps^2)")
    parser.add_argument("--widths", type=int, nargs=2, default=[20, 20], metavar=("M1", "M2"), help="hidden widths")
    parser.add_argument("--n", type=int, default=40, help="data points of the default data set")
    parser.add_argument("--lr", type=float, default=0.1, help="GD step size")
    parser.add_argument("--steps-factor", type=float, default=2.0,
                        help="train for this multiple of the predicted escape iteration")
    parser.add_argument("--fail-tolerance", type=float, default=0.05,
                        help="effective model fails where |R_eff - R| > this * R_0")


def effective_model_loss(X, y, weights, prediction, iterations: np.ndarray) -> np.ndarray:
    r"""Loss of the leading-order model along the effective flow at GD ``iterations``
    (``nan`` at and after the blow-up, where the effective model has no solution)."""
    import numpy as np
    from numerics import integrate_effective
    from numerics.data import data_direction

    _, v = data_direction(X, y)
    u0, W0, a0 = prediction.reduced_state
    eps = prediction.epsilon
    tau = prediction.time_scale * prediction.lr * np.asarray(iterations, dtype=float)
    alive = tau < prediction.t_star * (1.0 - 1e-9)
    out = np.full(tau.shape, np.nan)
    if not np.any(alive):
        return out
    trajectory = integrate_effective(a0, W0, u0, float(tau[alive][-1]) or 1e-300, t_eval=tau[alive])
    W1_perp = weights[0] / eps - np.outer(weights[0] @ v / eps, v)  # \bar W^1_0 (I - v v^T)
    for j, (a, W, u) in enumerate(zip(trajectory.a, trajectory.W, trajectory.u)):
        W1 = eps * (W1_perp + np.outer(u, v))
        f = (eps * a) @ (eps * W) @ W1 @ X.T
        out[np.flatnonzero(alive)[j]] = 0.5 * np.mean((f - y) ** 2)
    return out


def make(out_dir: Path, *, quick: bool = False, seed: int = 0, **params) -> FigureResult:
    import numpy as np
    import matplotlib.pyplot as plt

    from condense.figures._base import apply_style, save_figure
    from condense.figures._plotting import EscapeRun, draw_cosine_heatmap
    from numerics import gaussian_init, make_dataset
    from verify.checks.final_stage import evaluate_condensation
    from verify.checks.plateau import evaluate_plateau_escape
    from verify.measures import row_concentration

    # quick: already cheap (about a second); only train less far past the escape
    p = resolve_parameters(add_arguments, params, quick=QUICK if quick else None)
    _validate(p)
    apply_style()

    X, y = make_dataset("default", n=p["n"], seed=seed)
    weights = gaussian_init((X.shape[1], *p["widths"]), p["epsilon"], seed=seed)
    run = EscapeRun(X, y, weights, p["lr"], p["steps_factor"])
    prediction, history, loss, observed, ratio = run.prediction, run.history, run.loss, run.observed, run.ratio

    iterations = history.record_steps[history.record_steps < len(loss)]
    effective = effective_model_loss(X, y, weights, prediction, iterations)
    deviation = np.abs(effective - loss[iterations]) > p["fail_tolerance"] * loss[0]
    failing = np.flatnonzero(deviation | ~np.isfinite(effective))
    fail_start = int(iterations[failing[0]]) if failing.size else None

    k_after, before, after = run.k_after, run.before, run.after
    concentration = {"W1 init": row_concentration(before[0]), "W2 init": row_concentration(before[1])}
    alignment = _alignment_with_limit_directions(X, y, after)
    escape = evaluate_plateau_escape([prediction.epsilon], [prediction.iteration],
                                     [math.nan if observed is None else observed])
    condensation = evaluate_condensation({"W1": after[0], "W2": after[1]})
    concentration.update({f"{name} after": value for name, value in condensation.details["concentration"].items()})

    fig = plt.figure(figsize=(13.0, 8.0))
    grid = fig.add_gridspec(2, 4, height_ratios=[1.0, 1.05])
    ax = fig.add_subplot(grid[0, :3])
    ax.semilogy(np.arange(len(loss)), loss, color="black", lw=1.6, label="training loss (GD)")
    ax.semilogy(iterations, effective, color="tab:green", ls="--", lw=1.4, label="effective model (leading order)")
    ax.axvline(prediction.iteration, color="tab:red", lw=1.4,
               label=f"predicted escape $T^*/(\\varepsilon\\|v'\\|\\eta)$ = {prediction.iteration:.0f}")
    if observed is not None:
        ax.axvline(observed, color="tab:blue", ls=":", lw=1.4, label=f"observed escape (loss halved) = {observed}")
    if fail_start is not None:
        ax.axvspan(fail_start, len(loss), color="tab:orange", alpha=0.18, label="effective model fails")
    ax.axvline(history.record_steps[k_after], color="0.4", ls="-.", lw=1, label="snapshot 'after' below")
    finite = np.concatenate([loss, effective[np.isfinite(effective)]])
    ax.set_ylim(0.5 * finite.min(), 3.0 * loss[0])
    ax.set(xlim=(0, len(loss)), xlabel="GD iteration $k$", ylabel="loss $R$",
           title=f"(a) three-layer tanh network {X.shape[1]}–{p['widths'][0]}–{p['widths'][1]}–1, "
           f"ε = {p['epsilon']:g}, η = {p['lr']:g}: observed/predicted escape = {ratio:.3f}")
    ax.legend(loc="lower left")
    _zoom(fig.add_subplot(grid[0, 3]), loss, iterations, effective, prediction.iteration, observed, fail_start)
    image = None
    panels = [(before[0], "(c) $W^1$ rows, initialization"), (after[0], "(d) $W^1$ rows, after escape"),
              (before[1], "(e) $W^2$ rows, initialization"), (after[1], "(f) $W^2$ rows, after escape")]
    for j, (rows, title) in enumerate(panels):
        image = draw_cosine_heatmap(fig.add_subplot(grid[1, j]), rows, title)
    fig.colorbar(image, ax=fig.axes[-4:], shrink=0.8, label="cosine similarity $D(u, v)$")
    fig.suptitle(f"verify's verdicts: plateau escape {_verdict(escape)} (|observed/predicted − 1| = "
                 f"{escape.measured:.3g} ≤ {escape.tolerance:g}); condensation {_verdict(condensation)} "
                 f"(min mean |cos| after escape = {condensation.measured:.3f} ≥ {condensation.tolerance:g})")
    paths = save_figure(fig, out_dir, NAME)

    summary = (
        f"Predicted escape iteration {prediction.iteration:.1f} (T* = {prediction.t_star:.6g}, "
        f"ε = {prediction.epsilon:.4g} (RMS of the initial weights), ‖v'‖ = {prediction.v_prime_norm:.4g}); "
        f"observed (loss halved) {observed}; ratio {ratio:.4f} (verify's plateau-escape criterion, "
        f"|ratio − 1| ≤ {escape.tolerance:g}: {'PASS' if escape.passed else 'FAIL'}). "
        f"The effective model's loss departs from the real loss by more than {p['fail_tolerance']:g}·R₀ "
        f"from iteration {fail_start} on (shaded). Mean |cosine| between distinct rows, initialization → "
        f"after escape (iteration {history.record_steps[k_after]}): W¹ {concentration['W1 init']:.3f} → "
        f"{concentration['W1 after']:.3f}, W² {concentration['W2 init']:.3f} → {concentration['W2 after']:.3f} "
        f"(verify's condensation criterion, both ≥ {condensation.tolerance:g}: "
        f"{'PASS' if condensation.passed else 'FAIL'}). Alignment after escape with the limit directions of docs/mathematics.md#final-stage "
        f"(shown, not part of the check; 1 = aligned): mean |cos(W¹ₖ, v)| = {alignment[0]:.3f} with v = v'/‖v'‖, "
        f"mean |cos(W²ₖ, û)| = {alignment[1]:.3f} with û = W¹v/‖W¹v‖."
    )
    params_used = {**p, "steps": run.steps, "predicted_escape": round(prediction.iteration, 2), "observed_escape": observed}
    params_used["verdicts"] = {"plateau_escape": bool(escape.passed), "condensation": bool(condensation.passed)}
    return FigureResult(NAME, TITLE, CLAIM, paths, passed=bool(escape.passed and condensation.passed), summary=summary,
                        params=params_used)



def _verdict(result) -> str:
    return "PASS" if result.passed else "FAIL"


def _alignment_with_limit_directions(X, y, weights) -> tuple[float, float]:
    r"""Mean :math:`|\cos|` of the rows of :math:`W^1` with :math:`v` and of the rows of :math:`W^2`
    with :math:`\hat u = W^1v/\|W^1v\|`: the limit directions of docs/mathematics.md#final-stage."""
    import numpy as np
    from numerics.data import data_direction

    from condense.figures._plotting import cosine_matrix

    _, v = data_direction(X, y)
    W1, W2 = weights[0], weights[1]
    u = W1 @ v
    cos_w1 = cosine_matrix(np.vstack([v, W1]))[0, 1:]
    cos_w2 = cosine_matrix(np.vstack([u, W2]))[0, 1:]
    return float(np.mean(np.abs(cos_w1))), float(np.mean(np.abs(cos_w2)))


def _zoom(inset, loss, iterations, effective, predicted: float, observed: int | None, fail_start: int | None) -> None:
    """Panel beside the loss curve around the escape, where the predicted and observed lines are too
    close to tell apart (a panel of its own, not an inset, so that it never hides the curve)."""
    import numpy as np

    low, high = int(0.95 * predicted), min(len(loss), int(math.ceil(1.05 * predicted)) + 1)
    inset.plot(np.arange(low, high), loss[low:high], color="black", lw=1.6)
    keep = (iterations >= low) & (iterations < high)
    inset.plot(iterations[keep], effective[keep], color="tab:green", ls="--", lw=1.4)
    inset.axvline(predicted, color="tab:red", lw=1.4)
    if observed is not None:
        inset.axvline(observed, color="tab:blue", ls=":", lw=1.4)
    if fail_start is not None:
        inset.axvspan(max(fail_start, low), high, color="tab:orange", alpha=0.18)
    inset.set_xlim(low, high)
    inset.set_ylim(0, 1.1 * loss[0])
    inset.set(title="(b) zoom: ±5% around the predicted escape", xlabel="GD iteration $k$",
              ylabel="loss $R$ (linear scale)")
    inset.tick_params(axis="x", labelrotation=30)


def _validate(p: dict) -> None:
    require_range(p, "epsilon", 0.0, 1.0)
    if len(p["widths"]) != 2 or min(p["widths"]) < 2:
        raise ValueError(f"widths: need two hidden widths >= 2, got {p['widths']!r}")
    require_int(p, "n", 2)
    require_range(p, "lr", 0.0)
    require_range(p, "fail_tolerance", 0.0)
    require_range(p, "steps_factor", 1.0)
