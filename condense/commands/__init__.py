"""Subcommands of the ``condense`` command line.

Every module in this package that defines ``register(subparsers)`` is a subcommand.
``register`` must add one parser and set ``func`` (a callable taking the parsed
``argparse.Namespace`` and returning an exit code) with ``parser.set_defaults(func=...)``.
Modules must be cheap to import: import NumPy/Numba/SymPy-heavy code inside ``func``.
"""
