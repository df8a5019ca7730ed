r"""Notebook display of the numerics' result objects (:class:`theory.ground.display.Displayable`).

* :class:`BlowupDisplay` — for :class:`numerics.blowup.BlowupResult`: :math:`T^*`, the bounds
  :math:`\sqrt3/\|y_0\| \le T^* \le E_0^{-1/3}` (depth 3) and where :math:`T^*` lies between them,
  the rate :math:`\lambda`, the reason when there is no blow-up;
* :class:`TrajectoryDisplay` — for :class:`numerics.integrate.Trajectory`: times, status, steps,
  and the plot of :math:`\|y(\tau)\|` (log scale), the quantity that blows up.

The history of every trainer displays itself through :class:`numerics.history.TrainingHistory`.
"""

from __future__ import annotations

import math

import numpy as np

from theory.ground.display import Displayable, Row, line_plot_png

__all__ = ["BlowupDisplay", "TrajectoryDisplay"]


class BlowupDisplay(Displayable):
    """Display mixin for ``BlowupResult`` (fields ``t_star``, ``lower``, ``upper``, ``rate``, ``blew_up``, ``diagnostics``)."""

    def _display_title(self) -> str:
        if self.blew_up:
            return f"BlowupResult: T* = {self.t_star:.12g}"
        return f"BlowupResult: no blow-up ({self.diagnostics.get('reason', 'see diagnostics')})"

    def _display_rows(self) -> list[Row]:
        rows: list[Row] = [("blew up", self.blew_up), ("T*", self.t_star), ("lower bound", self.lower),
                           ("upper bound", self.upper)]
        if self.blew_up and self.upper is not None and math.isfinite(self.t_star):
            span = self.upper - self.lower
            rows.append(("(T* - lower)/(upper - lower)", (self.t_star - self.lower) / span if span > 0 else math.nan))
        rows.append(("rate λ = L E(θ*)", self.rate))
        for key in ("depth", "widths", "r0", "method", "rtol", "reason"):
            if key in self.diagnostics:
                rows.append((key, self.diagnostics[key]))
        return rows


class TrajectoryDisplay(Displayable):
    """Display mixin for ``Trajectory`` (fields ``t``, ``y``, ``status``, ``message``, ``n_steps``, ``nfev``)."""

    def _display_title(self) -> str:
        return f"Trajectory: {len(self.t)} times in [{self.t[0]:.6g}, {self.t[-1]:.6g}]" if len(self.t) else "Trajectory"

    def _display_rows(self) -> list[Row]:
        norm = np.linalg.norm(np.asarray(self.y, dtype=float), axis=1) if len(self.t) else np.array([math.nan])
        return [("status", f"{self.status} ({self.message})"), ("state dimension", int(np.shape(self.y)[-1])),
                ("block shapes", list(self.shapes)), ("‖y‖ first", float(norm[0])), ("‖y‖ last", float(norm[-1])),
                ("accepted / rejected steps", f"{self.n_steps} / {self.n_rejected}"), ("field evaluations", self.nfev)]

    def _display_png(self) -> bytes | None:
        if len(self.t) < 2:
            return None
        norm = np.linalg.norm(np.asarray(self.y, dtype=float), axis=1)
        positive = norm > 0
        return line_plot_png(np.asarray(self.t)[positive], norm[positive], xlabel="τ", ylabel="‖y(τ)‖",
                             log_y=bool(np.all(positive)), title="norm of the state")
