"""The result object every check returns (issue 4, README "Public API" → ``verify``)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from verify.display import CheckResultDisplay


def _jsonable(value: Any) -> Any:
    """Convert NumPy scalars/arrays and nested containers into plain JSON types.

    Non-finite floats become the strings ``"nan"``, ``"inf"``, ``"-inf"`` so that the output is
    strict JSON (``json.dumps(..., allow_nan=False)`` succeeds).
    """
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        if math.isfinite(value):
            return value
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if value is None or isinstance(value, str):
        return value
    return str(value)


def _format_number(value: Any) -> str:
    try:
        return f"{float(value):.12g}"
    except (TypeError, ValueError):
        return str(value)


@dataclass
class CheckResult(CheckResultDisplay):
    """Outcome of one theorem check.

    ``measured`` is the headline number the check compares with ``tolerance`` (what "compares"
    means — below, above, inside — is stated in ``details["criterion"]``); ``details`` holds the
    supporting numbers (tables, per-instance values, the parameters used).
    """

    name: str
    passed: bool
    measured: float
    tolerance: float
    details: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """A JSON-able dictionary (NumPy types converted, non-finite floats as strings)."""
        return {
            "name": self.name,
            "passed": bool(self.passed),
            "measured": _jsonable(self.measured),
            "tolerance": _jsonable(self.tolerance),
            "passes_if": self.passes_if,
            "details": _jsonable(self.details),
        }

    @property
    def direction(self) -> str:
        """How ``measured`` must compare with ``tolerance`` to pass: ``"<="`` (an error, smaller is
        better), ``">="`` (a margin, larger is better), or ``""`` when the criterion states neither.
        Read from the first comparison with the tolerance in ``details["criterion"]``."""
        criterion = str(self.details.get("criterion", ""))
        below, above = criterion.find("<="), criterion.find(">=")
        if above != -1 and (below == -1 or above < below):
            return ">="
        return "<=" if below != -1 else ""

    @property
    def passes_if(self) -> str:
        """``"measured <= 1e-13"``-style text of the pass condition on the headline number (other
        conditions, if any, are in ``details["criterion"]``)."""
        if not self.direction:
            return "see criterion"
        return f"{self.direction} {_format_number(self.tolerance)}"

    def __bool__(self) -> bool:  # ``assert check_x(...)`` reads naturally in user tests
        return bool(self.passed)


def combine_worst(name: str, results: list[CheckResult], details: dict | None = None) -> CheckResult:
    """One result from several instances of an error-like check (smaller ``measured`` is
    better): passed when all passed, ``measured`` the largest, tolerance of the first; the
    instances' details under ``details["per_instance"]`` (the worst one's criterion on top)."""
    if not results:
        raise ValueError("results: need at least one result")
    pool = [r for r in results if not r.passed] or results  # a failing instance is the worst
    worst = max(pool, key=lambda r: math.inf if math.isnan(r.measured) else r.measured)
    info = dict(details or {})
    info.update(criterion=worst.details.get("criterion", ""), worst_instance=results.index(worst),
                per_instance=[r.details for r in results])
    return CheckResult(name, all(r.passed for r in results), worst.measured, results[0].tolerance, info)
