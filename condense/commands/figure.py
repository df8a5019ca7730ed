"""``condense figure NAME --out DIR [options]``: one figure of the report, with its own parameters."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers) -> None:
    from condense.figures import discover_figures

    figures, broken = discover_figures()
    parser = subparsers.add_parser(
        "figure",
        help="draw one figure of the report (condense figure --help lists them)",
        description="Draw one figure of the report as PNG and PDF in --out, with its parameters as "
        "options (condense figure NAME --help). Exit status 0 when its check passed (or it has none).",
        epilog=("figure modules that failed to load: " + "; ".join(f"{b.module}: {b.error}" for b in broken))
        if broken else None,
    )
    names = parser.add_subparsers(title="figures", metavar="NAME", dest="figure")
    for name, module in figures.items():
        sub = names.add_parser(name, help=module.TITLE, description=f"{module.TITLE}. {module.CLAIM}",
                               formatter_class=argparse.ArgumentDefaultsHelpFormatter)
        sub.add_argument("--out", default="figures", metavar="DIR", help="output folder")
        sub.add_argument("--seed", type=int, default=0, help="seed of every random draw")
        quick = getattr(module, "QUICK", None)
        sub.add_argument("--quick", action="store_true", help="small sizes (seconds)" + (
            ": " + ", ".join(f"{k}={v}" for k, v in quick.items()) + " unless given" if quick else ""))
        before = len(sub._actions)
        module.add_arguments(sub)
        for action in sub._actions[before:]:  # only options given explicitly reach make()
            if "(default" not in (action.help or ""):  # unless the module states it in its own words
                action.help = f"{action.help or ''} (default: {action.default})".strip()
            action.default = argparse.SUPPRESS
        sub.set_defaults(func=run, figure_module=module)
    parser.set_defaults(func=lambda args: _no_name(parser))


def _no_name(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def run(args: argparse.Namespace) -> int:
    from condense.figures import figure_options
    from theory.ground.checks import check_seed
    from theory.ground.io import check_output_dir

    module = args.figure_module
    check_seed(args.seed, "--seed")
    check_output_dir(args.out)  # before any work
    # options left out are absent (default SUPPRESS): make() fills in its defaults or, with
    # --quick, its quick defaults
    params = {dest: getattr(args, dest) for dest in figure_options(module) if hasattr(args, dest)}
    result = module.make(Path(args.out), quick=args.quick, seed=args.seed, **params)
    verdict = {True: "check passed", False: "CHECK FAILED", None: "no check"}[result.passed]
    print(f"{result.title}: {verdict}")
    if result.summary:
        print(result.summary.strip())
    for path in result.paths:
        print(f"wrote {path}")
    return 1 if result.passed is False else 0
