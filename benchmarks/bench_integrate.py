"""Plain integration of the reduced field a' = Wu, W' = a uᵀ, u' = Wᵀa at m1 = m2 = 50 (dimension
2600): numerics.integrate_effective against scipy solve_ivp with a NumPy matrix-product field
(the fastest plain-SciPy baseline), same method and tolerances, up to 0.9 of the blow-up time.

    .venv/bin/python benchmarks/bench_integrate.py [--m 50] [--systems 5] [--rtol 1e-10]
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))  # run from anywhere
from ode_bench_util import report_compile_times, timed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--m", type=int, default=50)
    parser.add_argument("--systems", type=int, default=5)
    parser.add_argument("--rtol", type=float, default=1e-10)
    parser.add_argument("--atol", type=float, default=1e-12)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fraction", type=float, default=0.9, help="integrate to this fraction of T*")
    args = parser.parse_args(argv)
    report_compile_times()
    from scipy.integrate import solve_ivp

    from numerics.blowup import blowup_time, chain_field_numpy
    from numerics.integrate import integrate_effective

    m = args.m
    widths = (m, m)
    rng = np.random.default_rng(args.seed)
    rows = []
    for k in range(args.systems):
        a, W, u = (rng.standard_normal(m), rng.standard_normal((m, m)), rng.standard_normal(m))
        a, W, u = (0.05 * x for x in (a, W, u))
        t_end = args.fraction * blowup_time(a, W, u).t_star
        y0 = np.concatenate([a, W.ravel(), u])
        for method in ("DOP853", "RK45"):
            integrate_effective(a, W, u, t_end, rtol=args.rtol, atol=args.atol, method=method)  # warm-up
            t_ours, traj = timed(integrate_effective, a, W, u, t_end, rtol=args.rtol, atol=args.atol,
                                 method=method, repeat=3)
            t_ref, ref = timed(solve_ivp, lambda t, y: chain_field_numpy(y, widths), (0.0, t_end), y0,
                               method=method, rtol=args.rtol, atol=args.atol)
            diff = np.abs(traj.y[-1] - ref.y[:, -1]).max() / np.abs(ref.y[:, -1]).max()
            rows.append((method, t_ours, t_ref, traj.n_steps, ref.t.size - 1, diff))
        print(f"  system {k + 1}/{args.systems}", file=sys.stderr, end="\r")
    print(f"reduced field, m1 = m2 = {m} (dimension {y0.size}), rtol = {args.rtol:g}, atol = {args.atol:g}, "
          f"{args.systems} random systems integrated to {args.fraction:g} T*")
    for method in ("DOP853", "RK45"):
        sel = [r for r in rows if r[0] == method]
        ours = sum(r[1] for r in sel)
        ref = sum(r[2] for r in sel)
        print(f"  {method:6s}: numerics {1e3 * ours / len(sel):8.2f} ms/system ({np.mean([r[3] for r in sel]):.0f} steps), "
              f"scipy {1e3 * ref / len(sel):8.2f} ms/system ({np.mean([r[4] for r in sel]):.0f} steps), "
              f"speed-up {ref / ours:5.1f}x, max rel. difference of y(t_end) {max(r[5] for r in sel):.1e}")
    print("  (goal >= 50x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
