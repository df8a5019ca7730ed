r"""Figure 4: blow-up of the effective model (docs/mathematics.md#reduced-variables–#blow-up).

For random initial states :math:`y_0 = (a, W, u)` of the depth-3 effective flow
:math:`a' = Wu,\ W' = au^\top,\ u' = W^\top a`:

* (a) :math:`\|y(\tau)\|` against :math:`\tau`, with the blow-up time :math:`T^*` of
  :func:`numerics.blowup_time` and its bounds :math:`\sqrt3/\|y_0\| \le T^* \le E_0^{-1/3}`;
* (b) :math:`\|y(\tau)\|\,(T^* - \tau) \to \sqrt3` as :math:`\tau \to T^*`;
* (c) the projected flow :math:`\theta = y/\|y\|` converging to a fixed point of
  :math:`\theta \mapsto F(\theta) - 3E(\theta)\theta`: the residual
  :math:`\|F(\theta) - 3E(\theta)\theta\|` and :math:`|3E(\theta) - 1/\sqrt3|` against
  :math:`T^* - \tau`;
* (d) the drift of the conservation laws :math:`aa^\top - WW^\top` and :math:`W^\top W - uu^\top`
  relative to :math:`\|y\|^2` (:func:`verify.measures.conservation_drift`).

The trajectories come from :func:`numerics.integrate_effective` (DOP853), :math:`T^*` from the
rescaled projected flow: two independent computations.  Check: at the last sample
(:math:`T^* - \tau = ` ``--closest`` :math:`\cdot T^*`) every instance has
:math:`|\|y\|(T^*-\tau)/\sqrt3 - 1| < 10^{-3}`, projected residual :math:`< 10^{-3}`, relative
conservation drift :math:`< 10^{-9}`, and :math:`T^*` within its bounds.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path


from condense.figures._base import FigureResult
from condense.figures._params import require_int, require_range, resolve_parameters

NAME = "effective_model"
TITLE = "Finite-time blow-up of the effective model"
CLAIM = (
    "The effective flow a' = Wu, W' = auᵀ, u' = Wᵀa blows up at a finite T* with ‖y(τ)‖(T* − τ) → √3, "
    "its projection on the sphere converges to a rank-one fixed point with 3E = 1/√3, "
    "√3/‖y₀‖ ≤ T* ≤ E₀^(−1/3), and the conservation laws hold to round-off (docs/mathematics.md#reduced-variables–#blow-up)."
)

SQRT3 = math.sqrt(3.0)


#: Defaults of ``--quick`` (options given explicitly are kept).
QUICK = {"instances": 3, "samples": 80}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--widths", type=int, nargs=2, default=[10, 10], metavar=("M1", "M2"),
                        help="hidden widths: u has M1 entries, W is M2 x M1, a has M2")
    parser.add_argument("--instances", type=int, default=6, help="random initial states (entries N(0,1))")
    parser.add_argument("--closest", type=float, default=1e-7, help="smallest (T* - tau)/T* sampled")
    parser.add_argument("--samples", type=int, default=200, help="sample times per trajectory")
    parser.add_argument("--rtol", type=float, default=1e-11, help="relative tolerance of the integrator")


def _energy_and_field(a, W, u):
    import numpy as np
    E = float(a @ W @ u)
    field = np.concatenate([W @ u, np.outer(a, u).ravel(), W.T @ a])
    return E, field


def make(out_dir: Path, *, quick: bool = False, seed: int = 0, **params) -> FigureResult:
    import numpy as np
    import matplotlib.pyplot as plt

    from condense.figures._base import apply_style, save_figure
    from numerics import blowup_time, integrate_effective
    from verify.measures import conservation_drift

    p = resolve_parameters(add_arguments, params, quick=QUICK if quick else None)
    _validate(p)
    apply_style()
    m1, m2 = p["widths"]
    rng = np.random.default_rng(seed)
    fig, axes = plt.subplots(2, 2, figsize=(12.0, 8.5))
    (ax_norm, ax_rate), (ax_proj, ax_drift) = axes
    rows, ok = [], True
    colors = plt.cm.viridis(np.linspace(0.0, 0.85, p["instances"]))
    for k in range(p["instances"]):
        a0, W0, u0 = rng.standard_normal(m2), rng.standard_normal((m2, m1)), rng.standard_normal(m1)
        result = blowup_time(a0, W0, u0)
        if not result.blew_up or not math.isfinite(result.t_star):
            raise RuntimeError(f"instance {k}: no blow-up ({result.diagnostics.get('reason')})")
        t_star = result.t_star
        remaining = t_star * np.geomspace(1.0, p["closest"], p["samples"])[1:]  # T* - tau
        tau = t_star - remaining
        trajectory = integrate_effective(a0, W0, u0, float(tau[-1]), t_eval=tau, rtol=p["rtol"], atol=1e-12)
        if trajectory.status < 0 or len(trajectory.t) != len(tau):
            raise RuntimeError(f"instance {k}: integration stopped early: {trajectory.message}")
        norm = trajectory.norm
        rate = norm * remaining
        residual, energy_gap = np.empty(len(tau)), np.empty(len(tau))
        for j, (a, W, u) in enumerate(zip(trajectory.a, trajectory.W, trajectory.u)):
            r = norm[j]
            E, field = _energy_and_field(a / r, W / r, u / r)
            theta = np.concatenate([a, W.ravel(), u]) / r
            residual[j] = np.linalg.norm(field - 3.0 * E * theta)
            energy_gap[j] = abs(3.0 * E - 1.0 / SQRT3)
        drift = conservation_drift([[u, W, a] for a, W, u in zip(trajectory.a, trajectory.W, trajectory.u)])
        upper = result.upper if result.upper is not None else math.inf
        in_bounds = result.lower <= t_star * (1 + 1e-12) and t_star <= upper * (1 + 1e-12)
        rate_err = abs(rate[-1] / SQRT3 - 1.0)
        passed = rate_err < 1e-3 and residual[-1] < 1e-3 and drift["relative_drift"] < 1e-9 and in_bounds
        ok &= passed
        rows.append(
            f"| {k} | {t_star:.10g} | {result.lower:.4g} | {'–' if result.upper is None else f'{result.upper:.4g}'} | "
            f"{rate[-1]:.8f} | {rate_err:.1e} | {residual[-1]:.1e} | {drift['relative_drift']:.1e} | "
            f"{'yes' if passed else 'NO'} |"
        )
        c = colors[k]
        norm0 = math.sqrt(a0 @ a0 + np.sum(W0**2) + u0 @ u0)
        ax_norm.semilogy(np.concatenate([[0.0], tau]), np.concatenate([[norm0], norm]), color=c)
        ax_norm.axvline(t_star, color=c, ls=":", lw=1)
        on_axis = ax_norm.get_xaxis_transform()  # x in data, y in axes units: the bounds sit on the
        ax_norm.plot([result.lower], [0.03], marker=">", color=c, ms=6, transform=on_axis, clip_on=False)
        if result.upper is not None:  # bottom edge, below the curves
            ax_norm.plot([result.upper], [0.03], marker="<", color=c, ms=6, transform=on_axis, clip_on=False)
        ax_rate.semilogx(remaining, rate, color=c, label=f"instance {k}: T* = {t_star:.4g}")
        ax_proj.loglog(remaining, residual, color=c)
        ax_proj.loglog(remaining, energy_gap, color=c, ls="--")
        per_time = np.asarray(drift["per_time"], dtype=float)
        # an exact zero (no rounding yet) has no logarithm: leave it out rather than plunge to the axis
        ax_drift.loglog(remaining, np.where(per_time > 0, per_time, np.nan), color=c)
    ax_norm.set(title="(a) ‖y(τ)‖ blows up at T* (dotted); bounds ▷ √3/‖y₀‖, ◁ E₀^(−1/3)",
                xlabel="rescaled time τ", ylabel="‖y(τ)‖")
    ax_rate.axhline(SQRT3, color="black", ls="--", lw=1, label="√3")
    ax_rate.invert_xaxis()
    ax_rate.set(title="(b) ‖y(τ)‖·(T* − τ) → √3", xlabel="T* − τ (decreasing →)", ylabel="‖y(τ)‖ (T* − τ)")
    ax_rate.legend(loc="upper right", fontsize=7)
    ax_proj.invert_xaxis()
    ax_proj.plot([], [], color="black", label="‖F(θ) − 3E(θ)θ‖")
    ax_proj.plot([], [], color="black", ls="--", label="|3E(θ) − 1/√3|")
    ax_proj.legend(loc="lower left")
    ax_proj.set(title="(c) projected flow θ = y/‖y‖ converges to a fixed point", xlabel="T* − τ (decreasing →)",
                ylabel="residual")
    ax_drift.invert_xaxis()
    ax_drift.set_ylim(1e-18, 1e-8)
    ax_drift.set(title="(d) conservation-law drift relative to ‖y‖²", xlabel="T* − τ (decreasing →)",
                 ylabel=r"$\max_k \|C_k(\tau) - C_k(0)\|_F \,/\, \|y(\tau)\|^2$")
    fig.suptitle(f"Effective model of depth 3 (m1 = {m1}, m2 = {m2}), {p['instances']} random initial states")
    paths = save_figure(fig, out_dir, NAME)
    summary = (
        f"Values at the last sample, T* − τ = {p['closest']:g}·T* (check per instance: |ratio/√3 − 1| < 1e-3, "
        "projected residual < 1e-3, drift < 1e-9, lower ≤ T* ≤ upper):\n\n"
        "| instance | T* | lower √3/‖y₀‖ | upper E₀^(−1/3) | ‖y‖(T*−τ) | rel. error vs √3 | projected residual "
        "| max drift | passed |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n" + "\n".join(rows)
    )
    return FigureResult(NAME, TITLE, CLAIM, paths, passed=bool(ok), summary=summary, params=dict(p))



def _validate(p: dict) -> None:
    if len(p["widths"]) != 2 or min(p["widths"]) < 1:
        raise ValueError(f"widths: need two widths >= 1, got {p['widths']!r}")
    require_int(p, "instances", 1)
    require_int(p, "samples", 3)
    require_range(p, "closest", 0.0, 0.1)
    require_range(p, "rtol", 1e-14, 1e-6, closed_high=True)
