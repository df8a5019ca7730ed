r"""Figure 5: length of the initial plateau against the initialization scale, depths 2, 3, 4.

For each depth :math:`L` and scale :math:`\varepsilon`, a tanh network with entries
:math:`\mathcal N(0, \varepsilon^2)` is trained by GD on the default data set; the observed escape
iteration (first iteration with the loss below half its initial value) is compared with the
prediction of :func:`numerics.predict_escape` (docs/mathematics.md#model, #blow-up):

* :math:`L \ge 3`: :math:`k_{\rm esc} = T^*(\bar\theta_0)/(\varepsilon^{L-2}\|v'\|\eta)`, a power law
  :math:`\propto \varepsilon^{-(L-2)}` (the blow-up time of the effective model);
* :math:`L = 2`: the effective flow is linear, :math:`k_{\rm esc} \approx \log(1/\varepsilon)/\|v'\|\eta`.

Check: the verdicts of :mod:`verify`'s criteria (the same functions ``condense verify`` uses, shown
per depth in the table and on the figure): depth 2, :func:`verify.checks.plateau.evaluate_plateau_scaling`
(slope of :math:`k_{\rm esc}` against :math:`\log(1/\varepsilon)` equal to
:math:`1/\log(1 + \|v'\|\eta)` within 5%); depth :math:`L \ge 3`,
:func:`verify.checks.plateau.evaluate_plateau_escape` (observed/predicted within
``--ratio-tolerance``, by default verify's 2%, at the smallest :math:`\varepsilon`, the error
shrinking as :math:`\varepsilon` decreases) and ``evaluate_plateau_scaling`` over the two smallest
:math:`\varepsilon` (log–log slope :math:`L - 2` in :math:`1/\varepsilon` within 5%).
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path


from condense.figures._base import FigureResult
from condense.figures._params import require_int, require_range, resolve_parameters

NAME = "plateau_scaling"
TITLE = "Plateau length versus initialization scale for depths 2, 3, 4"
CLAIM = (
    "The initial plateau lasts k_esc = T*/(ε^(L−2)‖v'‖η) GD iterations for depth L ≥ 3 (a power law "
    "ε^−(L−2), from the finite-time blow-up of the effective model) but only ~log(1/ε) for depth 2 "
    "(linear effective flow), and the prediction becomes exact as ε → 0 (docs/mathematics.md#model, #blow-up)."
)


#: Defaults of ``--quick`` (options given explicitly are kept).
QUICK = {"max_iterations": 5000}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--depths", type=int, nargs="+", default=[2, 3, 4], help="network depths L >= 2")
    parser.add_argument("--epsilons", type=float, nargs="+", default=[0.1, 0.03, 0.01, 0.003, 0.001],
                        help="initialization scales")
    parser.add_argument("--width", type=int, default=10, help="width of every hidden layer")
    parser.add_argument("--n", type=int, default=40, help="data points of the default data set")
    parser.add_argument("--lr", type=float, default=0.1, help="GD step size")
    parser.add_argument("--max-iterations", type=int, default=150000,
                        help="skip (L, eps) whose predicted escape is later than this")
    from verify.checks.plateau import ESCAPE_TOLERANCE

    parser.add_argument("--ratio-tolerance", type=float, default=ESCAPE_TOLERANCE,
                        help="check: |observed/predicted - 1| at the smallest eps of each depth (verify's tolerance)")


def run_point(X, y, depth: int, epsilon: float, width: int, lr: float, seed: int) -> dict:
    """Predict and observe the escape of one network; returns a dict of the numbers."""
    from numerics import gaussian_init, predict_escape
    from numerics.plateau import train_until_escape

    weights = gaussian_init((X.shape[1],) + (width,) * (depth - 1), epsilon, seed=seed)
    prediction = predict_escape(X, y, weights, lr, activation="tanh")
    observed = train_until_escape(X, y, weights, lr, prediction.iteration, activation="tanh", max_factor=4.0)
    return {"depth": depth, "epsilon": epsilon, "predicted": prediction.iteration, "observed": observed,
            "t_star": prediction.t_star}


def make(out_dir: Path, *, quick: bool = False, seed: int = 0, **params) -> FigureResult:
    import numpy as np
    import matplotlib.pyplot as plt

    from condense.figures._base import apply_style, save_figure
    from numerics import gaussian_init, make_dataset, predict_escape
    from numerics.data import data_direction

    p = resolve_parameters(add_arguments, params, quick=QUICK if quick else None)
    _validate(p)
    apply_style()
    X, y = make_dataset("default", n=p["n"], seed=seed)
    depth2_slope = 1.0 / math.log1p(float(np.linalg.norm(data_direction(X, y)[0])) * p["lr"])
    results: dict[int, list[dict]] = {}
    skipped = []
    for depth in sorted(p["depths"]):
        results[depth] = []
        for eps in sorted(p["epsilons"], reverse=True):
            weights = gaussian_init((X.shape[1],) + (p["width"],) * (depth - 1), eps, seed=seed)
            prediction = predict_escape(X, y, weights, p["lr"])
            if math.isnan(prediction.iteration):  # e.g. L = 100: the blow-up solver cannot decide T*
                reason = prediction.details.get("reason") or (
                    prediction.blowup.diagnostics.get("reason", "") if prediction.blowup is not None else "")
                raise ValueError(
                    f"depths: no escape prediction for L = {depth} at ε = {eps:g}: the blow-up time of the "
                    f"effective model is not computable ({reason or 'not a number'}); use depths from 2 to about 10"
                )
            if prediction.iteration > p["max_iterations"]:
                skipped.append(f"L={depth}, ε={eps:g}")
                continue
            results[depth].append(run_point(X, y, depth, eps, p["width"], p["lr"], seed))

    fig, (ax, ax_ratio) = plt.subplots(1, 2, figsize=(13.0, 5.2), gridspec_kw={"width_ratios": [1.3, 1.0]})
    colors = {d: plt.cm.tab10(i) for i, d in enumerate(sorted(results))}
    rows, ok, verdict_text = [], True, []
    for depth, points in results.items():
        if not points:
            continue
        eps = np.array([q["epsilon"] for q in points])
        pred = np.array([q["predicted"] for q in points])
        obs = np.array([np.nan if q["observed"] is None else q["observed"] for q in points], dtype=float)
        c = colors[depth]
        law = r"$\log(1/\varepsilon)$" if depth == 2 else f"$\\varepsilon^{{-{depth - 2}}}$"
        ax.loglog(eps, pred, color=c, lw=1.5, label=f"L = {depth}: predicted ({law})")
        ax.loglog(eps, obs, "o", color=c, ms=6, mfc="none", mew=1.5, label=f"L = {depth}: observed (loss halved)")
        ax_ratio.semilogx(eps, obs / pred, "o-", color=c, label=f"L = {depth}")
        ratio = obs[-1] / pred[-1]
        verdicts = _verdicts(depth, eps, pred, obs, p["ratio_tolerance"], depth2_slope)
        passed = bool(verdicts) and all(r.passed for r in verdicts)
        ok &= passed
        verdict_text.append(f"L = {depth}: " + ", ".join(f"{_label(r)} {'PASS' if r.passed else 'FAIL'}" for r in verdicts))
        scaling = [r for r in verdicts if r.name.startswith("plateau_scaling")]
        slope = scaling[0].details["fitted_slope"] if scaling else math.nan
        expected = f"{depth2_slope:.2f}" if depth == 2 else f"{depth - 2}"
        rows.append(f"| {depth} | {', '.join(f'{e:g}' for e in eps)} | {', '.join(f'{k:.0f}' for k in pred)} | "
                    f"{', '.join('–' if not np.isfinite(k) else f'{k:.0f}' for k in obs)} | {ratio:.4f} | "
                    f"{slope:.3f} | {expected} | "
                    + "; ".join(f"{r.name} {'PASS' if r.passed else 'FAIL'} ({r.measured:.3g} vs {r.tolerance:g})"
                                for r in verdicts) + " |")
    ax.set(title="Escape iteration versus initialization scale", xlabel="initialization scale ε",
           ylabel=r"escape iteration $k_{\rm esc}$")
    ax.invert_xaxis()
    ax.legend(loc="upper left", ncol=1, fontsize=7)
    ax_ratio.axhline(1.0, color="black", ls="--", lw=1)
    ax_ratio.axhspan(1 - p["ratio_tolerance"], 1 + p["ratio_tolerance"], color="tab:green", alpha=0.12,
                     label=f"±{p['ratio_tolerance']:.0%}")
    ax_ratio.invert_xaxis()
    ax_ratio.set(title="observed / predicted → 1 as ε → 0", xlabel="initialization scale ε",
                 ylabel="observed / predicted escape")
    ax_ratio.legend(loc="lower right")
    fig.suptitle(f"Plateau escape of tanh networks (hidden width {p['width']}, η = {p['lr']:g}, n = {p['n']})\n"
                 f"verify's verdicts: {'; '.join(verdict_text)}")
    paths = save_figure(fig, out_dir, NAME)
    summary = (
        "| depth | ε | predicted k_esc | observed k_esc | ratio at smallest ε | fitted slope | "
        "expected slope | verify's verdicts (measured vs tolerance) |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n"
        + "\n".join(rows)
        + "\n\nFitted slope: of k_esc against log(1/ε) over all ε for depth 2, of log k_esc against log(1/ε) "
          "over the two smallest ε for depth ≥ 3."
        + (f"\n\nSkipped (predicted escape beyond {p['max_iterations']} iterations): {'; '.join(skipped)}."
           if skipped else "")
    )
    return FigureResult(NAME, TITLE, CLAIM, paths, passed=bool(ok), summary=summary, params=dict(p))



def _verdicts(depth: int, eps, predicted, observed, ratio_tolerance: float, depth2_slope: float) -> list:
    """verify's criteria for one depth (module docstring), as CheckResults."""
    from verify.checks.plateau import evaluate_plateau_escape, evaluate_plateau_scaling

    if depth == 2:
        return [evaluate_plateau_scaling(2, eps, observed, depth2_slope)] if len(eps) >= 2 else []
    out = [evaluate_plateau_escape(eps, predicted, observed, ratio_tolerance)]
    if len(eps) >= 2:
        out.append(evaluate_plateau_scaling(depth, eps[-2:], observed[-2:], float(depth - 2)))
    return out


def _label(result) -> str:
    return "escape" if result.name == "plateau_escape" else "scaling"


def _validate(p: dict) -> None:
    if not p["depths"] or any(not isinstance(d, int) or d < 2 for d in p["depths"]):
        raise ValueError(f"depths: need depths >= 2, got {p['depths']!r}")
    if len(p["epsilons"]) < 2 or any(not 0 < e < 1 for e in p["epsilons"]):
        raise ValueError(f"epsilons: need at least two scales in (0, 1), got {p['epsilons']!r}")
    for key in ("width", "n", "max_iterations"):
        require_int(p, key, 2)
    require_range(p, "lr", 0.0)
    require_range(p, "ratio_tolerance", 0.0, 1.0)
