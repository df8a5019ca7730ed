"""Result records of the conjecture instruments: dataclasses with ``status``, a JSON form and
notebook tables (``_repr_markdown_``, ``_repr_html_``)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from theory.ground.display import Displayable, line_plot_png
from verify.result import _jsonable


def _fmt(value: Any) -> Any:
    """Cells: floats with 15 significant digits (a sharpness of 1 + 2e-13 must show), cases as
    their widths and entries; the rest as ``theory.ground.display.format_value`` shows it."""
    if isinstance(value, float):
        return "undefined" if math.isnan(value) else f"{value:.15g}"
    if hasattr(value, "describe") and hasattr(value, "widths"):
        return f"widths {tuple(value.widths)}: {value.describe()}"
    return value


def _short_text(value, limit: int = 300) -> str:
    text = str(value)
    return text if len(text) <= limit else text[:limit] + f" ... ({len(text)} characters)"


class _Table(Displayable):
    """Mixin: ``rows()`` → (field, value) pairs, shown by :class:`theory.ground.display.Displayable`
    in notebooks (``_repr_html_``, ``_repr_markdown_``) and written by :meth:`to_dict`."""

    def rows(self) -> list[tuple[str, Any]]:  # pragma: no cover - overridden
        raise NotImplementedError

    def _display_title(self) -> str:
        return f"{type(self).__name__}: {self.status}"

    def _display_rows(self) -> list[tuple[str, Any]]:
        return [(key, _fmt(value)) for key, value in self.rows()]

    def to_dict(self) -> dict:
        out = {}
        for key, value in self.rows():
            out[key] = value.to_dict() if hasattr(value, "to_dict") else value
        return _jsonable(out)

    def __bool__(self) -> bool:
        return self.status in ("proved", "survived", "consistent")


@dataclass
class InequalityResult(_Table):
    r"""Outcome of :func:`verify.conjecture.inequality`.

    ``status``: ``"refuted"`` (``counterexample`` is the shrunk failing case, ``lhs``/``rhs`` its
    sides), ``"survived"``, or ``"undefined"`` (no case had both sides defined and finite, e.g. a
    side that is always infinite: nothing was checked); ``examples``: cases generated up to the first refuting one, or all
    (``skipped`` of them had an undefined or non-finite side); ``shrink_calls``: cases evaluated
    while shrinking the counterexample; ``tightest_margin`` the smallest relative margin among the defined cases
    (``tightest_case`` where), ``tightest_ratio`` the largest lhs/rhs (for ``>=``: rhs/lhs)."""

    claim: str
    status: str
    examples: int
    skipped: int
    tightest_margin: float
    tightest_ratio: float
    tightest_case: Any = None
    counterexample: Any = None
    lhs: float = math.nan
    rhs: float = math.nan
    seed: int = 0
    rtol: float = 0.0
    shrink_calls: int = 0
    details: dict = field(default_factory=dict)

    def rows(self):
        rows = [("claim", self.claim), ("status", self.status), ("examples", self.examples),
                ("skipped (undefined side)", self.skipped), ("seed", self.seed)]
        if self.counterexample is not None:
            rows += [("counterexample", self.counterexample), ("lhs", self.lhs), ("rhs", self.rhs),
                     ("cases evaluated while shrinking", self.shrink_calls)]
        rows += [("tightest margin", self.tightest_margin), ("largest lhs/rhs", self.tightest_ratio)]
        if self.tightest_case is not None:
            rows.append(("tightest at", self.tightest_case))
        return rows


@dataclass
class SharpnessResult(_Table):
    r"""Outcome of :func:`verify.conjecture.sharpness`: ``best`` the largest lhs/rhs found
    (the bound holds with constant 1 when ``best <= 1 + rtol``; ``status`` ``"survived"`` then,
    else ``"refuted"``), ``attained_at`` the case, ``looks`` ``"attained"`` (the polished optimum
    is an interior, non-degenerate state where the optimizer converged), ``"approached"`` (the
    optimizer ran to a degenerate state: a limit) or ``"not converged"`` (still improving: a larger
    budget is needed), ``structure`` what the attaining state looks like (balancedness, rank,
    singular pair)."""

    lhs: str
    rhs: str
    status: str
    best: float
    attained_at: Any
    looks: str
    examples: int
    skipped: int
    search_best: float
    structure: dict = field(default_factory=dict)
    seed: int = 0
    details: dict = field(default_factory=dict)

    def rows(self):
        return [("bound", f"{self.lhs} <= {self.rhs}"), ("status", self.status),
                ("sup lhs/rhs", self.best), ("after search (before polishing)", self.search_best),
                ("looks", self.looks), ("attained at", self.attained_at),
                *[(k, v) for k, v in self.structure.items()],
                ("examples", self.examples), ("skipped (undefined side)", self.skipped), ("seed", self.seed)]


@dataclass
class ConservedResult(_Table):
    r"""Outcome of :func:`verify.conjecture.conserved`: ``status`` ``"proved"`` (the derivative
    along the flow expands to zero), ``"survived"`` (not proved, but the largest relative drift over
    the integrated states stayed at round-off), or ``"refuted"`` (``counterexample`` the state,
    ``drift`` its relative drift)."""

    expression: str
    status: str
    derivative: Any
    drift: float
    examples: int
    tolerance: float
    counterexample: Any = None
    seed: int = 0
    details: dict = field(default_factory=dict)

    def rows(self):
        multiple = self.details.get("derivative_over_energy")
        rows = [("expression", self.expression), ("status", self.status),
                ("d/dtau (expanded)", f"{multiple:g}*E" if multiple is not None else _short_text(self.derivative))]
        if self.status != "proved":
            rows += [("largest relative drift", self.drift), ("tolerance", self.tolerance),
                     ("states integrated", self.examples), ("seed", self.seed)]
        if self.counterexample is not None:
            rows.append(("counterexample", self.counterexample))
        return rows


@dataclass
class RateResult(_Table):
    r"""Outcome of :func:`verify.conjecture.rate`: the fit :math:`q \approx C x^p` (``exponent``
    :math:`p \pm` ``exponent_error``, ``constant`` :math:`C \pm` ``constant_error``, one standard
    error of the least-squares fit of :math:`\log q` on :math:`\log x`), ``limit_constant`` the
    constant extrapolated to :math:`x \to 0` with the expected exponent, ``status``
    ``"consistent"`` / ``"refuted"`` against ``expected``."""

    quantity: str
    status: str
    exponent: float
    exponent_error: float
    constant: float
    constant_error: float
    limit_constant: float
    expected_exponent: float | None
    expected_constant: float | None
    x: list = field(default_factory=list)
    values: list = field(default_factory=list)
    details: dict = field(default_factory=dict)

    def rows(self):
        return [("quantity", self.quantity), ("status", self.status),
                ("exponent", f"{self.exponent:.8g} ± {self.exponent_error:.2g}"),
                ("expected exponent", self.expected_exponent),
                ("constant", f"{self.constant:.10g} ± {self.constant_error:.2g}"),
                ("constant extrapolated to x → 0", self.limit_constant),
                ("expected constant", self.expected_constant), ("points", len(self.x))]

    def _display_png(self) -> bytes | None:
        if len(self.x) < 2 or min(self.x) <= 0 or min(self.values) <= 0:
            return None
        label = "q" if self.quantity.startswith("<") else self.quantity
        return line_plot_png(self.x, self.values, xlabel="x", ylabel=label, log_x=True, log_y=True,
                             title=f"fitted exponent {self.exponent:.4g}")
