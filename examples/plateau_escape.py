"""Predicted and observed end of the loss plateau of a small-initialization tanh network
(docs/mathematics.md#stages): k_esc = T* / (eps |v'| lr).

    python examples/plateau_escape.py [--epsilon 1e-3] [--seed N]
"""

import argparse

import numerics
from numerics.plateau import train_until_escape


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epsilon", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    X, y = numerics.make_dataset("default", n=40, d=3, seed=args.seed)
    weights = numerics.gaussian_init((3, 20, 20), args.epsilon, seed=args.seed)   # [W1, W2, a]
    prediction = numerics.predict_escape(X, y, weights, lr=0.2)
    observed = train_until_escape(X, y, weights, 0.2, prediction.iteration)
    print(f"predicted escape iteration {prediction.iteration:.1f}, observed {observed}, "
          f"ratio {observed / prediction.iteration:.4f}")


if __name__ == "__main__":
    main()
