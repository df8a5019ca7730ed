"""``condense verify``: run the theorem checks of :mod:`verify` and print a table."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "verify",
        help="check the theorems (conservation, blow-up, final stage, plateau escape, effective vs direct)",
        description="Run every theorem check of the verify package and print a table "
        "(check, measured, tolerance, pass/fail). Exit code 1 when any check fails.",
    )
    parser.add_argument("--quick", action="store_true", help="smaller instances (under a minute on 2 cores)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON on stdout")
    parser.add_argument("--seed", type=int, default=0, help="seed of every random draw (default 0)")
    parser.add_argument("--only", action="append", metavar="CHECK", help="run only this check (repeatable)")
    parser.add_argument("--no-progress", action="store_true", help="no progress lines on stderr")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json

    from verify.runner import format_table, run_all

    if args.seed < 0:
        raise ValueError(f"--seed: must be an int >= 0, got {args.seed}")
    results = run_all(quick=args.quick, seed=args.seed, progress=not args.no_progress, only=args.only)
    if args.json:
        payload = {"quick": bool(args.quick), "seed": args.seed, "passed": all(r.passed for r in results),
                   "results": [r.to_dict() for r in results]}
        print(json.dumps(payload, indent=2, allow_nan=False))
    else:
        print(format_table(results))
    return 0 if all(r.passed for r in results) else 1
