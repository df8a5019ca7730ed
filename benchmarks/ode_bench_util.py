"""Shared helpers of the ODE benchmarks (bench_blowup*.py, bench_integrate.py): Numba compile times."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

_PROBE = (
    "import time; t = time.perf_counter(); "
    "import numpy as np; from numerics.blowup import blowup_time; from numerics.integrate import integrate_effective; "
    "t1 = time.perf_counter(); blowup_time(np.ones(1), np.ones((1, 1)), np.ones(1)); "
    "integrate_effective(np.ones(1), np.ones((1, 1)), np.ones(1), 0.1); "
    "print(t1 - t, time.perf_counter() - t1)"
)


def compile_times() -> dict[str, float]:
    """Seconds for import and first calls of blowup_time + integrate_effective in a fresh process,
    once with an empty Numba cache (cold compile) and once with the on-disk cache (warm)."""
    out = {}
    with tempfile.TemporaryDirectory() as cold_dir:
        for label, env_extra in (("cold", {"NUMBA_CACHE_DIR": cold_dir}), ("warm", {})):
            env = dict(os.environ, **env_extra)
            res = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, env=env, check=True)
            imp, first = map(float, res.stdout.split())
            out[f"{label}_import_s"] = imp
            out[f"{label}_first_call_s"] = first
    return out


def timed(fn, *args, repeat: int = 1, **kwargs):
    """(best wall time over ``repeat`` runs, last result)."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn(*args, **kwargs)
        best = min(best, time.perf_counter() - start)
    return best, result


def report_compile_times() -> None:
    print("Numba first-call times of blowup_time + integrate_effective (fresh process):")
    times = compile_times()
    print(
        f"  cold cache: import {times['cold_import_s']:.2f} s, first calls {times['cold_first_call_s']:.2f} s\n"
        f"  warm cache: import {times['warm_import_s']:.2f} s, first calls {times['warm_first_call_s']:.3f} s"
    )
