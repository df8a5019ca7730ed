"""Cost of one ``verify.conjecture.inequality`` call at its default budget (500 examples) on
depth-3 reduced states of widths 1..6 (goal: under 30 s once compiled), against a baseline in the
same run: the bare ``numerics.blowup_time`` calls on as many seeded Gaussian states of the same
widths (the solver's share; the rest is Hypothesis generation, shrinking and claim evaluation).

The first call (Numba compile or on-disk cache load of the blow-up solver) is timed separately.
Medians of interleaved repeats:

    .venv/bin/python benchmarks/bench_conjecture.py [--repeats 3] [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np


def baseline(n: int, seed: int) -> float:
    """Seconds for ``n`` ``numerics.blowup_time`` calls on Gaussian states, widths uniform in 1..6."""
    import numerics

    rng = np.random.default_rng(seed)
    states = []
    for _ in range(n):
        m1, m2 = rng.integers(1, 7, size=2)
        states.append((rng.standard_normal(m2), rng.standard_normal((m2, m1)), rng.standard_normal(m1)))
    start = time.perf_counter()
    for a, W, u in states:
        numerics.blowup_time(a, W, u)
    return time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="interleaved repeats (default 3)")
    parser.add_argument("--quick", action="store_true", help="one repeat, skip the sharpness timing")
    args = parser.parse_args(argv)
    repeats = 1 if args.quick else max(1, args.repeats)

    start = time.perf_counter()
    from verify import conjecture as cj

    cj.make_case([np.ones(1), np.ones((1, 1)), np.ones(1)])
    print(f"first call (compile or cache load, imports included): {time.perf_counter() - start:.2f} s")

    claims = {"survives (full budget)": "t_star <= E0**(-1/3)", "refuted (stops, shrinks)": "t_star <= 0.9*E0**(-1/3)"}
    times = {name: [] for name in claims}
    base, calls = [], {}
    for r in range(repeats):
        for name, claim in claims.items():
            t0 = time.perf_counter()
            result = cj.inequality(claim, seed=r)
            times[name].append(time.perf_counter() - t0)
            calls.setdefault(name, []).append((result.status, result.examples + result.shrink_calls))  # + shrinking
        base.append(baseline(calls["survives (full budget)"][-1][1], r))
    print("| claim | status | cases evaluated incl. shrinking (per seed) | median s | per case ms |")
    print("| --- | --- | --- | --- | --- |")
    for name, claim in claims.items():
        statuses = sorted({status for status, _ in calls[name]})
        counts = [n for _, n in calls[name]]
        med = statistics.median(times[name])
        print(f"| `{claim}` ({name}) | {'/'.join(statuses)} | {', '.join(map(str, counts))} | {med:.2f} | "
              f"{1e3 * med / statistics.median(counts):.2f} |")
    med_base = statistics.median(base)
    n = calls["survives (full budget)"][-1][1]
    full = statistics.median(times["survives (full budget)"])
    print(f"baseline: {n} bare numerics.blowup_time calls: {med_base:.3f} s; "
          f"inequality/baseline = {full / med_base:.1f}x")
    print(f"goal: default inequality budget < 30 s: {'met' if full < 30 else 'NOT met'} ({full:.2f} s)")
    if not args.quick:
        t0 = time.perf_counter()
        res = cj.sharpness("t_star", "E0**(-1/3)")
        print(f"sharpness('t_star', 'E0**(-1/3)') default budget: {time.perf_counter() - t0:.2f} s, "
              f"best {res.best:.15g} ({res.looks})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
