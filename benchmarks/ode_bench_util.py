"""Shared helpers of the benchmarks: fair timing (medians of interleaved repeats, the same for
every side) and first-run measurements in fresh processes with empty caches."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

_PROBE = (
    "import time; t = time.perf_counter(); "
    "import numpy as np; from numerics.blowup import blowup_time; from numerics.integrate import integrate_effective; "
    "t1 = time.perf_counter(); blowup_time(np.ones(1), np.ones((1, 1)), np.ones(1)); "
    "integrate_effective(np.ones(1), np.ones((1, 1)), np.ones(1), 0.1); "
    "print(t1 - t, time.perf_counter() - t1)"
)


def cache_env(root: str, source: Path = REPO) -> dict[str, str]:
    """Environment whose condense and Numba caches both live under ``root`` (empty: a cold start,
    the situation of a new user or of a fresh CI job), importing the packages from ``source``."""
    return dict(os.environ, CONDENSE_CACHE_DIR=str(Path(root) / "condense"), NUMBA_CACHE_DIR=str(Path(root) / "numba"),
                PYTHONPATH=os.pathsep.join([str(source), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep))


def run_python(code: str, env: dict[str, str], cwd: Path | None = None) -> tuple[float, str, float]:
    """(wall seconds, stdout, CPU seconds) of ``python -c code`` in a fresh interpreter."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False, cwd=cwd)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if res.returncode != 0:
        raise RuntimeError(f"probe failed: {res.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, res.stdout, cpu


def compile_times() -> dict[str, float]:
    """Seconds for import and first calls of blowup_time + integrate_effective in a fresh process,
    once with empty caches (cold compile) and once more with the caches the first run wrote (warm)."""
    out = {}
    with tempfile.TemporaryDirectory() as root:
        env = cache_env(root)
        for label in ("cold", "warm"):
            _, stdout, _ = run_python(_PROBE, env)
            imp, first = map(float, stdout.split())
            out[f"{label}_import_s"] = imp
            out[f"{label}_first_call_s"] = first
    return out


def report_compile_times() -> None:
    """Print the first-call times (compile or cache load), which the timed comparisons exclude."""
    print("Numba first-call times of blowup_time + integrate_effective (fresh process, not in the ratios):")
    times = compile_times()
    print(
        f"  cold caches: import {times['cold_import_s']:.2f} s, first calls {times['cold_first_call_s']:.2f} s\n"
        f"  warm caches: import {times['warm_import_s']:.2f} s, first calls {times['warm_first_call_s']:.3f} s"
    )


def interleaved_medians(functions, repeat: int, number: int = 1) -> list[float]:
    """Median seconds per call of each zero-argument function, over ``repeat`` rounds in which
    every function runs ``number`` times in turn (so that load on a shared machine hits all
    sides alike). Call each once before, to exclude compilation."""
    samples: list[list[float]] = [[] for _ in functions]
    for _ in range(repeat):
        for k, fn in enumerate(functions):
            start = time.perf_counter()
            for _ in range(number):
                fn()
            samples[k].append((time.perf_counter() - start) / number)
    return [statistics.median(s) for s in samples]


def timed(fn, *args, repeat: int = 1, **kwargs):
    """(median wall time over ``repeat`` runs, last result); for two sides compared with each
    other prefer :func:`interleaved_medians`."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn(*args, **kwargs)
        times.append(time.perf_counter() - start)
    return statistics.median(times), result
