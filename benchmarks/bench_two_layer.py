"""Two-layer phase-diagram trainer at large widths: the compiled GD kernel of numerics.two_layer
against a vectorized one-thread NumPy GD loop of the same model, fixed step, ReLU.

The model is :math:`f(x) = \\frac1\\alpha\\sum_k a_k\\sigma(w_k\\cdot\\tilde x)` on the three-point
data set of the phase diagram (:math:`\\tilde x = (x, 1)`); the loss
:math:`R = \\frac1{2n}\\sum_i (f(x_i) - y_i)^2` and its gradient are evaluated by both sides; the
loss sequences must agree to 1e-12 relative. BLAS is limited to one thread (threadpoolctl when it
is installed, else the OPENBLAS/OMP/MKL thread variables set before NumPy is imported). Times are
medians of interleaved repeats; the kernel's first call (compile or cache load) is printed
separately.

    .venv/bin/python benchmarks/bench_two_layer.py [--widths 2000 8000] [--steps 200] [--repeat 5] [--quick]
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))  # run from anywhere
from ode_bench_util import interleaved_medians  # noqa: E402


def numpy_gd(a, W, X1, y, alpha: float, lr: float, steps: int) -> np.ndarray:
    """Plain vectorized GD with ReLU, the losses before each step and at the end."""
    a, W = a.copy(), W.copy()
    n = X1.shape[0]
    losses = np.empty(steps + 1)
    for s in range(steps + 1):
        Z = X1 @ W.T  # (n, m)
        S = np.maximum(Z, 0.0)
        e = S @ a / alpha - y
        losses[s] = e @ e / (2.0 * n)
        if s == steps:
            break
        ga = S.T @ e / (n * alpha)
        gW = ((e[:, None] * (Z > 0.0)) * a[None, :]).T @ X1 / (n * alpha)
        a -= lr * ga
        W -= lr * gW
    return losses


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", type=int, nargs="+", default=[2000, 8000])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="width 2000, 50 steps, 3 repeats")
    args = parser.parse_args(argv)
    if args.quick:
        args.widths, args.steps, args.repeat = [min(args.widths)], min(args.steps, 50), min(args.repeat, 3)
    try:
        from threadpoolctl import threadpool_limits

        limiter, how = threadpool_limits(limits=1), "threadpoolctl"
    except ImportError:
        limiter, how = None, "OPENBLAS/OMP/MKL_NUM_THREADS=1 (threadpoolctl not installed)"
    from numerics.two_layer import _augment, init_two_layer, phase_dataset, train_two_layer

    X, y = phase_dataset("three_point")
    X1 = _augment(X)
    start = time.perf_counter()
    a0, W0 = init_two_layer(4, 1, 1.0, 1.0, 0)
    train_two_layer(X, y, a0, W0, 1.0, activation="relu", lr_mode="fixed", lr=0.01, max_steps=2)
    print(f"kernel first call (generate + compile or cache load): {time.perf_counter() - start:.2f} s; BLAS: {how}")
    print(f"{'width':>6} {'steps':>6} {'kernel ms':>10} {'numpy ms':>9} {'speed-up':>9} {'max rel. loss diff':>19}")
    for m in args.widths:
        a0, W0 = init_two_layer(m, 1, 1.0 / m, 1.0, 1)
        alpha, lr = 1.0, 0.5 / m  # below 2 / lambda_max(S^T S / n), lambda_max ~ m

        def kernel():
            return train_two_layer(X, y, a0, W0, alpha, activation="relu", lr_mode="fixed", lr=lr,
                                   max_steps=args.steps, lr_recovery=1.0, patience=args.steps + 1).losses

        def reference():
            return numpy_gd(a0, W0, X1, y, alpha, lr, args.steps)

        ours, ref = kernel(), reference()
        if ours.shape != ref.shape:
            raise RuntimeError(f"the kernel stopped early (a rejected step?): {ours.shape} vs {ref.shape}")
        diff = float(np.max(np.abs(ours - ref) / np.abs(ref)))
        t_kernel, t_numpy = interleaved_medians([kernel, reference], args.repeat)
        print(f"{m:6d} {args.steps:6d} {1e3 * t_kernel:10.2f} {1e3 * t_numpy:9.2f} {t_numpy / t_kernel:8.2f}x "
              f"{diff:19.1e}")
    print("goal: speed-up >= 1.0x at widths >= 2000, losses within 1e-12 relative")
    if limiter is not None:
        limiter.unregister() if hasattr(limiter, "unregister") else None
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
