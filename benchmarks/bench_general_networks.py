"""General networks: predicted against observed plateau escape, the hidden-bias log plateau, and
incremental learning of a rank-3 vector target (issue 12).

Prints, for each family (10-output depth-3 tanh, depth-3 with first-layer biases, depth-3 tanh
then sin): the predicted first escape (``numerics.predict_escape``), the observed one (first
iteration with loss below half its initial value) and their ratio at each epsilon; for the
network with a bias in the second hidden layer, the plateau against log(1/eps) with the fitted
and the predicted slope; and for the depth-3 tanh network on a rank-3 teacher (singular values
3, 2, 1, whitened inputs) the stage onsets (stage detector), the iteration where each singular
value of the end-to-end map reaches half of s_j, the prediction T*_j/(eps s_j lr) and the ratio.

    .venv/bin/python benchmarks/bench_general_networks.py [--quick] [--width M]
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer epsilons, width 100 for the stages (about 20 s)")
    parser.add_argument("--width", type=int, default=None,
                        help="hidden width of the incremental-learning network (default 200, --quick 100; "
                        "400 takes about 3 min here)")
    args = parser.parse_args(argv)
    if args.width is not None and args.width < 1:
        parser.error("--width: must be >= 1")
    from verify.checks.general_networks import FAMILIES, check_bias_log_plateau, check_general_escape
    from numerics.incremental import incremental_learning

    start = time.perf_counter()
    epsilons = (1e-2, 3e-3, 1e-3) if args.quick else (1e-2, 3e-3, 1e-3, 3e-4)
    print("first escape, observed/predicted (lr 0.1, n = 40, widths 20):")
    for family in FAMILIES:
        result = check_general_escape(family, epsilons=epsilons)
        row = "  ".join(f"eps {r['epsilon']:.0e}: {r['predicted']:8.1f} -> {r['observed']:6.0f} ({r['ratio']:.4f})"
                        for r in result.details["table"])
        print(f"  {family:17s} {row}   {'PASS' if result.passed else 'FAIL'}")
    eps_log = (1e-2, 1e-4, 1e-6) if args.quick else (1e-2, 1e-3, 1e-4, 1e-5, 1e-6)
    result = check_bias_log_plateau(epsilons=eps_log)
    d = result.details
    print("\nbias in the second hidden layer, mean target %.3f: plateau (observed) %s at eps %s" % (
        d["mean_target"], [int(k) for k in d["observed"]], list(eps_log)))
    print(f"  slope of k* vs log(1/eps): fitted {d['fitted_slope']:.3f}, predicted 1/log(1+|ybar| lr) = "
          f"{d['predicted_slope']:.3f} (relative error {result.measured:.2e}); log-log exponent "
          f"{d['power_law_exponent']:.3f} (a power law eps^-1 would give 1)   {'PASS' if result.passed else 'FAIL'}")
    width = args.width or (100 if args.quick else 200)
    print(f"\nincremental learning, depth 3 tanh 5-{width}-{width}-5, rank-3 teacher s = (3, 2, 1), lr 0.05:")
    print(f"  {'eps':>7} {'mode':>4} {'s_j':>4} {'onset (detector)':>16} {'half-learnt':>11} {'predicted':>10} "
          f"{'ratio':>7}")
    for eps in (1e-2, 3e-3, 1e-3):
        run = incremental_learning(eps, width=width)
        for j, s in enumerate(run.target_singular_values):
            onset = run.onsets[j] if j < len(run.onsets) else float("nan")
            print(f"  {eps:7.0e} {j + 1:4d} {s:4.1f} {onset:16} {run.learnt_at[j]:11.0f} {run.predicted[j]:10.1f} "
                  f"{run.ratios[j]:7.3f}")
    print(f"\n({time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
