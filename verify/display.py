"""Notebook display of check results (:class:`theory.ground.display.Displayable`): the verdict, the
measured value against its tolerance, the criterion in words and the scalar details."""

from __future__ import annotations

from numbers import Real

from theory.ground.display import Displayable, Row

__all__ = ["CheckResultDisplay"]


class CheckResultDisplay(Displayable):
    """Display mixin for ``CheckResult`` (fields ``name``, ``passed``, ``measured``, ``tolerance``, ``details``)."""

    def _display_title(self) -> str:
        return f"{self.name}: {'PASS' if self.passed else 'FAIL'}"

    def _display_rows(self) -> list[Row]:
        rows: list[Row] = [("passed", bool(self.passed)), ("measured", self.measured), ("tolerance", self.tolerance)]
        for key, value in self.details.items():
            if key == "traceback":
                continue
            if isinstance(value, (str, bool, Real)) or value is None:
                rows.append((key, value))
        return rows
