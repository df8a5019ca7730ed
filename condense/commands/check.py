"""``condense check``: test your own conjecture on the effective flow (verify.conjecture).

    condense check "t_star <= E0**(-1/3)" [--depth 3] [--widths 1..6] [--examples 500] [--seed N] [--json]
    condense check --conserved "norm(a)**2 - norm(W)**2" [--depth 3] [--widths 1..6]
    condense check --sharp "t_star" "E0**(-1/3)"

Exit status 0 when the claim is proved or survived, 1 when it is refuted, 2 on bad input (a
name not in the case, a syntax error: the message lists the allowed names).
"""

from __future__ import annotations

import argparse
import sys


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "check",
        help="prove, refute (shrunk counterexample) or measure the sharpness of your own conjecture",
        description="Check a claim 'lhs OP rhs' (OP one of <=, <, >=, >) over random reduced states of the "
        "effective flow, a conservation law (--conserved EXPR), or the sharpness of a bound lhs <= rhs "
        "(--sharp LHS RHS). Names: t_star, r0, E0, lower, upper, depth, rate, E_half, norm(u), norm(W), "
        "norm(a) (norm(W2), norm(W3), ... at depth >= 4). Exit 0 proved/survived, 1 refuted, 2 bad input.",
    )
    parser.add_argument("claim", nargs="?", help="an inequality over the case's named quantities")
    parser.add_argument("--conserved", metavar="EXPR", help="a quantity claimed conserved along the flow")
    parser.add_argument("--sharp", nargs=2, metavar=("LHS", "RHS"), help="supremum of LHS/RHS for a bound LHS <= RHS")
    parser.add_argument("--depth", type=int, default=3, help="depth L of the reduced states, 3..8 (default 3)")
    parser.add_argument("--widths", default="1..6", help="range of every hidden width, LOW..HIGH (default 1..6)")
    parser.add_argument("--examples", type=int, default=None,
                        help="example budget (default 500; --sharp 300; --conserved 30 per width set)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the search (default 0)")
    parser.add_argument("--network", action="store_true",
                        help="cases are small tanh networks + data + eps in [1e-3, 1e-2] trained by GD "
                        "(adds epsilon, predicted_escape, observed_escape, lr; default budget 30)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(func=run)


def _width_sets(depth: int, low: int, high: int) -> list[tuple[int, ...]]:
    """Width tuples a conservation claim is checked at: all LOW, increasing LOW..HIGH, all HIGH."""
    n = depth - 1
    ramp = tuple(low + (high - low) * k // max(n - 1, 1) for k in range(n))
    out = []
    for ws in ((low,) * n, ramp, (high,) * n):
        if ws not in out:
            out.append(ws)
    return out


def _case_text(case) -> str:
    return f"widths {tuple(case.widths)}: {case.describe()}"


def _undefined(args: argparse.Namespace, result, text: str) -> int:
    """No case had both sides defined and finite: nothing was checked, which is bad input (exit 2),
    never 'survived' nor a sharpness 'fails'."""
    import json

    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    print(f"condense: error: {text}: a side is undefined or not finite on every one of the {result.examples} "
          f"cases, so nothing was checked (check the claim's sides, --depth and --widths)", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    import json

    chosen = [x for x in (args.claim, args.conserved, args.sharp) if x is not None]
    if len(chosen) != 1:
        raise ValueError("check: give exactly one of CLAIM, --conserved EXPR, --sharp LHS RHS")
    from theory.ground.checks import check_int, check_seed

    if not 3 <= args.depth <= 8:
        raise ValueError(f"--depth: must be an integer in [3, 8] (depth 2 never blows up), got {args.depth}")
    check_seed(args.seed, "--seed")
    if args.examples is not None:
        check_int(args.examples, "--examples", 1, 100_000)
    try:
        import hypothesis  # noqa: F401
    except ImportError:
        print("condense: error: check needs Hypothesis: pip install 'condense[test]'", file=sys.stderr)
        return 2
    from verify import conjecture as cj
    from verify.conjecture.cases import parse_width_range

    low, high = parse_width_range(args.widths, "--widths")
    seed = args.seed
    repro = f"--depth {args.depth} --widths {low}..{high} --seed {seed}"
    if args.conserved is not None:
        from theory import reduced_model

        results = []
        for ws in _width_sets(args.depth, low, high):
            model = reduced_model(ws)
            results.append((ws, cj.conserved(args.conserved, model, seed=seed, examples=args.examples or 30)))
        statuses = [r.status for _, r in results]
        status = "refuted" if "refuted" in statuses else ("proved" if all(s == "proved" for s in statuses) else "survived")
        if args.json:
            print(json.dumps({"conserved": args.conserved, "status": status,
                              "widths": {str(ws): r.to_dict() for ws, r in results}}, indent=2, default=str))
        else:
            for ws, r in results:
                if r.status == "proved":
                    print(f"proved at widths {ws}: d/dtau ({args.conserved}) expands to 0")
                elif r.status == "survived":
                    print(f"survived at widths {ws}: {r.examples} states integrated, largest relative drift "
                          f"{r.drift:.3g} <= {r.tolerance:g}")
                else:
                    print(f"refuted at widths {ws}: d/dtau = {r.rows()[2][1]}; relative drift {r.drift:.3g} from "
                          f"{r.counterexample} (reproduce: condense check --conserved '{args.conserved}' {repro})")
        return 1 if status == "refuted" else 0

    if args.network:
        over = cj.network_cases(depth=args.depth, widths=(low, high))
        repro += " --network"
    else:
        over = cj.cases(depth=args.depth, widths=(low, high))
    default_examples = 30 if args.network else None
    if args.sharp is not None:
        lhs, rhs = args.sharp
        r = cj.sharpness(lhs, rhs, over=over, examples=args.examples or default_examples or 300, seed=seed)
        if r.status == "undefined":
            return _undefined(args, r, f"{lhs} / ({rhs})")
        if args.json:
            print(json.dumps(r.to_dict(), indent=2))
        else:
            where = _case_text(r.attained_at) if r.attained_at is not None else "-"
            structure = ", ".join(f"{k} {v:.3g}" for k, v in r.structure.items())
            print(f"sup {lhs} / ({rhs}) = {r.best:.15g} ({r.looks}; {r.examples} examples, {r.skipped} skipped) "
                  f"at {where}" + (f" [{structure}]" if structure else ""))
            print(f"{r.status}: the bound {lhs} <= {rhs} " + ("holds on every case seen" if r.status == "survived"
                                                              else "fails (constant > 1)"))
        return 1 if r.status == "refuted" else 0

    r = cj.inequality(args.claim, over=over, examples=args.examples or default_examples or 500, seed=seed)
    if r.status == "undefined":
        return _undefined(args, r, args.claim)
    if args.json:
        print(json.dumps(r.to_dict(), indent=2))
    elif r.status == "survived":
        where = _case_text(r.tightest_case) if r.tightest_case is not None else "-"
        print(f"survived {r.examples} examples ({r.skipped} skipped: a side undefined); tightest relative margin "
              f"{r.tightest_margin:.3g} at {where}")
    else:
        print(f"refuted: {args.claim} fails at {_case_text(r.counterexample)}: lhs = {r.lhs:.15g}, rhs = {r.rhs:.15g} "
              f"(found at example {r.examples}, shrunk over {r.shrink_calls} more; "
              f"reproduce: condense check '{args.claim}' {repro})")
    return 1 if r.status == "refuted" else 0
