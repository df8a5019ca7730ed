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
            "widths 1000,2000,4000,8000; --quick: 3×3 (γ in 0.25,1,1.75; γ' in -0.5,0,0.25) with widths 50,100,200."
        ),
    )
    parser.add_argument("--quick", action="store_true", help="small grid and widths (seconds)")
    parser.add_argument("--out", default="phase-diagram", help="output directory (default ./phase-diagram)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the initializations (default 0)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    parser.add_argument("--connect-timeout", type=float, default=10.0,
                        help="seconds to wait for the Dask scheduler (default 10)")
    figure.add_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from condense.figures import phase_diagram as figure
    from numerics.sweep import SweepError

    if args.workers < 1:
        raise ValueError(f"--workers: must be >= 1, got {args.workers}")
    try:
        result = figure.make(
            Path(args.out), quick=args.quick, seed=args.seed, activations=args.activations,
            gammas=args.gammas, gamma_primes=args.gamma_primes, widths=args.widths,
            threshold=args.threshold, scheduler=args.scheduler, workers=args.workers, store=args.store,
            grid="quick" if args.quick else "full", progress=not args.no_progress,
            connect_timeout=args.connect_timeout,
        )
    except (SweepError, ImportError) as exc:
        print(f"condense: error: {exc}", file=sys.stderr)
        return 2
    print(result.summary)
    for path in result.paths:
        print(f"wrote {path}")
    return 0 if result.passed else 1
