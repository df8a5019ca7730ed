r"""Figure 5: length of the initial plateau against the initialization scale, depths 2, 3, 4.

For each depth :math:`L` and scale :math:`\varepsilon`, a tanh network with entries
:math:`\mathcal N(0, \varepsilon^2)` is trained by GD on the default data set; the observed escape
iteration (first iteration with the loss below half its initial value) is compared with the
prediction of :func:`numerics.predict_escape` (theory-notes §1, §4):

* :math:`L \ge 3`: :math:`k_{\rm esc} = T^*(\bar\theta_0)/(\varepsilon^{L-2}\|v'\|\eta)`, a power law
  :math:`\propto \varepsilon^{-(L-2)}` (the blow-up time of the effective model);
* :math:`L = 2`: the effective flow is linear, :math:`k_{\rm esc} \approx \log(1/\varepsilon)/\|v'\|\eta`.

Check: at the smallest :math:`\varepsilon` of every depth the ratio observed/predicted is within
``--ratio-tolerance`` of 1, and for :math:`L \ge 3` the log–log slope of the observed escape
iterations over the two smallest :math:`\varepsilon` is within 0.15 of :math:`-(L-2)`.
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
    "(linear effective flow), and the prediction becomes exact as ε → 0 (theory-notes §1, §4)."
)

SLOPE_TOLERANCE = 0.15


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
    parser.add_argument("--ratio-tolerance", type=float, default=0.1,
                        help="check: |observed/predicted - 1| at the smallest eps of each depth")


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
    from condense.figures._plotting import loglog_slope
    from numerics import gaussian_init, make_dataset, predict_escape

    p = resolve_parameters(add_arguments, params, quick=QUICK if quick else None)
    _validate(p)
    apply_style()
    X, y = make_dataset("default", n=p["n"], seed=seed)
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
    rows, ok = [], True
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
        ratio_ok = bool(np.isfinite(ratio) and abs(ratio - 1.0) <= p["ratio_tolerance"])
        slope = loglog_slope(eps[-2:], obs[-2:]) if len(eps) >= 2 and np.all(np.isfinite(obs[-2:])) else math.nan
        slope_ok = depth == 2 or (math.isfinite(slope) and abs(slope + (depth - 2)) <= SLOPE_TOLERANCE)
        ok &= ratio_ok and slope_ok
        expected = "–" if depth == 2 else f"{-(depth - 2)}"
        rows.append(f"| {depth} | {', '.join(f'{e:g}' for e in eps)} | {', '.join(f'{k:.0f}' for k in pred)} | "
                    f"{', '.join('–' if not np.isfinite(k) else f'{k:.0f}' for k in obs)} | {ratio:.4f} | "
                    f"{slope:.3f} | {expected} | {'yes' if ratio_ok and slope_ok else 'NO'} |")
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
    fig.suptitle(f"Plateau escape of tanh networks (hidden width {p['width']}, η = {p['lr']:g}, n = {p['n']})")
    paths = save_figure(fig, out_dir, NAME)
    summary = (
        "| depth | ε | predicted k_esc | observed k_esc | ratio at smallest ε | slope (two smallest ε) | "
        "expected slope | passed |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n" + "\n".join(rows)
        + (f"\n\nSkipped (predicted escape beyond {p['max_iterations']} iterations): {'; '.join(skipped)}."
           if skipped else "")
    )
    return FigureResult(NAME, TITLE, CLAIM, paths, passed=bool(ok), summary=summary, params=dict(p))



def _validate(p: dict) -> None:
    if not p["depths"] or any(not isinstance(d, int) or d < 2 for d in p["depths"]):
        raise ValueError(f"depths: need depths >= 2, got {p['depths']!r}")
    if len(p["epsilons"]) < 2 or any(not 0 < e < 1 for e in p["epsilons"]):
        raise ValueError(f"epsilons: need at least two scales in (0, 1), got {p['epsilons']!r}")
    for key in ("width", "n", "max_iterations"):
        require_int(p, key, 2)
    require_range(p, "lr", 0.0)
    require_range(p, "ratio_tolerance", 0.0, 1.0)
