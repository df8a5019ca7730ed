"""The report's parameters: defaults, a JSON or TOML config file, and their validation.

A config file (``condense report --config FILE``; ``.toml`` is read with :mod:`tomllib`, anything
else as JSON) may contain::

    seed = 0                     # seed of every figure that does not set its own
    quick = false                # same as --quick (the command-line flag wins when given)
    figures = ["effective_model", "plateau_scaling"]   # a subset of the figures, in report order
    verify = true                # run the verification table (verify.run_all) and "Conjectures checked"
    conjectures = ["t_star <= 2*E0**(-1/3)"]   # claims for "Conjectures checked" (condense check syntax)

    [derivation]                 # the derivation section (theory.derive_effective_model)
    depth = 3
    activation = "tanh"          # or one per hidden layer: "tanh,sin" or ["tanh", "sin"]
    output_dim = 1               # several outputs: the deep matrix factorization energy
    bias = false                 # or one bool per weight layer, e.g. [true, false, false]
    widths = [2, 2]              # hidden widths of the explicit symbolic checks (default all 2)

    [figure.plateau_scaling]     # options of `condense figure plateau_scaling`, by dest name
    seed = 3
    depths = [2, 3]

Unknown keys, unknown figure names, unknown or ill-typed figure parameters, values outside a
figure's range (its ``_validate``) and activations that are neither a name nor an expression in
``z`` raise ``ValueError``/``TypeError`` naming the key and what is allowed, before anything is
computed.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from condense.figures import coerce_option, figure_options

TOP_LEVEL_KEYS = ("seed", "quick", "figures", "verify", "derivation", "figure", "conjectures")
DERIVATION_KEYS = {"depth": int, "activation": (str, list), "output_dim": int, "bias": (bool, list),
                   "widths": list}


@dataclass
class ReportConfig:
    """Everything the report is computed from (written into the report)."""

    seed: int = 0
    quick: bool = False
    figures: list[str] | None = None  # None: every discovered figure
    verify: bool = True
    derivation: dict[str, Any] = field(default_factory=lambda: {"depth": 3, "activation": "tanh"})
    figure_params: dict[str, dict[str, Any]] = field(default_factory=dict)  # NAME -> overrides
    source: str | None = None  # the config file it was read from
    conjectures: list[str] = field(default_factory=list)  # claims checked in "Conjectures checked"

    def seed_for(self, figure: str) -> int:
        return int(self.figure_params.get(figure, {}).get("seed", self.seed))

    def params_for(self, figure: str) -> dict[str, Any]:
        """The overrides of one figure, without the seed."""
        return {k: v for k, v in self.figure_params.get(figure, {}).items() if k != "seed"}


def read_config_file(path: str | Path) -> dict[str, Any]:
    """Parse a TOML (``.toml``) or JSON file into a dict; a clear error when it is not one."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"config: no such file {str(path)!r}")
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text) if path.suffix.lower() == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        kind = "TOML" if path.suffix.lower() == ".toml" else "JSON"
        raise ValueError(f"config: {str(path)!r} is not valid {kind}: {exc}") from None
    if not isinstance(data, dict):
        raise TypeError(f"config: {str(path)!r} must hold a table/object at top level, got {type(data).__name__}")
    return data


def parse_config(
    data: dict[str, Any], figures: dict[str, ModuleType], *, source: str | None = None
) -> ReportConfig:
    """Validate ``data`` (a parsed config file) against the discovered ``figures``."""
    unknown = sorted(set(data) - set(TOP_LEVEL_KEYS))
    if unknown:
        raise ValueError(f"config: unknown key(s) {unknown}; allowed keys are {list(TOP_LEVEL_KEYS)}")
    config = ReportConfig(source=source)
    if "seed" in data:
        config.seed = _seed("config: seed", data["seed"])
    for flag in ("quick", "verify"):
        if flag in data:
            if not isinstance(data[flag], bool):
                raise TypeError(f"config: {flag} must be true or false, got {data[flag]!r}")
            setattr(config, flag, data[flag])
    if "figures" in data:
        names = data["figures"]
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise TypeError(f"config: figures must be a list of figure names, got {names!r}")
        _known_figures("config: figures", names, figures)
        config.figures = [n for n in figures if n in names]  # report order
    if "derivation" in data:
        config.derivation.update(_derivation(data["derivation"]))
    if "conjectures" in data:
        config.conjectures = _conjectures(data["conjectures"])
    if "figure" in data:
        tables = data["figure"]
        if not isinstance(tables, dict):
            raise TypeError(f"config: figure must be a table of per-figure tables, got {tables!r}")
        _known_figures("config: figure", list(tables), figures)
        for name, params in tables.items():
            config.figure_params[name] = _figure_params(name, params, figures[name])
    return config


def load_config(path: str | Path | None, figures: dict[str, ModuleType]) -> ReportConfig:
    """Read and validate a config file; ``None`` gives the defaults."""
    if path is None:
        return ReportConfig()
    return parse_config(read_config_file(path), figures, source=str(path))


def _seed(where: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise TypeError(f"{where} must be an integer >= 0, got {value!r}")
    return value


def _known_figures(where: str, names: list[str], figures: dict[str, ModuleType]) -> None:
    unknown = [n for n in names if n not in figures]
    if unknown:
        raise ValueError(f"{where}: unknown figure(s) {unknown}; known figures are {list(figures)}")


def _derivation(table: Any) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise TypeError(f"config: derivation must be a table, got {table!r}")
    unknown = sorted(set(table) - set(DERIVATION_KEYS))
    if unknown:
        raise ValueError(f"config: derivation: unknown key(s) {unknown}; allowed keys are {list(DERIVATION_KEYS)}")
    for key, kind in DERIVATION_KEYS.items():
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if key in table and ((isinstance(table[key], bool) and bool not in kinds) or not isinstance(table[key], kinds)):
            names = " or ".join(k.__name__ for k in kinds)
            raise TypeError(f"config: derivation.{key} must be of type {names}, got {table[key]!r}")
    if "depth" in table and table["depth"] < 2:
        raise ValueError(f"config: derivation.depth must be >= 2, got {table['depth']}")
    table = dict(table)
    if isinstance(table.get("activation"), str) and "," in table["activation"]:
        from condense.figures._params import split_activations

        table["activation"] = split_activations(table["activation"])
    activations = table.get("activation", "tanh")
    for k, text in enumerate(activations if isinstance(activations, list) else [activations]):
        # the same language as everywhere (a name or an expression in z, whitelist parser), and
        # smooth at 0 with sigma(0) = 0, checked now: nothing is computed for a refused value
        from theory.activations import check_smooth_activation, parse_activation

        prefix = "config: derivation.activation" + (f"[{k}]" if isinstance(activations, list) else "")
        if not isinstance(text, str):
            raise TypeError(f"{prefix}: expected a name or an expression in z, got {text!r}")
        try:
            check_smooth_activation(parse_activation(text, argument=prefix))
        except ValueError as exc:
            message = str(exc)
            raise ValueError(message if message.startswith(prefix) else
                             f"{prefix}: {message.removeprefix('activation: ')}") from None
    if any(key in table for key in ("output_dim", "bias", "widths")) or isinstance(activations, list):
        # a general network (theory.Network): its own checks name the offending key
        try:
            derivation_network(table)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"config: derivation.{exc}") from None
    return table


def derivation_network(table: dict[str, Any]):
    """The :class:`theory.Network` a ``[derivation]`` table describes (depth, widths, output_dim,
    activation(s), bias(es))."""
    from theory.network import Network

    depth = table.get("depth", 3)
    widths = tuple(table.get("widths", (2,) * (depth - 1)))
    if len(widths) != depth - 1:
        raise ValueError(f"widths: need depth - 1 = {depth - 1} hidden widths, got {list(widths)}")
    activation = table.get("activation", "tanh")
    bias = table.get("bias", False)
    return Network(2, widths, table.get("output_dim", 1),
                   tuple(activation) if isinstance(activation, list) else activation,
                   tuple(bias) if isinstance(bias, list) else bias)


def _conjectures(claims: Any) -> list[str]:
    """Each claim parsed now (``verify.conjecture.parse_claim``), so a bad one fails before any work."""
    if not isinstance(claims, list) or not all(isinstance(c, str) for c in claims):
        raise TypeError(f"config: conjectures must be a list of claim strings, got {claims!r}")
    from verify.conjecture.claims import parse_claim

    for k, claim in enumerate(claims):
        parse_claim(claim, argument=f"config: conjectures[{k}]")
    return list(claims)


def _figure_params(name: str, params: Any, module: ModuleType) -> dict[str, Any]:
    if not isinstance(params, dict):
        raise TypeError(f"config: figure.{name} must be a table of parameters, got {params!r}")
    options = figure_options(module)
    allowed = sorted(["seed", *options])
    checked: dict[str, Any] = {}
    for key, value in params.items():
        if key == "seed":
            checked[key] = _seed(f"config: figure.{name}.seed", value)
        elif key in options:
            checked[key] = coerce_option(name, options[key], value)
        else:
            raise ValueError(f"config: figure.{name}: unknown parameter {key!r}; allowed parameters are {allowed}")
    _check_ranges(name, module, {k: v for k, v in checked.items() if k != "seed"})
    return checked


def _check_ranges(name: str, module: ModuleType, params: dict[str, Any]) -> None:
    """Run the figure's own range checks (its ``_validate(p)`` on the defaults updated by
    ``params``) now, so that a bad value is refused before the report computes anything."""
    from condense.figures._params import resolve_parameters

    validate = getattr(module, "_validate", None)
    if validate is None:
        return
    try:
        validate(resolve_parameters(module.add_arguments, params))
    except (ValueError, TypeError) as exc:
        raise type(exc)(f"config: figure.{name}: {exc}") from None
