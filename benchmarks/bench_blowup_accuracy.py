"""Accuracy of T*: the rescaled projected flow (numerics.blowup_time) against the naive method
"integrate y' = F(y) until ||y|| = M" (numerics.naive_blowup_time), for scalar data where the
elliptic closed form T* = ∫ da / sqrt((a² - c1)(a² - c1 - c2)) (docs/mathematics.md#blow-up) is evaluated by
mpmath at 30 digits. Prints relative errors versus M and the predicted naive error sqrt(3)/(M T*).

    .venv/bin/python benchmarks/bench_blowup_accuracy.py
"""

from __future__ import annotations

import math
import sys

import mpmath as mp
import numpy as np

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))  # run from anywhere
from ode_bench_util import report_compile_times, timed

CASES = [(1.0, 1.0, 1.0), (0.9, 0.6, 0.3), (0.2, 1.1, 0.7), (2.0, 0.5, 1.5)]
THRESHOLDS = [1e2, 1e4, 1e6, 1e8, 1e10, 1e12]


def closed_form(a0, w0, u0):
    with mp.workdps(30):
        a0, w0, u0 = mp.mpf(a0), mp.mpf(w0), mp.mpf(u0)
        c1, c2 = a0**2 - w0**2, w0**2 - u0**2
        return mp.quad(lambda a: 1 / mp.sqrt((a**2 - c1) * (a**2 - c1 - c2)), [a0, 2 * a0 + 1, mp.inf])


def main() -> int:
    report_compile_times()
    from numerics.blowup import blowup_time, naive_blowup_time

    header = "case (a0, w0, u0)   T* (closed form)    | rescaled: rel.err  time   | naive rel.err (time) for M = " + \
        ", ".join(f"{M:.0e}" for M in THRESHOLDS)
    print(header)
    for a0, w0, u0 in CASES:
        exact = closed_form(a0, w0, u0)
        args = (np.array([a0]), np.array([[w0]]), np.array([u0]))
        dt, res = timed(blowup_time, *args, repeat=3)  # median of 3 (after the first call below)
        err = float(abs(mp.mpf(res.t_star) - exact) / exact)
        naive = []
        for M in THRESHOLDS:
            dtn, tau = timed(naive_blowup_time, *args, M)
            naive.append(f"{float(abs(mp.mpf(tau) - exact) / exact):.1e} ({1e3 * dtn:.1f} ms)")
        print(f"({a0}, {w0}, {u0})  {float(exact):.15f} | {err:.1e}  {1e3 * dt:.2f} ms | " + ", ".join(naive))
    print("naive error model sqrt(3)/(M T*): " + ", ".join(f"{math.sqrt(3) / M:.1e}/T*" for M in THRESHOLDS))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
