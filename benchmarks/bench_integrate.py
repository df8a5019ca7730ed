"""Plain integration of the reduced field a' = Wu, W' = a uᵀ, u' = Wᵀa at m1 = m2 = 50 (dimension
2600): numerics.integrate_effective against scipy solve_ivp with a NumPy matrix-product field
(the fastest plain-SciPy baseline), same method and tolerances, up to 0.9 of the blow-up time.

    .venv/bin/python benchmarks/bench_integrate.py [--m 50] [--systems 5] [--repeat 3] [--rtol 1e-10] [--quick]
                                                   [--symbolic-baseline]

Every time is the median of ``--repeat`` interleaved runs of all sides; first-call compile times
are printed separately and not timed.

``--symbolic-baseline`` adds the naive pipeline "solve_ivp on the theory's SymPy field through
sympy.lambdify" (building the m = 50 symbolic field takes minutes; its time is not counted).
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))  # run from anywhere
from ode_bench_util import interleaved_medians, report_compile_times


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--m", type=int, default=50)
    parser.add_argument("--systems", type=int, default=5)
    parser.add_argument("--rtol", type=float, default=1e-10)
    parser.add_argument("--atol", type=float, default=1e-12)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fraction", type=float, default=0.9, help="integrate to this fraction of T*")
    parser.add_argument("--symbolic-baseline", action="store_true", help="also time solve_ivp on the lambdified field")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="m = 20, 2 systems, no cold-cache probe")
    args = parser.parse_args(argv)
    if args.quick:
        args.m, args.systems = min(args.m, 20), min(args.systems, 2)
    else:
        report_compile_times()
    from scipy.integrate import solve_ivp

    from numerics.blowup import blowup_time, chain_field_numpy
    from numerics.integrate import integrate_effective

    m = args.m
    widths = (m, m)
    baselines = {"numpy": lambda t, y: chain_field_numpy(y, widths)}
    if args.symbolic_baseline:
        import sympy as sp

        import theory

        print("building the symbolic field (slow) ...", file=sys.stderr)
        model = theory.reduced_model(widths)
        lambdified = sp.lambdify(model.state_symbols, list(model.vector_field), "numpy")
        baselines["lambdify"] = lambda t, y: np.array(lambdified(*y))
    rng = np.random.default_rng(args.seed)
    rows = []
    for k in range(args.systems):
        a, W, u = (rng.standard_normal(m), rng.standard_normal((m, m)), rng.standard_normal(m))
        a, W, u = (0.05 * x for x in (a, W, u))
        t_end = args.fraction * blowup_time(a, W, u).t_star
        y0 = np.concatenate([a, W.ravel(), u])
        for method in ("DOP853", "RK45"):
            def ours(method=method, t_end=t_end, a=a, W=W, u=u):
                return integrate_effective(a, W, u, t_end, rtol=args.rtol, atol=args.atol, method=method)

            traj = ours()  # also the warm-up (cache load)
            for name, rhs in baselines.items():
                def theirs(rhs=rhs, method=method, t_end=t_end, y0=y0):
                    return solve_ivp(rhs, (0.0, t_end), y0, method=method, rtol=args.rtol, atol=args.atol)

                ref = theirs()
                t_ours, t_ref = interleaved_medians([ours, theirs], args.repeat)
                diff = np.abs(traj.y[-1] - ref.y[:, -1]).max() / np.abs(ref.y[:, -1]).max()
                rows.append((method, name, t_ours, t_ref, traj.n_steps, ref.t.size - 1, diff))
        print(f"  system {k + 1}/{args.systems}", file=sys.stderr, end="\r")
    print(f"reduced field, m1 = m2 = {m} (dimension {y0.size}), rtol = {args.rtol:g}, atol = {args.atol:g}, "
          f"{args.systems} random systems integrated to {args.fraction:g} T*")
    for name in baselines:
        for method in ("DOP853", "RK45"):
            sel = [r for r in rows if r[0] == method and r[1] == name]
            ours = sum(r[2] for r in sel)
            ref = sum(r[3] for r in sel)
            steps_ours, steps_ref = np.mean([r[4] for r in sel]), np.mean([r[5] for r in sel])
            print(f"  {method:6s}: numerics {1e3 * ours / len(sel):8.2f} ms/system ({steps_ours:.0f} steps), "
                  f"scipy+{name} field {1e3 * ref / len(sel):8.2f} ms/system ({steps_ref:.0f} steps), "
                  f"speed-up {ref / ours:5.1f}x, max rel. difference of y(t_end) {max(r[6] for r in sel):.1e}")
    print("  (goal >= 50x)")
    ensemble(rng)
    return 0


def ensemble(rng, k: int = 64, m: int = 5) -> None:
    """integrate_ensemble (threads) against a Python loop over integrate_model, same results."""
    import numba

    from numerics.integrate import integrate_ensemble, integrate_model

    widths = (m, m)
    y0s = 0.1 * rng.standard_normal((k, 2 * m + m * m))
    t_eval = np.linspace(0.0, 1.0, 11)
    integrate_ensemble(widths, y0s[:2], 1.0, t_eval=t_eval)

    def run_loop():
        return [integrate_model(widths, y, 1.0, t_eval=t_eval).y for y in y0s]

    def run_ensemble():
        return integrate_ensemble(widths, y0s, 1.0, t_eval=t_eval)

    loop, ens = run_loop(), run_ensemble()
    t_loop, t_ens = interleaved_medians([run_loop, run_ensemble], 3)
    same = all(np.array_equal(a, b) for a, b in zip(loop, ens.y))
    print(f"ensemble of {k} systems (m1 = m2 = {m}), {numba.get_num_threads()} threads: loop {1e3 * t_loop:.1f} ms, "
          f"integrate_ensemble {1e3 * t_ens:.1f} ms, speed-up {t_loop / t_ens:.1f}x, identical results: {same}")


if __name__ == "__main__":
    raise SystemExit(main())
