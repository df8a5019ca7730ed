"""The ``condense`` command line: discovers the subcommands in :mod:`condense.commands`."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import re
import sys
from typing import Sequence

from condense import __version__
from condense import commands as _commands


class Parser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` that reads every number as a value, negative ones included.

    Plain argparse takes ``-1e-3``, ``-1.5e2``, ``-inf`` or ``-0.5,-0.25`` for an unknown option
    ("expected one argument"); here every word that starts with a minus sign and a digit (or
    ``inf``/``nan``) is a value, so the command refuses them with the real reason (``--epsilon:
    must be in (0, 1), got -0.001``). Subcommand parsers inherit the class.
    """

    NEGATIVE_NUMBER = re.compile(r"^-(?:\d|\.\d|inf|nan)", re.IGNORECASE)  # also lists: -0.5,-0.25

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = self.NEGATIVE_NUMBER

    def error(self, message: str):
        """A refused argument: exit 2 with ONE line on stderr (argparse prints its usage block
        first), naming the command and pointing to its ``--help``."""
        message = " ".join(message.split())
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
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
    args = parser.parse_args(argv)  # a refused argument: SystemExit(2) with argparse's message
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        return int(func(args) or 0)
    except (ValueError, TypeError, FileNotFoundError) as exc:
        print(f"condense: error: {exc}", file=sys.stderr)
        return 2
    except (PermissionError, IsADirectoryError, NotADirectoryError, FileExistsError) as exc:
        # an output path the checks before the work could not foresee (e.g. a read-only file system)
        print(f"condense: error: cannot write {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
