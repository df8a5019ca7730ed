"""``condense phase-diagram``: the two-layer phase diagram in (gamma, gamma') (docs/mathematics.md#phase-diagram)."""

from __future__ import annotations

import argparse
import sys


def register(subparsers) -> None:
    from condense.figures import phase_diagram as figure

    parser = subparsers.add_parser(
        "phase-diagram",
        help="two-layer phase diagram: RD(θ_w) slopes over a (γ, γ') grid, resumable sweep",
        description=(
            "Train two-layer networks over a (γ, γ') grid and several widths (a resumable sweep: one "
            "result file per run in --store), fit the slope of log RD(θ_w*) against log m and classify "
            "linear / critical / condensed against the theory (Luo et al. 2021). Default grid: 7×7 with "
            "widths 250,500,1000,2000 (about a minute on 2 cores once compiled); --grid full: widths "
            "1000,2000,4000,8000 (minutes; tanh's slopes near the threshold there, see docs/phase-diagram.md); "
            "--quick: 3×3 (γ in 0.25,1,1.75; γ' in -0.5,0,0.25) with widths 50,100,200."
        ),
    )
    parser.add_argument("--quick", action="store_true", help="small grid and widths (seconds); same as --grid quick")
    parser.add_argument("--grid", choices=("quick", "default", "full"), default=None,
                        help="grid and widths: quick (3×3, widths 50-200), default (7×7, widths 250-2000), "
                        "full (7×7, widths 1000-8000); --gammas/--gamma-primes/--widths override its parts")
    parser.add_argument("--out", default="phase-diagram", help="output directory (default ./phase-diagram)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the initializations (default 0)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    parser.add_argument("--connect-timeout", type=float, default=10.0,
                        help="seconds to wait for the Dask scheduler to answer (default 10)")
    parser.add_argument("--worker-timeout", type=float, default=60.0,
                        help="seconds to wait for the first Dask worker to join the scheduler; "
                        "none by then: exit 2 (default 60)")
    figure.add_arguments(parser)
    parser.set_defaults(func=run)


def check_arguments(args: argparse.Namespace) -> str:
    """Refuse bad values before any work or folder creation; returns the grid name."""
    from condense.figures import phase_diagram as figure
    from numerics.phase_diagram import check_grid
    from theory.ground.checks import check_int, check_real, check_seed
    from theory.ground.io import check_output_dir

    grid = args.grid or ("quick" if args.quick else "default")
    if args.quick and args.grid not in (None, "quick"):
        raise ValueError(f"--grid: --quick is --grid quick, got also --grid {args.grid}")
    check_seed(args.seed, "--seed")
    check_int(args.workers, "--workers", 1)
    check_real(args.threshold, "--threshold", 0.0)
    check_real(args.connect_timeout, "--connect-timeout", 0.0, low_open=True)
    check_real(args.worker_timeout, "--worker-timeout", 0.0, low_open=True)
    spec = dict(figure.GRIDS[grid])
    for key, option in (("gammas", "--gammas"), ("gamma_primes", "--gamma-primes"), ("widths", "--widths")):
        value = getattr(args, key)
        if value is not None:
            if not value:
                raise ValueError(f"{option}: need at least one value")
            spec[key] = value
    check_grid(spec["gammas"], spec["gamma_primes"], spec["widths"])
    if args.scheduler is not None and not args.scheduler.strip():
        raise ValueError("--scheduler: expected an address such as tcp://127.0.0.1:8786")
    check_output_dir(args.out)
    if args.store is not None:
        check_output_dir(args.store, "--store")
    return grid


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from condense.figures import phase_diagram as figure
    from numerics.sweep import SweepError

    grid = check_arguments(args)
    try:
        result = figure.make(
            Path(args.out), quick=grid == "quick", seed=args.seed, activations=args.activations,
            gammas=args.gammas, gamma_primes=args.gamma_primes, widths=args.widths,
            threshold=args.threshold, scheduler=args.scheduler, workers=args.workers, store=args.store,
            grid=grid, progress=not args.no_progress, connect_timeout=args.connect_timeout,
            worker_timeout=args.worker_timeout,
        )
    except (SweepError, ImportError) as exc:
        print(f"condense: error: {exc}", file=sys.stderr)
        return 2
    print(result.summary)
    for path in result.paths:
        print(f"wrote {path}")
    return 0 if result.passed else 1
