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
                        help="tanh, sin, xtanh, x2tanh, softplus_shifted, sigmoid_shifted, or an expression "
                        "in z, e.g. 'z - z**3' (numbers, z, + - * / **, sin, tanh, exp, ...; relu is "
                        "refused: not smooth)")
    parser.add_argument("--widths", type=int, nargs="+", default=None,
                        help="hidden widths m1 ... m_{L-1} used for the explicit symbolic checks (default all 2)")
    parser.add_argument("--input-dim", type=int, default=None, help="input dimension d (default 2)")
    parser.add_argument("--out", default="derivation.md", help="Markdown output path; the .tex goes next to it")
    parser.set_defaults(func=run)


def _activation(text: str):
    """The activation as typed: a name or an expression in z, read by the whitelist parser
    (theory.activations.parse_activation; never sympify/eval). Raises ValueError before any work."""
    from theory.activations import parse_activation

    parse_activation(text, argument="--activation")
    return text.strip()


def run(args: argparse.Namespace) -> int:
    from theory.report import write_derivation

    from pathlib import Path

    from theory.ground.io import check_output_file

    activation = _activation(args.activation)  # checked before any work
    if Path(args.out).suffix.lower() == ".tex":
        raise ValueError(f"--out: give the Markdown path (e.g. derivation.md), got {args.out!r}")
    check_output_file(args.out)
    check_output_file(Path(args.out).with_suffix(".tex"))
    start = time.perf_counter()
    print(f"condense derive: depth {args.depth}, activation {args.activation} ...", file=sys.stderr)
    md_path, tex_path = write_derivation(args.out, args.depth, activation,
                                         args.widths, args.input_dim)
    print(f"condense derive: wrote {md_path} and {tex_path} in {time.perf_counter() - start:.1f} s",
          file=sys.stderr)
    print(md_path)
    return 0
