"""``condense stages``: multi-stage loss of a two-layer network from small initialization (docs/mathematics.md#stages)."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    from condense.figures import stages as figure

    parser = subparsers.add_parser(
        "stages",
        help="multi-stage loss: detect plateaus/descents, plateau length vs ε, amplitude W1 distances",
        description=(
            "Train a two-layer network from small initialization, detect the initial plateau, initial "
            "descent and secondary plateau of its loss, compare the initial-plateau length over several ε "
            "with log(1/ε)/log(1+η‖v'‖), and track the amplitudes |a_k|·‖w_k‖ (W1 distance between "
            "snapshots). Writes stages.json and stages.png/.pdf to --out."
        ),
    )
    parser.add_argument("--quick", action="store_true", help="shorter runs, fewer ε")
    parser.add_argument("--out", default="stages", help="output directory (default ./stages)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the initialization (default 0)")
    figure.add_arguments(parser)
    parser.set_defaults(func=run)


def check_arguments(args: argparse.Namespace) -> None:
    """Refuse bad values before any training (``ValueError`` naming the option and its range)."""
    from theory.ground.checks import check_int, check_real, check_seed
    from theory.ground.io import check_output_dir

    check_seed(args.seed, "--seed")
    check_real(args.epsilon, "--epsilon", 0.0, 1.0, low_open=True, high_open=True)
    check_int(args.width, "--width", 1)
    check_real(args.lr, "--lr", 0.0, low_open=True)
    if args.steps is not None:
        check_int(args.steps, "--steps", 100)
    check_real(args.rho, "--rho", 0.0, 1.0, low_open=True, high_open=True)
    check_output_dir(args.out)


def run(args: argparse.Namespace) -> int:
    import sys
    from pathlib import Path

    from condense.figures import stages as figure

    check_arguments(args)
    print("condense stages: training ...", file=sys.stderr, flush=True)
    result = figure.make(
        Path(args.out), quick=args.quick, seed=args.seed, epsilon=args.epsilon, width=args.width, lr=args.lr,
        steps=args.steps, activation=args.activation, rho=args.rho,
    )
    print(result.summary)
    for path in result.paths:
        print(f"wrote {path}")
    return 0 if result.passed else 1
