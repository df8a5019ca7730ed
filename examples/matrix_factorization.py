"""Deep matrix factorization from small initialization: the product leaves the plateau rank one,
aligned with the top singular pair of the observed matrix (docs/mathematics.md#matrix-factorization).

    python examples/matrix_factorization.py [--seed N]
"""

import argparse

import numpy as np

from numerics.matrix_factorization import init_factors, make_low_rank_matrix, random_mask, train_factorization


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    M = make_low_rank_matrix((8, 8), rank=2, seed=args.seed)
    mask = random_mask((8, 8), 0.7, seed=args.seed)
    history = train_factorization(M, mask, init_factors((8, 8), depth=3, scale=1e-3, seed=args.seed),
                                  lr=0.05, steps=3000, record_every=10)
    print(history.message, f"in {history.wall_time:.2f} s; loss {history.loss[0]:.4g} -> {history.final_loss:.4g}")
    escape = int(np.argmax(history.loss <= 0.5 * history.loss[0]))
    k = int(np.searchsorted(history.record_steps, escape))
    s = history.singular_values[k]
    print(f"at the escape (iteration {escape}): s2/s1 = {s[1] / s[0]:.3g}, "
          f"alignment with the top singular pair = {np.round(history.alignments[k], 4).tolist()}")


if __name__ == "__main__":
    main()
