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
