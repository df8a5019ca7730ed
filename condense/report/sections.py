"""The Markdown of each part of the report: derivation, verification table, figures, parameters.

Every function here returns Markdown text; :mod:`condense.report.build` runs them, times them and
assembles the document.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Iterable, Sequence

from condense.figures._base import FigureResult


def derivation_markdown(depth: int = 3, activation: str | list = "tanh", **network_keys) -> str:
    """The derivation of the effective model (docs/mathematics.md#model to #blow-up), rendered by
    :func:`theory.report.derivation_markdown`; ``output_dim``, ``bias``, ``widths`` or a list of
    activations describe a general network (:func:`condense.report.config.derivation_network`)."""
    from theory.report import derivation_markdown as render

    if network_keys or isinstance(activation, list):
        from condense.report.config import derivation_network

        return render(network=derivation_network(dict(network_keys, depth=depth, activation=activation)))
    return render(depth=depth, activation=activation)


def verification_markdown(checks: Sequence[Any]) -> str:
    """A table of ``verify`` results (``CheckResult(name, passed, measured, tolerance, details)``)."""
    passed = sum(bool(c.passed) for c in checks)
    lines = [
        f"{passed} of {len(checks)} checks passed.",
        "",
        "| check | result | measured | tolerance | details |",
        "| --- | --- | --- | --- | --- |",
    ]
    for c in checks:
        lines.append(
            f"| {_cell(c.name)} | {_verdict(c.passed)} | {_cell(_fmt(c.measured))} | "
            f"{_cell(_fmt(c.tolerance))} | {_cell(_check_details(getattr(c, 'details', None)))} |"
        )
    return "\n".join(lines)


def _check_details(details: Any) -> str:
    """The criterion of a check (and its error, if it raised), not its whole table of numbers."""
    if not isinstance(details, dict):
        return _fmt(details) if details else ""
    parts = [str(details[k]) for k in ("criterion", "error") if details.get(k)]
    return "; ".join(parts)


def figure_markdown(
    result: FigureResult, figures_dir: Path, rel_dir: str, params: dict | None = None,
    computed: Iterable[str] = (),
) -> str:
    """One figure: claim, verdict, the PNG (with a link to the PDF), its summary and parameters
    (those named in ``computed`` are marked as computed by the run, not options)."""
    lines = [f"**Claim.** {result.claim}", "", f"**Check:** {_verdict(result.passed)}", ""]
    for path in result.paths:
        rel = f"{rel_dir}/{Path(path).relative_to(figures_dir).as_posix()}"
        if Path(path).suffix == ".png":
            lines += [f"![{result.title}]({rel})", ""]
        else:
            lines.append(f"[{Path(path).suffix[1:].upper()} version]({rel})  ")
    if result.summary:
        lines += ["", result.summary.strip()]
    lines += ["", f"Parameters: {parameters_inline(result.params if params is None else params, computed)}"]
    return "\n".join(lines)


def failure_markdown(what: str, error: str) -> str:
    """A failed part of the report: it stays visible in the report, with the traceback."""
    return f"**Check:** FAILED: {what} raised an error; the report is incomplete.\n\n```\n{error.rstrip()}\n```"


COMPUTED = "(computed)"


def parameters_inline(params: dict[str, Any], computed: Iterable[str] = ()) -> str:
    """```k=v`` `` for every parameter; those in ``computed`` (results of the run, not options) marked."""
    if not params:
        return "(none)"
    computed = set(computed)
    return ", ".join(f"`{k}={_fmt(v)}`" + (f" {COMPUTED}" if k in computed else "") for k, v in params.items())


def parameters_table(rows: Iterable[tuple]) -> str:
    """``| part | parameter | value |`` for every part of the report and every parameter it used.

    A row is ``(part, params)`` or ``(part, params, computed)``; the names in ``computed`` are values
    the run computed (not options to set) and are marked so."""
    lines = ["| part | parameter | value |", "| --- | --- | --- |"]
    for part, params, *rest in rows:
        computed = set(rest[0]) if rest else set()
        for key, value in params.items():
            mark = f" {COMPUTED}" if key in computed else ""
            lines.append(f"| {_cell(part)} | `{key}`{mark} | `{_cell(_fmt(value))}` |")
    return "\n".join(lines)


def _verdict(passed: bool | None) -> str:
    return {True: "passed", False: "**FAILED**", None: "no check"}[None if passed is None else bool(passed)]


def _fmt(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, float) or hasattr(value, "dtype") and getattr(value, "ndim", 1) == 0:
        value = float(value)
        if math.isfinite(value) and value != 0 and not 1e-3 <= abs(value) < 1e5:
            return f"{value:.3e}"
        return f"{value:.6g}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    if isinstance(value, dict):
        return ", ".join(f"{k}={_fmt(v)}" for k, v in value.items())
    return str(value)


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell (one line, escaped pipes)."""
    return " ".join(str(text).split()).replace("|", "\\|")
