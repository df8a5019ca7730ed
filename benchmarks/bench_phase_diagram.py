"""Benchmark: the 7×7 two-layer phase diagram with 4 widths, on local processes, from an empty store.

For each width set (``--width-sets``, e.g. ``1000,2000,4000,8000``) and activation it runs the whole
grid (gamma in 0.25..1.75, gamma' in -0.75..0.75, 7 values each; one seed) through
``numerics.phase_diagram.phase_diagram`` with ``--workers`` processes into a fresh temporary store
and prints the wall time, the ratio to the 10-minute goal, the agreement with the theory away
from the boundary, and the sum of the per-run times (so sum/wall is the parallel speed-up). A
second pass on the same store checks that a rerun recomputes nothing (prints its time).

    .venv/bin/python benchmarks/bench_phase_diagram.py [--width-sets 250,500,1000,2000 1000,2000,4000,8000]
        [--activations relu,tanh] [--workers 2]
"""

from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np

from numerics.phase_diagram import phase_diagram

GOAL_SECONDS = 600.0
GAMMAS = np.linspace(0.25, 1.75, 7)
GAMMA_PRIMES = np.linspace(-0.75, 0.75, 7)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width-sets", nargs="+", default=["250,500,1000,2000", "1000,2000,4000,8000"])
    parser.add_argument("--activations", default="relu,tanh")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    print(f"7x7 grid x 4 widths, {args.workers} worker processes, goal {GOAL_SECONDS:.0f} s per diagram")
    print(f"{'activation':>10} {'widths':>22} {'wall s':>8} {'/goal':>6} {'sum run s':>10} {'speed-up':>8} "
          f"{'agree':>7} {'converged':>9} {'unres.':>6} {'rerun s':>8}")
    for widths_text in args.width_sets:
        widths = tuple(int(w) for w in widths_text.split(","))
        for activation in args.activations.split(","):
            with tempfile.TemporaryDirectory() as store:
                start = time.perf_counter()
                pd = phase_diagram(GAMMAS, GAMMA_PRIMES, widths, activation=activation, store=store,
                                   workers=args.workers, progress=False)
                wall = time.perf_counter() - start
                run_sum = sum(r["seconds"] for r in pd.sweep.results)
                start = time.perf_counter()
                again = phase_diagram(GAMMAS, GAMMA_PRIMES, widths, activation=activation, store=store,
                                      workers=args.workers, progress=False)
                rerun = time.perf_counter() - start
                assert again.sweep.computed == 0 and np.array_equal(again.slope, pd.slope, equal_nan=True)
            agree, total = pd.agreement()
            unresolved = int(np.sum(pd.label == "unresolved"))
            print(f"{activation:>10} {widths_text:>22} {wall:8.1f} {wall / GOAL_SECONDS:6.2f} {run_sum:10.1f} "
                  f"{run_sum / wall:8.2f} {agree:>3}/{total:<3} {pd.converged_fraction:9.2f} {unresolved:6d} {rerun:8.2f}",
                  flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
