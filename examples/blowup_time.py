"""Blow-up time of the depth-3 effective flow and its bounds (docs/mathematics.md#blow-up).

    python examples/blowup_time.py [--seed N]
"""

import argparse

import numerics
from verify.instances import positive_energy_state


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    a, W, u = positive_energy_state(4, 3, seed=args.seed)      # E0 = a^T W u > 0
    result = numerics.blowup_time(a, W, u)
    print(f"sqrt(3)/|y0| = {result.lower:.10f} <= T* = {result.t_star:.10f} <= E0^(-1/3) = {result.upper:.10f}")
    print(f"rate lambda = {result.rate:.12f} (1/sqrt(3) = {3 ** -0.5:.12f})")
    assert result.lower <= result.t_star <= result.upper


if __name__ == "__main__":
    main()
