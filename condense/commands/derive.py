"""``condense derive``: write the symbolic derivation of the effective model (Markdown + LaTeX)."""

from __future__ import annotations

import argparse
import sys
import time


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "derive",
        help="derive the effective model symbolically and write the derivation (Markdown + .tex)",
        description="Expand the network output in the initialization scale, derive the effective "
        "energy, flow and time rescaling, prove the conservation laws and the blow-up bounds, and "
        "write it all as Markdown ($$ blocks) and a standalone .tex with the same stem.",
    )
    parser.add_argument("--depth", type=int, default=3, help="number of weight layers L >= 2 (default 3)")
    parser.add_argument("--activation", default="tanh",
                        help="tanh, sin, xtanh, x2tanh, softplus_shifted, sigmoid_shifted, or a SymPy "
                        "expression in one variable, e.g. 'z - z**3' (relu is refused: not smooth)")
    parser.add_argument("--widths", type=int, nargs="+", default=None,
                        help="hidden widths m1 ... m_{L-1} used for the explicit symbolic checks (default all 2)")
    parser.add_argument("--input-dim", type=int, default=None, help="input dimension d (default 2)")
    parser.add_argument("--out", default="derivation.md", help="Markdown output path; the .tex goes next to it")
    parser.set_defaults(func=run)


def _activation(text: str):
    from theory.activations import ACTIVATION_NAMES

    if text in ACTIVATION_NAMES:
        return text
    import sympy as sp

    try:
        expr = sp.sympify(text)
    except (sp.SympifyError, SyntaxError, TypeError) as exc:
        raise ValueError(f"activation: not a known name nor a SymPy expression: {text!r} ({exc})") from None
    if isinstance(expr, sp.Symbol) and expr.name not in ("z", "x"):
        # a misspelt name ('Tanh', 'tanhh') would otherwise be read as the identity sigma(z) = z
        raise ValueError(
            f"activation: unknown name {text!r}; allowed: {', '.join(ACTIVATION_NAMES)}, or an expression "
            "in the variable z such as 'z - z**3' ('z' alone is the identity)"
        )
    return expr


def run(args: argparse.Namespace) -> int:
    from theory.report import write_derivation

    start = time.perf_counter()
    print(f"condense derive: depth {args.depth}, activation {args.activation} ...", file=sys.stderr)
    md_path, tex_path = write_derivation(args.out, args.depth, _activation(args.activation),
                                         args.widths, args.input_dim)
    print(f"condense derive: wrote {md_path} and {tex_path} in {time.perf_counter() - start:.1f} s",
          file=sys.stderr)
    print(md_path)
    return 0
