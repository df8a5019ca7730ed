"""Small calls: the fixed per-call cost of integrate_effective and blowup_time, and the ensemble.

For m1 = m2 = m the script times (median of interleaved repeats, after a first call that loads
or compiles everything):

* ``integrate_effective`` over one step (``t_end = 1e-9``) and a short integration
  (``t_end = 0.1``), and ``blowup_time`` of a random state with E0 > 0;
* the compiled work of the same calls alone: the driver ``numerics.rk.rk_solve`` called in a
  Numba loop with the arguments the Python function passes (no Python in between);
* fixed per-call cost (validation, dispatch, boxing, results; goal < 20 µs), two ways: Python
  call − compiled work, and the time the call spends outside the driver call (the driver call
  timed inside it; robust where the work is large and noisy);
* numbalsoda's DOP853 (Hairer's Fortran-derived C++, cfunc right-hand side) on the same flow
  and tolerances when ``import numbalsoda`` works (it is not a dependency; the column is
  skipped with the reason otherwise);
* ``integrate_ensemble`` of 200 states (m = 10) on 2 threads against a one-thread loop of
  ``integrate_effective`` (goal >= 1.8x).

    .venv/bin/python benchmarks/bench_small_calls.py [--m 5 20 50] [--repeat 7] [--quick]
"""

from __future__ import annotations

import argparse
import math
import sys

import numpy as np

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))  # run from anywhere
from ode_bench_util import interleaved_medians


def _compiled_loop():
    import numba as nb

    from numerics.rk import rk_solve

    @nb.njit(nogil=True)
    def loop(n, field, event, monitor, p, t0, y0, t_end, rtol, atol, A, B, C, E, E3, P, D, n_stages, error_order,
             kind, t_eval, use_event, direction, terminal, max_norm, max_steps, fixed_step):
        acc = 0.0
        for _ in range(n):
            res = rk_solve(field, event, monitor, p, t0, y0, t_end, rtol, atol, A, B, C, E, E3, P, D, n_stages,
                           error_order, kind, t_eval, use_event, direction, terminal, max_norm, max_steps, fixed_step)
            acc += res[11]
        return acc

    return loop


def _driver_args(field, monitor, p, y0, t_end, rtol, atol, max_steps, t_eval=None):
    from numerics.kernels import FIELD_SIG, MONITOR_SIG
    from numerics.rk import _EMPTY, _TABLEAU_ARGS, address_of

    mon = 0 if monitor is None else address_of(monitor, MONITOR_SIG, "monitor")
    return (address_of(field, FIELD_SIG, "field"), 0, mon, p, 0.0, y0, t_end, rtol, atol, *_TABLEAU_ARGS["DOP853"],
            _EMPTY if t_eval is None else t_eval, False, 0.0, True, math.inf, max_steps, 0.0)


def _per_call(call, loop, dargs, number: int, repeat: int, entry=None) -> tuple[float, float, float]:
    """Median seconds per call of ``call()``, of the same compiled work (``loop``), interleaved,
    and of the time ``call()`` spends outside its compiled entry point (measured by timing that
    call inside it: insensitive to noise in the work itself). ``entry = (module, name)``: where
    ``call`` finds the driver (default ``numerics.rk.rk_solve``; ``numerics.blowup`` calls it by
    its own name, between its compiled pre- and post-processing). At least ``number`` calls per
    sample and about 5 ms of work."""
    import time

    from numerics import rk

    module, name = entry if entry is not None else (rk, "rk_solve")
    start = time.perf_counter()
    call()
    number = max(number, int(0.005 / max(time.perf_counter() - start, 1e-7)))
    inside = [0.0]
    driver = getattr(module, name)

    def timed_driver(*args):
        t0 = time.perf_counter()
        out = driver(*args)
        inside[0] += time.perf_counter() - t0
        return out

    def python_calls():
        for _ in range(number):
            call()

    def outside_calls():
        inside[0] = 0.0
        setattr(module, name, timed_driver)
        try:
            t0 = time.perf_counter()
            for _ in range(number):
                call()
            total = time.perf_counter() - t0
        finally:
            setattr(module, name, driver)
        outside.append((total - inside[0]) / number)

    outside: list[float] = []
    py, work, _ = interleaved_medians([python_calls, lambda: loop(number, *dargs), outside_calls], repeat)
    return py / number, work / number, sorted(outside)[len(outside) // 2]


def _numbalsoda():
    try:
        import numbalsoda  # noqa: F401
    except Exception as err:  # noqa: BLE001 - any failure means: no column
        return None, f"numbalsoda column skipped: import numbalsoda failed ({type(err).__name__}: {err})"
    return numbalsoda, ""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--m", type=int, nargs="+", default=[5, 20, 50])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="m = 5 and 20, 5 repeats, 64 ensemble states")
    parser.add_argument("--threads", type=int, default=2, help="threads of integrate_ensemble")
    args = parser.parse_args(argv)
    if args.quick:
        args.m, args.repeat = [m for m in args.m if m <= 20] or [5], min(args.repeat, 5)
    from numerics import blowup, kernels
    from numerics.blowup import blowup_time
    from numerics.integrate import _chain_params, integrate_effective

    loop = _compiled_loop()
    nbs, why = _numbalsoda()
    rng = np.random.default_rng(0)
    print("per call, median of interleaved repeats (us); fixed per-call cost (goal < 20 us) two ways: Python call -"
          " compiled work, and the time spent outside the driver call")
    print(f"{'m':>3} {'call':<34} {'python':>10} {'compiled':>12} {'difference':>11} {'outside call':>13}")
    for m in args.m:
        while True:
            a, W, u = rng.standard_normal(m), rng.standard_normal((m, m)), rng.standard_normal(m)
            if a @ W @ u > 0:
                break
        a, W, u = a / 4, W / 4, u / 4
        y0 = np.concatenate([a, W.ravel(), u])
        rows = []
        for label, t_end in (("integrate_effective 1 step", 1e-9), ("integrate_effective t=0.1", 0.1)):
            traj = integrate_effective(a, W, u, t_end)
            dargs = _driver_args(kernels.chain_field_c, None, _chain_params((m, m)), y0, t_end, 1e-10, 1e-12, 1_000_000)
            loop(1, *dargs)
            py, work, fixed = _per_call(lambda t_end=t_end: integrate_effective(a, W, u, t_end), loop, dargs, 1,
                                        args.repeat)
            rows.append((label + f" ({traj.n_steps} st)", py, work, fixed))
        res = blowup_time(a, W, u)
        r0 = blowup._norm(y0)
        p = blowup._params_template((m, m), 1e-12, y0.size).copy()
        z0 = np.concatenate([y0 / r0, [0.0, 0.0]])
        dargs = _driver_args(kernels.projected_field_c, blowup._blowup_monitor(), p, z0, blowup._S_END, 1e-12,
                             1e-15, blowup._MAX_STEPS, blowup._NO_OUTPUT)
        loop(1, *dargs)
        py, work, fixed = _per_call(lambda: blowup_time(a, W, u), loop, dargs, 1, args.repeat,
                                    entry=(blowup, "rk_solve"))
        rows.append((f"blowup_time ({res.diagnostics['steps']} st)", py, work, fixed))
        for label, py, work, fixed in rows:
            print(f"{m:>3} {label:<34} {1e6 * py:10.1f} {1e6 * work:12.1f} {1e6 * (py - work):11.1f} {1e6 * fixed:13.1f}")
    if nbs is None:
        print(why)
    ensemble(args.quick, args.threads)
    return 0


def ensemble(quick: bool, threads: int) -> None:
    """integrate_ensemble on ``threads`` threads against a one-thread Python loop of integrate_effective."""
    import numba

    from numerics.integrate import integrate_effective, integrate_ensemble

    m, k = 10, (64 if quick else 200)
    rng = np.random.default_rng(1)
    dim = 2 * m + m * m
    y0s = 0.1 * rng.standard_normal((k, dim))
    t_eval = np.array([0.0, 1.0])
    threads = min(threads, numba.config.NUMBA_NUM_THREADS)
    numba.set_num_threads(threads)

    def run_loop():
        return [integrate_effective(y[:m], y[m:m + m * m].reshape(m, m), y[-m:], 1.0, t_eval=t_eval).y for y in y0s]

    def run_ensemble():
        return integrate_ensemble((m, m), y0s, 1.0, t_eval=t_eval)

    loop, ens = run_loop(), run_ensemble()
    same = all(np.array_equal(a, b) for a, b in zip(loop, ens.y))
    t_loop, t_ens = interleaved_medians([run_loop, run_ensemble], 5)
    print(f"ensemble of {k} states (m1 = m2 = {m}, to t = 1): one-thread loop of integrate_effective "
          f"{1e3 * t_loop:.1f} ms, integrate_ensemble on {threads} threads {1e3 * t_ens:.1f} ms, "
          f"speed-up {t_loop / t_ens:.2f}x (goal >= 1.8x), identical results: {same}")


if __name__ == "__main__":
    raise SystemExit(main())
