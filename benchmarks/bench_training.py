"""Benchmark: Numba ``train_network`` against the vectorized NumPy loop ``train_network_numpy``.

Same data, same initial weights, same number of full-batch GD steps on a 4–12–16–1 network
(d = 4, m1 = 12, m2 = 16, n = 40 samples by default).  Also times deep matrix factorization (Numba ``train_factorization`` against
``train_factorization_numpy``).  Prints the first-call time (kernel
generation + Numba compile, or cache load), the best-of-``repeat`` time per step of each, their
ratio (goal: >= 3), and the largest difference between the two loss curves (round-off).

    .venv/bin/python benchmarks/bench_training.py [--steps 2000] [--n 40] [--repeat 5] [--activation tanh]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from numerics.data import make_dataset
from numerics.init import gaussian_init
from numerics.matrix_factorization import (
    init_factors,
    make_low_rank_matrix,
    random_mask,
    train_factorization,
    train_factorization_numpy,
)
from numerics.training import train_network, train_network_numpy


def best_times(functions, repeat: int) -> list[tuple[float, float]]:
    """Best-of-``repeat`` (wall, CPU) seconds of each function, calls interleaved so that a
    busy machine slows all of them alike.  CPU time (``time.process_time``) is the robust
    measure on a shared machine; both are printed."""
    best = [(float("inf"), float("inf")) for _ in functions]
    for _ in range(repeat):
        for index, function in enumerate(functions):
            wall, cpu = time.perf_counter(), time.process_time()
            function()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            best[index] = (min(best[index][0], wall), min(best[index][1], cpu))
    return best


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--activation", default="tanh")
    parser.add_argument("--scale", type=float, default=0.3, help="init scale (entries N(0, scale^2))")
    args = parser.parse_args(argv)

    X, y = make_dataset("default", n=args.n, d=4, seed=0)
    weights = gaussian_init((4, 12, 16), scale=args.scale, seed=1)
    kwargs = dict(activation=args.activation, lr=0.05, steps=args.steps, record_every=args.steps // 10)

    start = time.perf_counter()
    train_network(X, y, weights, **{**kwargs, "steps": 1})
    first_call = time.perf_counter() - start

    (wall_numba, cpu_numba), (wall_numpy, cpu_numpy) = best_times(
        [lambda: train_network(X, y, weights, **kwargs), lambda: train_network_numpy(X, y, weights, **kwargs)],
        args.repeat,
    )
    fast = train_network(X, y, weights, **kwargs)
    reference = train_network_numpy(X, y, weights, **kwargs)
    agreement = float(np.max(np.abs(fast.loss - reference.loss)))

    print(f"network 4-12-16-1, n={args.n}, activation={args.activation}, steps={args.steps}")
    print(f"first call (generate + compile or load cache): {first_call:.2f} s")
    steps = args.steps
    print(f"numba : {1e6 * cpu_numba / steps:8.2f} us/step CPU, {1e6 * wall_numba / steps:8.2f} us/step wall")
    print(f"numpy : {1e6 * cpu_numpy / steps:8.2f} us/step CPU, {1e6 * wall_numpy / steps:8.2f} us/step wall")
    print(f"speed-up numba/numpy: {cpu_numpy / cpu_numba:.2f}x CPU time, {wall_numpy / wall_numba:.2f}x wall (goal >= 3x)")
    print(f"max |loss_numba - loss_numpy| over {args.steps} steps: {agreement:.2e}")
    bench_factorization(args.steps, args.repeat)
    return 0


def bench_factorization(steps: int, repeat: int) -> None:
    """Deep matrix factorization (10x10, rank 2, 60 % observed, depth 3): Numba against NumPy."""
    M = make_low_rank_matrix((10, 10), rank=2, seed=0)
    mask = random_mask((10, 10), 0.6, seed=1)
    factors = init_factors((10, 10), 3, 1e-2, seed=0)
    kwargs = dict(lr=0.01, steps=steps, record_every=max(1, steps // 20))
    train_factorization(M, mask, factors, **{**kwargs, "steps": 1})
    (wall_numba, cpu_numba), (wall_numpy, cpu_numpy) = best_times(
        [lambda: train_factorization(M, mask, factors, **kwargs), lambda: train_factorization_numpy(M, mask, factors, **kwargs)],
        repeat,
    )
    print(f"\nmatrix factorization 10x10, depth 3, {steps} steps, record every {kwargs['record_every']}")
    print(f"numba : {1e6 * cpu_numba / steps:8.2f} us/step CPU;  numpy : {1e6 * cpu_numpy / steps:8.2f} us/step CPU")
    print(f"speed-up numba/numpy: {cpu_numpy / cpu_numba:.2f}x CPU time, {wall_numpy / wall_numba:.2f}x wall")


if __name__ == "__main__":
    raise SystemExit(main())
