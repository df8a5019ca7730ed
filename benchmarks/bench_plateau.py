"""Plateau escape: predicted GD iteration T*(θ̄0)/(c^{L-1} ε^{L-2} ‖v'‖ η) against the observed
iteration at which the loss first halves (docs/mathematics.md#blow-up), on the notes' setting: tanh network
3–20–20–1, n = 40 samples of the built-in ``default`` data set, entries N(0, ε²).

Prints one table per depth (3: the notes' table 0.966 / 0.990 / 0.997; 2: log(1/ε) plateau;
4: ε^{-2} plateau) with the ratio observed/predicted for several seeds.

    .venv/bin/python benchmarks/bench_plateau.py [--seeds 3] [--lr 0.2] [--quick]
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from numerics.data import make_dataset
from numerics.init import gaussian_init
from numerics.plateau import observed_escape_iteration, predict_escape
from numerics.training import train_network

SETTINGS = {
    3: ((3, 20, 20), (1e-2, 3e-3, 1e-3, 3e-4)),
    2: ((3, 20), (1e-2, 1e-4, 1e-6, 1e-8)),
    4: ((3, 20, 20, 20), (3e-2, 1e-2, 3e-3)),
}


def run_depth(depth: int, seeds: int, lr: float, quick: bool) -> list[tuple]:
    dims, epsilons = SETTINGS[depth]
    if quick:
        epsilons = epsilons[:3]
    X, y = make_dataset("default", n=40, d=3, seed=0)
    rows = []
    for eps in epsilons:
        ratios, iterations = [], []
        for seed in range(seeds):
            weights = gaussian_init(dims, eps, seed)
            prediction = predict_escape(X, y, weights, lr, epsilon=eps)
            history = train_network(X, y, weights, "tanh", lr=lr, steps=int(1.5 * prediction.iteration) + 20)
            observed = observed_escape_iteration(history.loss)
            ratios.append(np.nan if observed is None else observed / prediction.iteration)
            iterations.append(prediction.iteration)
            print(f"  depth {depth} eps {eps:.0e} seed {seed}: predicted {prediction.iteration:.1f}, "
                  f"observed {observed}", file=sys.stderr, flush=True)
        rows.append((eps, float(np.mean(iterations)), ratios))
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--lr", type=float, default=0.2)
    parser.add_argument("--quick", action="store_true", help="skip the smallest epsilon of each depth")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    for depth in (3, 2, 4):
        rows = run_depth(depth, args.seeds, args.lr, args.quick)
        print(f"\ndepth {depth} (tanh, dims {SETTINGS[depth][0]} -> 1, lr = {args.lr})")
        print(f"{'eps':>8} {'mean predicted k':>17} {'observed/predicted per seed':>30}  {'max |1 - ratio|':>15}")
        for eps, mean_k, ratios in rows:
            shown = " ".join(f"{r:.4f}" for r in ratios)
            print(f"{eps:8.0e} {mean_k:17.1f} {shown:>30}  {np.nanmax(np.abs(1 - np.array(ratios))):15.4f}")
    print(f"\ntotal {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
