"""Figure: multi-stage loss of a two-layer network from small initialization (docs/mathematics.md#stages)."""

from __future__ import annotations

import argparse
from pathlib import Path

from condense.figures._base import FigureResult, apply_style, save_figure

NAME = "stages"
TITLE = "Multi-stage loss: plateau, descent, secondary plateau; amplitudes and their W1 motion"
CLAIM = (
    "docs/mathematics.md#stages (and docs/mathematics.md#model for depth 2): from small initialization a two-layer network shows an initial "
    "plateau, an initial descent and a secondary plateau; the initial plateau lasts "
    "log(1/ε)/log(1 + η|σ'(0)|‖v'‖) + const iterations; the amplitude distribution |a_k|‖w_k‖ moves during "
    "descents (1-d Wasserstein distance between snapshots) and hardly on plateaus."
)

SETTINGS = {
    "quick": dict(steps=4000, epsilons=(1e-2, 1e-4, 1e-6), snapshots=40),
    "default": dict(steps=6000, epsilons=(1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-8), snapshots=80),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--epsilon", type=float, default=1e-3, help="initialization scale of the shown run (default 1e-3)")
    parser.add_argument("--width", type=int, default=50, help="number of neurons m (default 50)")
    parser.add_argument("--lr", type=float, default=0.2, help="GD step η (default 0.2; halved if the loss rises)")
    parser.add_argument("--steps", type=int, default=None, help="GD iterations (default 6000, quick 4000)")
    from condense.figures._params import activation_option

    parser.add_argument("--activation", type=activation_option, default="tanh",
                        help="activation: a name or an expression in z (default tanh)")
    parser.add_argument("--rho", type=float, default=0.1, help="descent threshold ρ of the stage criterion (default 0.1)")


def _validate(p: dict) -> None:
    """Ranges of the options (also run on config-file values before the report computes)."""
    from condense.figures._params import require_int, require_range

    require_range(p, "epsilon", 0.0, 1.0)
    require_int(p, "width", 1)
    require_range(p, "lr", 0.0)
    if p.get("steps") is not None:
        require_int(p, "steps", 100)
    require_range(p, "rho", 0.0, 1.0)


def compute(*, quick: bool, seed: int, epsilon: float, width: int, lr: float, steps: int | None,
            activation: str, rho: float) -> dict:
    """The shown run, its stages, amplitudes, W1 series, and the plateau-length scaling."""
    import numpy as np

    from numerics.stages import (
        amplitude_distributions,
        detect_stages,
        plateau_length_law,
        small_init_run,
        wasserstein_series,
    )

    from numerics.stages import predicted_plateau_slope
    from numerics.two_layer import phase_dataset

    predicted_plateau_slope(*phase_dataset("staircase"), lr, activation)  # refuses ReLU etc. before training
    setting = SETTINGS["quick" if quick else "default"]
    steps = setting["steps"] if steps is None else steps
    if not isinstance(steps, int) or steps < 100:
        raise ValueError(f"steps: must be an integer >= 100, got {steps!r}")
    record = np.unique(np.geomspace(1, steps, setting["snapshots"]).astype(int))
    run = small_init_run(epsilon, m=width, lr=lr, steps=steps, record_every=0, activation=activation, seed=seed,
                         record_steps=record)
    stages = detect_stages(run.losses, rho=rho)
    snap_steps, amplitudes = amplitude_distributions(run)
    w1 = wasserstein_series(amplitudes)
    scaling = plateau_length_law(setting["epsilons"], lr=lr, m=width, steps=steps, activation=activation, seed=seed)
    return dict(run=run, stages=stages, snap_steps=snap_steps, amplitudes=amplitudes, w1=w1, scaling=scaling,
                epsilon=epsilon, lr=lr, width=width, steps=steps, activation=activation, rho=rho)


def draw(data: dict, out_dir: Path, stem: str = "stages") -> list[Path]:
    import matplotlib.pyplot as plt
    import numpy as np

    apply_style()
    run, stages = data["run"], data["stages"]
    fig, axes = plt.subplots(2, 2, figsize=(11, 8))
    ax = axes[0, 0]
    k = np.arange(run.losses.size) + 1
    ax.loglog(k, run.losses, "k-", lw=1.5)
    shade = {"initial plateau": (stages.initial_plateau, "tab:gray"), "initial descent": (stages.initial_descent, "tab:red"),
             "secondary plateau": (stages.secondary_plateau, "tab:blue")}
    for label, (span, color) in shade.items():
        if span is not None:
            ax.axvspan(span[0] + 1, span[1] + 1, color=color, alpha=0.2, label=f"{label} [{span[0]}, {span[1]})")
    ax.set_xlabel("iteration k + 1")
    ax.set_ylabel("loss")
    ax.set_title(f"{data['activation']}, m = {data['width']}, ε = {data['epsilon']:g}, η = {data['lr']:g}")
    ax_rate = ax.twinx()
    ax_rate.semilogx(k, stages.rate, color="tab:orange", lw=0.8, alpha=0.7)
    ax_rate.axhline(stages.threshold, color="tab:orange", ls=":", lw=1)
    # the legend goes on the rate axes (drawn last, so nothing is drawn over it), mid-height on
    # the left: the loss plateau is at the top, the rate and its threshold near the bottom
    handles, labels = ax.get_legend_handles_labels()
    handles.append(plt.Line2D([], [], color="tab:orange", ls=":", lw=1))
    labels.append(f"descent threshold r = {stages.threshold:.3g}")
    ax_rate.legend(handles, labels, fontsize=7, loc="center left", framealpha=0.95)
    ax_rate.set_ylabel("r = −d log L / d log k (orange)")
    ax_rate.grid(False)

    ax = axes[0, 1]
    mids = np.sqrt((data["snap_steps"][:-1] + 1) * (data["snap_steps"][1:] + 1))
    ax.loglog(mids, np.maximum(data["w1"], 1e-300), "o-", ms=3)
    for label, (span, color) in shade.items():
        if span is not None:
            ax.axvspan(span[0] + 1, span[1] + 1, color=color, alpha=0.2)
    ax.set_xlabel("iteration (geometric mid-point of consecutive snapshots)")
    ax.set_ylabel("W1(amplitudes at consecutive snapshots)")
    ax.set_title(r"Wasserstein-1 motion of $|a_k|\,\|w_k\|$ (log-spaced snapshots)")

    ax = axes[1, 0]
    picks = {}
    for label, (span, _) in shade.items():
        if span is not None:
            target = span[1] - 1 if label != "initial descent" else (span[0] + span[1]) // 2
            picks[label] = int(np.argmin(np.abs(data["snap_steps"] - target)))
    picks["end"] = len(data["amplitudes"]) - 1
    for label, index in picks.items():
        amp = data["amplitudes"][index]
        positive = amp[amp > 0]
        bins = np.geomspace(positive.min(), positive.max() * 1.001, 25) if positive.size and positive.max() > positive.min() else 10
        ax.hist(positive, bins=bins, histtype="step", lw=1.5, label=f"{label} (k = {data['snap_steps'][index]})")
    ax.set_xscale("log")
    ax.set_xlabel(r"amplitude $|a_k|\,\|w_k\|$")
    ax.set_ylabel("neurons")
    ax.set_title("amplitude distributions")
    ax.legend(fontsize=7)

    ax = axes[1, 1]
    sc = data["scaling"]
    x = np.log(1.0 / sc.epsilons)
    ax.plot(x, sc.plateau_lengths, "o", label="detected initial plateau length")
    intercept = np.mean(sc.plateau_lengths - sc.predicted_slope * x)
    ax.plot(x, sc.predicted_slope * x + intercept, "k--",
            label=f"prediction slope 1/log(1+η|σ'(0)|‖v'‖) = {sc.predicted_slope:.2f}")
    ax.set_xlabel("log(1/ε)")
    ax.set_ylabel("iterations")
    ax.set_title(f"plateau length vs ε: fitted slope / predicted = {sc.ratio:.3f}")
    ax.legend(fontsize=8)
    return save_figure(fig, out_dir, stem)


def summary_dict(data: dict) -> dict:
    sc = data["scaling"]
    return {
        "epsilon": data["epsilon"], "lr": data["lr"], "width": data["width"], "steps": data["steps"],
        "activation": data["activation"], "rho": data["rho"], "stages": data["stages"].as_dict(),
        "snapshot_steps": data["snap_steps"].tolist(), "w1": data["w1"].tolist(),
        "plateau_length_law": {"epsilons": sc.epsilons.tolist(), "plateau_lengths": sc.plateau_lengths.tolist(),
                            "fitted_slope": sc.fitted_slope, "predicted_slope": sc.predicted_slope, "ratio": sc.ratio},
    }


def make(out_dir: Path, *, quick: bool = False, seed: int = 0, epsilon: float = 1e-3, width: int = 50,
         lr: float = 0.2, steps: int | None = None, activation: str = "tanh", rho: float = 0.1, **_ignored) -> FigureResult:
    from condense.figures.phase_diagram import write_json_atomic

    out_dir = Path(out_dir)
    data = compute(quick=quick, seed=seed, epsilon=epsilon, width=width, lr=lr, steps=steps,
                   activation=activation, rho=rho)
    paths = draw(data, out_dir)
    info = summary_dict(data)
    paths.append(write_json_atomic(out_dir / "stages.json", info))
    st = data["stages"]
    ratio = data["scaling"].ratio
    passed = st.initial_descent is not None and st.secondary_plateau is not None and abs(ratio - 1) < 0.1
    def span(s) -> str:  # half-open ranges of iterations, as in the figure's legend
        return "not found" if s is None else f"[{s[0]}, {s[1]})"

    summary = (
        f"Stages found (iterations): initial plateau {span(st.initial_plateau)}, initial descent "
        f"{span(st.initial_descent)}, secondary plateau {span(st.secondary_plateau)} (criterion: "
        f"r = −d log L/d log k ≥ {data['rho']:g}·max r is descent). Initial-plateau length against log(1/ε) "
        f"over ε = {', '.join(f'{e:g}' for e in data['scaling'].epsilons)}: fitted slope {data['scaling'].fitted_slope:.2f}, predicted "
        f"1/log(1+η|σ'(0)|‖v'‖) = {data['scaling'].predicted_slope:.2f} (ratio {ratio:.3f}; pass if within 10%)."
    )
    return FigureResult(name=NAME, title=TITLE, claim=CLAIM, paths=paths, passed=passed, summary=summary,
                        params={"seed": seed, "epsilon": epsilon, "width": width, "lr": lr, "steps": data["steps"],
                                "activation": activation, "rho": rho, "quick": quick})
