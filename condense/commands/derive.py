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
        "energy, flow and time rescaling, say which term leads and why, prove the conservation laws "
        "and the blow-up bounds, and write it all as Markdown ($$ blocks) and a standalone .tex with "
        "the same stem.",
    )
    parser.add_argument("--depth", type=int, default=3, help="number of weight layers L >= 2 (default 3)")
    parser.add_argument("--activation", default="tanh",
                        help="tanh, sin, xtanh, x2tanh, softplus_shifted, sigmoid_shifted, or an expression "
                        "in z such as 'z - z**3' (relu is refused: not smooth); a comma-separated list gives one "
                        "per hidden layer, e.g. 'tanh,sin' for depth 3")
    parser.add_argument("--widths", type=int, nargs="+", default=None,
                        help="hidden widths m1 ... m_{L-1} used for the explicit symbolic checks (default all 2)")
    parser.add_argument("--input-dim", type=int, default=None, help="input dimension d (default 2)")
    parser.add_argument("--output-dim", type=int, default=1, help="number of outputs k >= 1 (default 1)")
    parser.add_argument("--bias", default="none",
                        help="which weight layers have a bias: 'none' (default), 'all', or layer numbers "
                        "1..L separated by commas (L is the output layer), e.g. '1' or '2'")
    parser.add_argument("--out", default="derivation.md", help="Markdown output path; the .tex goes next to it")
    parser.set_defaults(func=run)


def _activation(text: str):
    """The activation as typed: a name or an expression in z, read by the whitelist parser
    (theory.activations.parse_activation; never sympify/eval). Raises ValueError before any work."""
    from theory.activations import parse_activation

    parse_activation(text, argument="--activation")
    return text.strip()


def _activations(text: str):
    parts = [p for p in text.split(",")]
    if any(not p.strip() for p in parts):
        raise ValueError(f"--activation: empty entry in {text!r}")
    values = [_activation(p) for p in parts]
    return values[0] if len(values) == 1 else tuple(values)


def _bias(text: str, depth: int):
    text = text.strip().lower()
    if text == "none":
        return False
    if text == "all":
        return True
    layers = set()
    for part in text.split(","):
        try:
            layer = int(part)
        except ValueError:
            raise ValueError(f"--bias: expected 'none', 'all' or layer numbers 1..{depth}, got {text!r}") from None
        if not 1 <= layer <= depth:
            raise ValueError(f"--bias: layer {layer} is not in 1..{depth} (depth {depth}; {depth} is the output layer)")
        layers.add(layer)
    return tuple(k in layers for k in range(1, depth + 1))


def run(args: argparse.Namespace) -> int:
    from theory.network import Network
    from theory.report import write_derivation

    from pathlib import Path

    from theory.ground.io import check_output_file

    activation = _activations(args.activation)  # checked before any work
    if Path(args.out).suffix.lower() == ".tex":
        raise ValueError(f"--out: give the Markdown path (e.g. derivation.md), got {args.out!r}")
    check_output_file(args.out)
    check_output_file(Path(args.out).with_suffix(".tex"))
    start = time.perf_counter()
    if args.depth < 2:
        raise ValueError(f"--depth: must be an int >= 2 (number of weight layers), got {args.depth}")
    widths = tuple(args.widths) if args.widths is not None else (2,) * (args.depth - 1)
    if len(widths) != args.depth - 1:
        raise ValueError(f"--widths: need depth - 1 = {args.depth - 1} hidden widths, got {len(widths)}")
    try:
        network = Network(2 if args.input_dim is None else args.input_dim, widths, args.output_dim, activation,
                          _bias(args.bias, args.depth))
    except ValueError as exc:
        raise ValueError("--" + str(exc).replace("_", "-", 1) if str(exc).split(":")[0] in
                         ("input_dim", "output_dim", "widths", "activation", "bias") else str(exc)) from None
    print(f"condense derive: {network.describe()} ...", file=sys.stderr)
    md_path, tex_path = write_derivation(args.out, network=network, progress=True)
    print(f"condense derive: wrote {md_path} and {tex_path} in {time.perf_counter() - start:.1f} s",
          file=sys.stderr)
    print(md_path)
    return 0
