"""Figure: the two-layer phase diagram in (gamma, gamma') with the theoretical boundary (docs/mathematics.md#phase-diagram)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from condense.figures._base import FigureResult, apply_style, save_figure

NAME = "phase_diagram"
TITLE = "Phase diagram of two-layer networks: linear, critical and condensed regimes"
CLAIM = (
    "Luo et al. 2021 (docs/mathematics.md#phase-diagram): RD(θ_w) → 0 as m → ∞ when γ < 1 or γ' > γ − 1 (linear), "
    "RD → ∞ when γ > 1 and γ' < γ − 1 (condensed); the boundary is γ = 1 (γ' ≤ 0), γ = 1 + γ' (γ' ≥ 0). "
    "Numerically: sign of the slope of log RD(θ_w*) against log m."
)

#: Grids: quick (report --quick, a few seconds), default (the report and `condense phase-diagram`:
#: both activations agree with the theory at every point off the boundary), full (`--grid full`,
#: wider networks, minutes; tanh's slope approaches the threshold there: docs/phase-diagram.md;
#: widths measured by benchmarks/bench_phase_diagram.py).
GRIDS = {
    "quick": dict(gammas=(0.25, 1.0, 1.75), gamma_primes=(-0.5, 0.0, 0.25), widths=(50, 100, 200)),
    "default": dict(
        gammas=(0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75),
        gamma_primes=(-0.75, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75),
        widths=(250, 500, 1000, 2000),
    ),
    "full": dict(
        gammas=(0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75),
        gamma_primes=(-0.75, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75),
        widths=(1000, 2000, 4000, 8000),
    ),
}


def _floats(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from None


def _ints(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from condense.figures._params import activations_option

    parser.add_argument("--activations", type=activations_option, default="relu,tanh",
                        help="comma-separated activations: names or expressions in z (default relu,tanh)")
    def grid_default(key: str) -> str:
        return (f"(default {','.join(f'{v:g}' for v in GRIDS['default'][key])}; "
                f"--quick {','.join(f'{v:g}' for v in GRIDS['quick'][key])})")

    parser.add_argument("--gammas", type=_floats, default=None, help=f"comma-separated γ values {grid_default('gammas')}")
    parser.add_argument("--gamma-primes", type=_floats, default=None,
                        help=f"comma-separated γ' values {grid_default('gamma_primes')}")
    parser.add_argument("--widths", type=_ints, default=None,
                        help=f"comma-separated even widths m, ≥ 2 distinct {grid_default('widths')}")
    parser.add_argument("--threshold", type=float, default=0.1, help="|slope| ≤ threshold is 'critical' (default 0.1)")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS", help="Dask scheduler address (default: local processes)")
    parser.add_argument("--workers", type=int, default=2, help="local worker processes (default 2)")
    parser.add_argument("--store", default=None, help="sweep result directory (default OUT/sweeps/phase_diagram)")


def _validate(p: dict) -> None:
    """Ranges of the options (also run on config-file values before the report computes)."""
    from numerics.phase_diagram import check_grid

    spec = dict(GRIDS["default"])
    spec.update({k: p[k] for k in ("gammas", "gamma_primes", "widths") if p.get(k) is not None})
    check_grid(spec["gammas"], spec["gamma_primes"], spec["widths"])
    if not p["threshold"] >= 0:
        raise ValueError(f"threshold: must be >= 0, got {p['threshold']!r}")
    if p["workers"] < 1:
        raise ValueError(f"workers: must be >= 1, got {p['workers']!r}")


def write_json_atomic(path: Path, data) -> Path:
    """Write ``data`` as JSON to ``path`` atomically (never a partial file)."""
    from theory.ground.io import write_text_atomic

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, json.dumps(data, indent=1))
    return path


def compute(
    out_dir: Path,
    *,
    grid: str = "default",
    seed: int = 0,
    activations=("relu", "tanh"),
    gammas=None,
    gamma_primes=None,
    widths=None,
    threshold: float = 0.1,
    scheduler: str | None = None,
    workers: int = 2,
    store: str | Path | None = None,
    progress: bool = True,
    connect_timeout: float = 10.0,
    worker_timeout: float = 60.0,
):
    """Run the sweeps (one per activation); return ``{activation: PhaseDiagram}``.

    Everything is checked before the first sweep starts or a folder is created: the grid, and
    each activation (parsed and compiled, :func:`numerics.activations.compile_activation`)."""
    from numerics.activations import compile_activation
    from numerics.phase_diagram import check_grid, phase_diagram

    if grid not in GRIDS:
        raise ValueError(f"grid: must be one of {sorted(GRIDS)}, got {grid!r}")
    if isinstance(activations, str):
        from condense.figures._params import split_activations

        activations = tuple(split_activations(activations))
    spec = dict(GRIDS[grid])
    for name, value in (("gammas", gammas), ("gamma_primes", gamma_primes), ("widths", widths)):
        if value is not None:
            spec[name] = tuple(value)
    if not activations:
        raise ValueError("activations: need at least one activation")
    for act in activations:
        compile_activation(act)
    check_grid(spec["gammas"], spec["gamma_primes"], spec["widths"])
    store = Path(store) if store is not None else Path(out_dir) / "sweeps" / "phase_diagram"
    return {
        act: phase_diagram(
            spec["gammas"], spec["gamma_primes"], spec["widths"], seeds=(seed,), activation=act,
            store=store, scheduler=scheduler, workers=workers, progress=progress, threshold=threshold,
            connect_timeout=connect_timeout, worker_timeout=worker_timeout,
        )
        for act in activations
    }


def draw(diagrams: dict, out_dir: Path, stem: str = "phase_diagram") -> list[Path]:
    """Slope maps with classifications, boundary and classic points; log RD vs log m for a few points."""
    import matplotlib.pyplot as plt
    import numpy as np

    from numerics.phase_diagram import CLASSIC_POINTS, boundary_gamma

    apply_style()
    n = len(diagrams)
    fig, axes = plt.subplots(2, n, figsize=(5.2 * n, 10.5), squeeze=False)
    markers = {"linear": ("o", "tab:blue"), "critical": ("s", "0.35"), "condensed": ("^", "tab:red"),
               "unresolved": ("D", "tab:purple")}
    for col, (act, pd) in enumerate(diagrams.items()):
        ax = axes[0, col]
        g, gp = pd.gammas, pd.gamma_primes
        limit = max(0.5, float(np.nanmax(np.abs(pd.slope))))
        if g.size > 1 and gp.size > 1:
            mesh = ax.pcolormesh(gp, g, pd.slope, shading="nearest", cmap="RdBu_r", vmin=-limit, vmax=limit, alpha=0.85)
            fig.colorbar(mesh, ax=ax, label=r"slope of $\log \mathrm{RD}(\theta_w^*)$ vs $\log m$")
        for label, (marker, color) in markers.items():
            ii, jj = np.nonzero(pd.label == label)
            if label == "unresolved" and ii.size == 0:
                continue
            ax.scatter(gp[jj], g[ii], marker=marker, facecolor="white", edgecolor=color, s=55, lw=1.6,
                       label=f"numeric: {label}", zorder=3)
        wrong = np.nonzero(pd.label != pd.theory)
        ax.scatter(gp[wrong[1]], g[wrong[0]], marker="x", color="k", s=40, zorder=4, label="≠ theory")
        line_gp = np.linspace(min(gp.min(), -0.1) - 0.1, max(gp.max(), 0.1) + 0.1, 200)
        ax.plot(line_gp, boundary_gamma(line_gp), "k-", lw=2, label="theory: γ = max(1, 1+γ')")
        for name, (cg, cgp) in CLASSIC_POINTS.items():
            ax.plot(cgp, cg, marker="*", color="gold", markeredgecolor="k", ms=13, zorder=5)
            offset = (6, -12) if name == "Xavier" else (6, 4)
            ax.annotate(name, (cgp, cg), textcoords="offset points", xytext=offset, fontsize=8)
        agree, total = pd.agreement()
        ax.set_title(f"{act}, widths {list(pd.widths)}\nagrees with theory off the boundary: {agree}/{total}")
        ax.set_xlabel("γ'")
        ax.set_ylabel("γ")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, fontsize=7)
        ax2 = axes[1, col]
        widths = np.array(pd.widths, dtype=float)
        for i in range(g.size):
            for j in range(gp.size):
                if gp[j] != gp[np.argmin(np.abs(gp))]:
                    continue  # the γ' ≈ 0 column: linear, critical and condensed along γ
                rd = np.exp(np.log(pd.rd_w[i, j]).mean(axis=-1))
                color = markers[pd.theory[i, j]][1]
                ax2.loglog(widths, rd, marker=markers[pd.label[i, j]][0], color=color,
                           label=f"γ={g[i]:g}, γ'={gp[j]:g}: slope {pd.slope[i, j]:+.2f}")
        ax2.set_xticks(widths)
        ax2.set_xticklabels([f"{int(w)}" for w in widths])
        ax2.xaxis.set_minor_formatter(plt.NullFormatter())
        ax2.set_xlabel("width m")
        ax2.set_ylabel(r"$\mathrm{RD}(\theta_w^*) = \|\theta_w^* - \theta_w(0)\| / \|\theta_w(0)\|$")
        ax2.set_title(f"{act}: RD against width (colour: theory's regime)")
        ax2.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)  # below: never over the data
    return save_figure(fig, out_dir, stem)


def make(
    out_dir: Path,
    *,
    quick: bool = False,
    seed: int = 0,
    activations: str = "relu,tanh",
    gammas=None,
    gamma_primes=None,
    widths=None,
    threshold: float = 0.1,
    scheduler: str | None = None,
    workers: int = 2,
    store: str | None = None,
    grid: str | None = None,
    progress: bool = True,
    connect_timeout: float = 10.0,
    worker_timeout: float = 60.0,
    **_ignored,
) -> FigureResult:
    out_dir = Path(out_dir)
    grid = grid or ("quick" if quick else "default")
    diagrams = compute(
        out_dir, grid=grid, seed=seed, activations=activations, gammas=gammas, gamma_primes=gamma_primes,
        widths=widths, threshold=threshold, scheduler=scheduler, workers=workers, store=store, progress=progress,
        connect_timeout=connect_timeout, worker_timeout=worker_timeout,
    )
    paths = draw(diagrams, out_dir)
    data = {act: pd.to_json() for act, pd in diagrams.items()}
    paths.append(write_json_atomic(out_dir / "phase_diagram.json", data))
    import numpy as np

    lines = []
    passed = True
    for act, pd in diagrams.items():
        agree, total = pd.agreement()
        passed = passed and agree == total
        lines.append(
            f"{act}: {agree}/{total} grid points at distance ≥ 0.2 from the boundary classified as the theory says "
            f"(threshold |slope| ≤ {pd.threshold:g} = critical; widths {list(pd.widths)}; "
            f"{100 * pd.converged_fraction:.0f}% of runs reached the loss tolerance; slopes fitted over the runs that converged or stalled; "
            f"{int(np.sum(pd.label == 'unresolved'))} points unresolved)."
        )
    return FigureResult(
        name=NAME,
        title=TITLE,
        claim=CLAIM,
        paths=paths,
        passed=passed,
        summary=" ".join(lines),
        params={"grid": grid, "seed": seed, "activations": list(diagrams), "widths": list(next(iter(diagrams.values())).widths),
                "threshold": threshold},
    )
