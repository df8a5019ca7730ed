"""Blow-up times of 40 random reduced systems (m1 = m2 = 5): compiled projected flow
(numerics.blowup_time) against scipy solve_ivp(method="DOP853") on the same rescaled flow at the
same tolerance (numerics.blowup.scipy_blowup_time). Prints per-method time (per system the
median of ``--repeat`` interleaved runs of both sides), the speed ratio and the largest relative
difference of T*; first-call compile times are printed separately and not timed.

    .venv/bin/python benchmarks/bench_blowup.py [--n 40] [--repeat 3] [--rtol 1e-12] [--seed 0] [--quick]
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))  # run from anywhere
from ode_bench_util import interleaved_medians, report_compile_times


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--m", type=int, default=5)
    parser.add_argument("--rtol", type=float, default=1e-12)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="10 systems, 3 repeats, no cold-cache probe")
    args = parser.parse_args(argv)
    if args.quick:
        args.n = min(args.n, 10)
    else:
        report_compile_times()
    from numerics.blowup import blowup_time, scipy_blowup_time

    rng = np.random.default_rng(args.seed)
    systems = []
    while len(systems) < args.n:  # E0 > 0 guarantees blow-up; the SciPy baseline needs it
        a, W, u = rng.standard_normal(args.m), rng.standard_normal((args.m, args.m)), rng.standard_normal(args.m)
        if a @ W @ u > 0:
            systems.append((a, W, u))
    blowup_time(*systems[0], rtol=args.rtol)  # warm-up (cache load)
    t_ours = t_scipy = 0.0
    worst = 0.0
    steps = []
    for k, system in enumerate(systems):
        res = blowup_time(*system, rtol=args.rtol)
        ref = scipy_blowup_time(*system, rtol=args.rtol)
        ours, theirs = interleaved_medians(
            [lambda: blowup_time(*system, rtol=args.rtol), lambda: scipy_blowup_time(*system, rtol=args.rtol)],
            args.repeat)
        t_ours += ours
        t_scipy += theirs
        steps.append(res.diagnostics["steps"])
        worst = max(worst, abs(res.t_star - ref) / ref)
        print(f"  system {k + 1}/{len(systems)}", file=sys.stderr, end="\r")
    print(f"{len(systems)} systems, m1 = m2 = {args.m}, rtol = {args.rtol:g}, DOP853 on the rescaled flow")
    print(f"  numerics.blowup_time : {t_ours:.4f} s total ({1e3 * t_ours / len(systems):.3f} ms/system, "
          f"median {int(np.median(steps))} steps)")
    print(f"  scipy solve_ivp      : {t_scipy:.3f} s total ({1e3 * t_scipy / len(systems):.1f} ms/system)")
    print(f"  speed-up             : {t_scipy / t_ours:.0f}x   (goal >= 30x)")
    print(f"  max |T* - T*_scipy| / T* : {worst:.2e}   (goal <= 1e-8)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
