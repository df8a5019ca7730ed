"""Figures of the report; each module here is one figure (protocol in :mod:`condense.figures._base`).

Figure modules are discovered with :mod:`pkgutil` (modules whose name starts with ``_`` are
skipped), so adding ``condense/figures/<name>.py`` that follows the protocol is enough for it to
appear in ``condense figure --help`` and in ``condense report``.  Importing a figure module must
stay cheap: heavy imports belong inside ``make``.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
from dataclasses import dataclass
from types import ModuleType
from typing import Any

#: The order of the figures in the report (module names); modules not listed come after, sorted.
FIGURE_ORDER: tuple[str, ...] = (
    "loss_condensation",
    "final_stage",
    "matrix_factorization",
    "effective_model",
    "plateau_scaling",
    "feature_maps",
    "phase_diagram",
    "feature_maps_relu",
    "stages",
)

_REQUIRED = ("NAME", "TITLE", "CLAIM", "add_arguments", "make")

#: Options the caller adds to every figure (modules must not add them).
COMMON_OPTIONS = ("seed", "quick", "out")


@dataclass(frozen=True)
class BrokenFigure:
    """A figure module that could not be imported or does not follow the protocol."""

    module: str
    error: str


def _order_key(module_name: str) -> tuple[int, str]:
    if module_name in FIGURE_ORDER:
        return (FIGURE_ORDER.index(module_name), module_name)
    return (len(FIGURE_ORDER), module_name)


def discover_figures() -> tuple[dict[str, ModuleType], list[BrokenFigure]]:
    """Import every public module of this package.

    Returns ``(figures, broken)``: ``figures`` maps each module's ``NAME`` to the module, in report
    order (:data:`FIGURE_ORDER`, unknown modules last, alphabetically); ``broken`` lists the modules
    that raised on import or lack one of ``NAME, TITLE, CLAIM, add_arguments, make``.
    """
    infos = [info for info in pkgutil.iter_modules(__path__) if not info.name.startswith("_")]
    figures: dict[str, ModuleType] = {}
    broken: list[BrokenFigure] = []
    for info in sorted(infos, key=lambda i: _order_key(i.name)):
        try:
            module = importlib.import_module(f"{__name__}.{info.name}")
        except Exception as exc:  # a broken module must not hide the others
            broken.append(BrokenFigure(info.name, f"import failed: {type(exc).__name__}: {exc}"))
            continue
        missing = [attr for attr in _REQUIRED if not hasattr(module, attr)]
        if missing:
            broken.append(BrokenFigure(info.name, f"not a figure module: missing {', '.join(missing)}"))
            continue
        if module.NAME in figures:
            broken.append(BrokenFigure(info.name, f"duplicate figure NAME {module.NAME!r}"))
            continue
        figures[module.NAME] = module
    return figures, broken


def figure_options(module: ModuleType) -> dict[str, argparse.Action]:
    """The options a figure module adds (``dest -> argparse.Action``), as ``add_arguments`` defines them."""
    parser = argparse.ArgumentParser(add_help=False)
    module.add_arguments(parser)
    return {action.dest: action for action in parser._actions}


def figure_defaults(module: ModuleType) -> dict[str, Any]:
    """The default value of every option of a figure module (``dest -> default``)."""
    return {dest: action.default for dest, action in figure_options(module).items()}


def coerce_option(figure: str, action: argparse.Action, value: Any) -> Any:
    """Check a parameter value given outside the command line (a config file) against its option.

    Raises ``ValueError``/``TypeError`` naming the figure, the parameter and what is allowed.
    """
    where = f"figure {figure!r}, parameter {action.dest!r}"
    if action.nargs not in (None, "?") or isinstance(action, argparse._AppendAction):
        if not isinstance(value, list | tuple):
            raise TypeError(f"{where}: expected a list, got {value!r}")
        return [coerce_option(figure, _scalar_view(action), v) for v in value]
    if isinstance(action, argparse._StoreTrueAction | argparse._StoreFalseAction):
        if not isinstance(value, bool):
            raise TypeError(f"{where}: expected true or false, got {value!r}")
        return value
    kind = action.type
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{where}: expected an integer, got {value!r}")
    elif kind is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"{where}: expected a number, got {value!r}")
        value = float(value)
    elif kind is None or kind is str:
        if isinstance(value, list | tuple) and "comma-separated" in (action.help or "") and all(
            isinstance(v, str) and "," not in v for v in value
        ):  # a config list for a comma-separated text option, e.g. activations = ["relu", "tanh"]
            value = ",".join(value)
        if not isinstance(value, str):
            raise TypeError(f"{where}: expected a string, got {value!r}")
    elif callable(kind):  # a parser of the command-line text, e.g. comma-separated numbers
        if isinstance(value, list | tuple):  # a config list stands for the comma-separated text
            text = ",".join(str(v) for v in value)
        else:
            text = value if isinstance(value, str) else str(value)
        try:
            value = kind(text)
        except (argparse.ArgumentTypeError, ValueError, TypeError) as exc:
            raise ValueError(f"{where}: {exc}") from None
    if action.choices is not None and value not in action.choices:
        raise ValueError(f"{where}: {value!r} is not one of {list(action.choices)}")
    return value


def _scalar_view(action: argparse.Action) -> argparse.Action:
    return argparse.Action(
        option_strings=action.option_strings, dest=action.dest, type=action.type, choices=action.choices
    )
