"""``condense warmup``: compile the numerics ahead of their first use (for CI images)."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "warmup",
        help="compile the integrators and blow-up times now, so that later first calls load caches",
        description=(
            "Run every compiled path of the integrators and blow-up times once on tiny inputs "
            "(each result checked against a closed form), so that Numba's on-disk caches are "
            "filled: bake this into a CI image or run it once on a new machine. The caches live "
            "where later runs look: $NUMBA_CACHE_DIR (or next to the installed sources) and "
            "$CONDENSE_CACHE_DIR."
        ),
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import sys
    import time

    from numerics.warmup import warm_up

    start = time.perf_counter()
    warm_up(progress=lambda line: print(f"condense warmup: {line}", file=sys.stderr, flush=True))
    print(f"condense warmup: done in {time.perf_counter() - start:.1f} s")
    return 0
