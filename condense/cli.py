"""The ``condense`` command line: discovers the subcommands in :mod:`condense.commands`."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from typing import Sequence

from condense import __version__
from condense import commands as _commands


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="condense",
        description="Symbolic-numeric toolkit for condensation in neural networks "
        "trained from small initialization.",
    )
    parser.add_argument("--version", action="version", version=f"condense {__version__}")
    subparsers = parser.add_subparsers(title="subcommands", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(_commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{_commands.__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        return int(func(args) or 0)
    except (ValueError, TypeError, FileNotFoundError) as exc:
        print(f"condense: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
