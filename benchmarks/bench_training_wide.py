"""Benchmark: ``train_network`` at wide layers against the one-thread vectorized NumPy GD loop.

Depth 3 (d–m–m–1, tanh, float64), full-batch GD on n samples, for hidden widths m and batch
sizes n (issue: m = 256 and 1024 at n = 256 and 2048 must reach >= 1.0x; m <= 64 must keep >= 3x).
BLAS is pinned to one thread for both sides with threadpoolctl (``pip install threadpoolctl``:
a benchmark-only requirement, not a dependency of the package). Each configuration is timed as
the median of ``--repeat`` interleaved runs of both sides (CPU time and wall time); the first
call (kernel generation + Numba compile or cache load) is timed separately. Also prints the
largest relative difference between the two loss curves (goal: 1e-12).

    .venv/bin/python benchmarks/bench_training_wide.py [--quick] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np


def medians(functions, repeat: int) -> list[tuple[float, float]]:
    """Median (CPU, wall) seconds of each function over ``repeat`` interleaved rounds."""
    samples = [[] for _ in functions]
    for _ in range(repeat):
        for index, function in enumerate(functions):
            wall, cpu = time.perf_counter(), time.process_time()
            function()
            samples[index].append((time.process_time() - cpu, time.perf_counter() - wall))
    return [(statistics.median(s[0] for s in ss), statistics.median(s[1] for s in ss)) for ss in samples]


def configurations(quick: bool) -> list[tuple[int, int, int]]:
    """(m, n, steps): small widths (fused-loop kernel) and wide ones (BLAS kernel)."""
    if quick:
        return [(12, 40, 1000), (64, 40, 200), (64, 256, 50), (256, 256, 10), (1024, 256, 2)]
    return [(12, 40, 2000), (16, 40, 1000), (64, 40, 300), (16, 256, 400), (64, 256, 100), (16, 2048, 50),
            (64, 2048, 15), (256, 256, 20), (256, 2048, 4),
            (1024, 256, 3), (1024, 2048, 2)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer configurations (about 20 s)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--d", type=int, default=8, help="input dimension")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat: must be >= 1")
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        parser.exit(2, "bench_training_wide: needs threadpoolctl to pin BLAS to one thread "
                       "(pip install threadpoolctl)\n")
    from numerics.init import gaussian_init
    from numerics.training import FUSED_MAX_WIDTH, train_network, train_network_numpy

    # load every BLAS library first (Numba's np.dot goes through SciPy's BLAS, loaded on first compile),
    # so that threadpool_limits below pins all of them
    warm = gaussian_init((args.d, FUSED_MAX_WIDTH + 1, FUSED_MAX_WIDTH + 1), scale=0.1, seed=0)
    train_network(np.ones((2, args.d)), np.ones(2), warm, steps=1)
    print(f"depth 3 (d={args.d}-m-m-1), tanh, float64, BLAS pinned to 1 thread; medians of {args.repeat} "
          "interleaved runs (CPU time); fused-loop kernel for m <= "
          f"{FUSED_MAX_WIDTH}, np.dot (BLAS) kernel above")
    print(f"{'m':>5} {'n':>5} {'steps':>5} {'numba us/step':>14} {'numpy us/step':>14} {'ratio':>7} "
          f"{'max rel loss diff':>18} {'first call s':>12}")
    with threadpool_limits(limits=1):
        for m, n, steps in configurations(args.quick):
            rng = np.random.default_rng(0)
            X = rng.standard_normal((n, args.d))
            y = np.sin(X @ (np.ones(args.d) / np.sqrt(args.d)))
            weights = gaussian_init((args.d, m, m), scale=1.0 / np.sqrt(m), seed=1)
            kwargs = dict(lr=0.05, steps=steps)
            start = time.perf_counter()
            train_network(X, y, weights, **{**kwargs, "steps": 1})
            first = time.perf_counter() - start
            (cpu_numba, wall_numba), (cpu_numpy, wall_numpy) = medians(
                [lambda: train_network(X, y, weights, **kwargs), lambda: train_network_numpy(X, y, weights, **kwargs)],
                args.repeat)
            a = train_network(X, y, weights, **kwargs).loss
            b = train_network_numpy(X, y, weights, **kwargs).loss
            diff = float(np.max(np.abs(a / b - 1)))
            print(f"{m:>5} {n:>5} {steps:>5} {1e6 * cpu_numba / steps:>14.1f} {1e6 * cpu_numpy / steps:>14.1f} "
                  f"{cpu_numpy / cpu_numba:>6.2f}x {diff:>18.1e} {first:>12.2f}   (wall ratio {wall_numpy / wall_numba:.2f}x)",
                  flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
