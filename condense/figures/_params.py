"""Parameters of a figure module: defaults from its ``add_arguments`` and validation helpers."""

from __future__ import annotations

import argparse
from typing import Any, Callable


def resolve_parameters(
    add_arguments: Callable[[argparse.ArgumentParser], None], params: dict, quick: dict | None = None
) -> dict[str, Any]:
    """The module's defaults (from its options), then the ``quick`` defaults when given, then
    ``params`` (the values chosen explicitly, which always win); unknown names raise ``TypeError``."""
    parser = argparse.ArgumentParser(add_help=False)
    add_arguments(parser)
    defaults = vars(parser.parse_args([]))
    unknown = sorted(set(params) - set(defaults))
    if unknown:
        raise TypeError(f"unknown parameter(s) {unknown}; allowed: {sorted(defaults)}")
    return {**defaults, **(quick or {}), **params}


def require_int(p: dict, key: str, minimum: int) -> None:
    """``p[key]`` must be an int >= ``minimum``."""
    if isinstance(p[key], bool) or not isinstance(p[key], int) or p[key] < minimum:
        raise ValueError(f"{key}: must be an int >= {minimum}, got {p[key]!r}")


def require_range(p: dict, key: str, low: float, high: float = float("inf"), *, closed_high: bool = False) -> None:
    """``low < p[key] < high`` (``<= high`` when ``closed_high``)."""
    value = p[key]
    inside = low < value <= high if closed_high else low < value < high
    if not inside:
        bracket = "]" if closed_high else ")"
        raise ValueError(f"{key}: must lie in ({low:g}, {high:g}{bracket}, got {value!r}")


def activation_option(text: str) -> str:
    """``type=`` of an ``--activation`` option: a name of ``theory.activations.ACTIVATION_NAMES``
    or an expression in ``z`` (whitelist parser, no Python evaluated); returns the text stripped.
    Checked when the command line (or a config file) is read, before any work."""
    from theory.activations import parse_activation

    try:
        parse_activation(text)
    except (ValueError, TypeError) as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("activation: ")) from None
    return text.strip()


def split_activations(text: str) -> list[str]:
    """Split ``"relu, tanh, max(z, 0)"`` at the commas outside parentheses (stripped, empty parts dropped)."""
    parts, depth, current = [], 0, []
    for char in text:
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        depth += (char == "(") - (char == ")")
        current.append(char)
    parts.append("".join(current))
    return [part.strip() for part in parts if part.strip()]


def activations_option(text: str) -> str:
    """``type=`` of an ``--activations`` option: comma-separated activations, each checked by
    :func:`activation_option`; returns them joined by commas."""
    if not isinstance(text, str) or not text.strip():
        raise argparse.ArgumentTypeError("expected comma-separated activations, e.g. relu,tanh")
    names = split_activations(text)
    if not names:
        raise argparse.ArgumentTypeError(f"expected comma-separated activations, got {text!r}")
    return ",".join(activation_option(name) for name in names)
