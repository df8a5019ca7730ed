"""``condense report --out DIR [--quick] [--config FILE] [--seed N]``: the full report."""

from __future__ import annotations

import argparse
import shlex
import sys


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "report",
        help="write the full report (derivation, verification, figures) as Markdown and HTML",
        description="Write DIR/report.md and DIR/report.html (self-contained) with the symbolic "
        "derivation of the effective model, the verification table, and every figure (PNG and PDF "
        "in DIR/figures), each with the claim it illustrates and whether its check passed. "
        "Exit status: 0 when every part ran and every check passed, 1 otherwise.",
    )
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder (created if needed)")
    parser.add_argument("--quick", action="store_true", default=None,
                        help="small sizes: finishes in about a minute")
    parser.add_argument("--config", metavar="FILE", help="parameters as a TOML (.toml) or JSON file; "
                        "see docs/report.md")
    parser.add_argument("--seed", type=int, default=None, help="base seed of every figure (default: 0 "
                        "or the config file's)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from condense.figures import discover_figures
    from condense.report import Progress, build_report, load_config
    from theory.ground.checks import check_seed
    from theory.ground.io import check_output_dir

    # everything is checked before any work: the seed, the config file, the output folder
    if args.seed is not None:
        check_seed(args.seed, "--seed")
    figures, broken = discover_figures()
    config = load_config(args.config, figures)
    check_output_dir(args.out)
    if args.quick is not None:
        config.quick = args.quick
    if args.seed is not None:
        config.seed = args.seed
    progress = Progress()
    mode = "quick" if config.quick else "default"
    progress(f"condense report ({mode} mode) -> {args.out}")
    command = "condense " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if sys.argv[1:2] == ["report"] else None
    outcome = build_report(args.out, config, figures=figures, broken=broken, progress=progress, command=command)
    problems = []
    if outcome.errors:
        problems.append(f"{len(outcome.errors)} part(s) raised: {'; '.join(outcome.errors)}")
    if outcome.failed_checks:
        problems.append(f"{len(outcome.failed_checks)} check(s) failed: {'; '.join(outcome.failed_checks)}")
    status = "OK" if outcome.ok else "PROBLEMS: " + " | ".join(problems)
    print(f"report written to {outcome.report_html} and {outcome.report_md} in {outcome.seconds:.1f} s: {status}")
    return 0 if outcome.ok else 1
