"""Compile ahead: run every compiled path of the numerics once on tiny inputs, so that Numba's
on-disk caches (under ``$NUMBA_CACHE_DIR`` or next to the sources, and ``$CONDENSE_CACHE_DIR``
for generated code) are full before the first real call — for CI images and fresh machines.

Each step is an ordinary public call whose result is checked against a closed form (a warm-up
that silently computed garbage would hide a broken install).
"""

from __future__ import annotations

import math
import time
from typing import Callable

import numpy as np


def _ode_steps() -> list[tuple[str, Callable[[], None]]]:
    from numerics.blowup import blowup_time, blowup_time_deep, naive_blowup_time
    from numerics.integrate import integrate_effective, integrate_ensemble

    one = (np.array([1.0]), np.array([[1.0]]), np.array([1.0]))

    def blowup():
        # balanced rank-one data: T* = 1/x0 exactly (docs/mathematics.md#blow-up)
        assert abs(blowup_time(*one).t_star - 1.0) < 1e-10
        assert abs(blowup_time(*one, method="RK45", rtol=1e-9).t_star - 1.0) < 1e-7
        deep = blowup_time_deep([np.array([1.0]), np.array([[1.0]]), np.array([1.0])])
        assert abs(deep.t_star - 1.0) < 1e-10

    def integrate():
        # depth 3 from balanced data: ||y(t)|| = sqrt(3)/(1 - t)
        for method in ("DOP853", "RK45"):
            traj = integrate_effective(*one, 0.5, method=method, t_eval=np.array([0.0, 0.5]))
            assert abs(traj.norm[-1] - 2 * math.sqrt(3)) < 1e-8
        traj = integrate_effective(*one, 0.9, max_norm=4 * math.sqrt(3))
        assert traj.status == 2 and abs(traj.t[-1] - 0.75) < 1e-8
        assert abs(naive_blowup_time(*one, M=1e3) - 1.0) < 1e-2

    def ensemble():
        res = integrate_ensemble((1, 1), np.ones((2, 3)), 0.5)
        assert np.allclose(np.linalg.norm(res.y[:, -1], axis=1), 2 * math.sqrt(3), rtol=1e-8)

    return [("blow-up times", blowup), ("integrators", integrate), ("ensembles", ensemble)]


def warm_up(progress: Callable[[str], None] | None = None) -> dict[str, float]:
    """Run the compiled paths of :mod:`numerics.integrate` and :mod:`numerics.blowup` once (and
    so compile them or load them from the caches); returns the seconds each step took."""
    timings = {}
    for name, step in _ode_steps():
        start = time.perf_counter()
        step()
        timings[name] = time.perf_counter() - start
        if progress is not None:
            progress(f"{name}: {timings[name]:.2f} s")
    return timings


__all__ = ["warm_up"]
