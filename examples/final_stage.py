"""The final-stage condition a_i W_ij u_j > 0: proved forward invariant symbolically, then watched
along a numerical trajectory until it holds and stays (docs/mathematics.md#final-stage).

    python examples/final_stage.py [--seed N]
"""

import argparse

from theory.final_stage import final_stage_theorem
from verify.instances import approach_grid, blowup_time_of, depth3_named, integrate_at, positive_energy_state, split_state
from verify.measures import final_stage_holds, first_index_holding, stays_true_after


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    theorem = final_stage_theorem((3, 2))
    print("symbolic proof for widths (3, 2):", "proved" if theorem.proved else "NOT proved")
    for part in theorem.parts[-4:]:
        print("  -", part.name, "proved" if part.proved else "NOT proved")
    a, W, u = positive_energy_state(3, 2, seed=args.seed)
    t_star = blowup_time_of(a, W, u)
    times = approach_grid(t_star, 1 - 1e-6)
    holds = [final_stage_holds(*depth3_named(split_state(y, (3, 2)))) for y in integrate_at(a, W, u, times)]
    first = first_index_holding(holds)
    when = "never" if first is None else f"tau/T* = {times[first] / t_star:.6f}"
    print(f"condition first holds at {when}; stays afterwards: {stays_true_after(holds, first)}")


if __name__ == "__main__":
    main()
