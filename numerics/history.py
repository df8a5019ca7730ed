r"""The one result type of every gradient-descent driver in :mod:`numerics`.

:func:`numerics.training.train_network` (deep networks), :func:`numerics.two_layer.train_two_layer`
(the two-layer phase-diagram model) and :func:`numerics.matrix_factorization.train_factorization`
(deep matrix factorization) all return a :class:`TrainingHistory` (the latter two a subclass
with their extra fields), so the same code reads any of them:

* ``loss[k]``: the loss :math:`R(\theta_k)` *before* update :math:`k`, for
  :math:`k = 0, \dots, \text{steps\_done} - 1` (when training diverged, ``loss[-1]`` is the first
  non-finite value); the two-layer driver also stores the loss after its last update, so there
  ``len(loss) == steps_done + 1``. ``final_loss`` is the loss of ``weights``.
* ``record_steps`` (iterations) and ``snapshots`` (weight lists at those iterations, input to
  output like ``weights``);
* ``weights``: the weights at the last iteration reached, input to output;
* ``status``: ``"completed"`` (all requested steps), ``"converged"`` (loss tolerance reached),
  ``"max_steps"`` (two-layer: stopped at the step limit before the tolerance), ``"stalled"``
  (two-layer: no progress within ``patience``), ``"diverged"`` (a non-finite loss);
  ``diverged`` is ``status == "diverged"``; ``message`` says what happened in words;
* ``lr``, ``activation``, ``steps`` (requested), ``steps_done`` (updates done), ``wall_time``
  (seconds).

In a notebook a history shows itself as a table of these numbers with its loss curve
(:class:`theory.ground.display.Displayable`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from theory.ground.display import Displayable, Row, line_plot_png

__all__ = ["TrainingHistory", "STATUSES"]

#: The values of :attr:`TrainingHistory.status`.
STATUSES = ("completed", "converged", "max_steps", "stalled", "diverged")


@dataclass
class TrainingHistory(Displayable):
    """Result of a gradient-descent run (module docstring)."""

    loss: np.ndarray
    record_steps: np.ndarray
    snapshots: list
    weights: list
    diverged: bool
    message: str
    lr: float
    activation: str
    steps: int
    final_loss: float = math.nan
    wall_time: float = 0.0
    status: str = ""
    steps_done: int = -1

    def __post_init__(self):
        if not self.status:
            self.status = "diverged" if self.diverged else "completed"
        if self.status not in STATUSES:
            raise ValueError(f"status: must be one of {', '.join(STATUSES)}, got {self.status!r}")
        if self.steps_done < 0:
            self.steps_done = len(self.loss) - 1 if self.diverged else len(self.loss)

    # ------------------------------------------------------------------ notebook display

    def _display_title(self) -> str:
        return f"{type(self).__name__}: {self.message}"

    def _display_rows(self) -> list[Row]:
        loss = np.asarray(self.loss, dtype=float)
        rows = [
            ("status", self.status),
            ("steps done / requested", f"{self.steps_done} / {self.steps}"),
            ("learning rate", self.lr),
            ("activation", self.activation or "-"),
            ("initial loss", float(loss[0]) if loss.size else math.nan),
            ("final loss", self.final_loss),
            ("records", len(self.record_steps)),
            ("wall time (s)", self.wall_time),
        ]
        return rows

    def _display_png(self) -> bytes | None:
        loss = np.asarray(self.loss, dtype=float)
        keep = np.isfinite(loss) & (loss > 0)
        if keep.sum() < 2:
            return None
        steps = np.arange(loss.size)[keep]
        return line_plot_png(steps + 1, loss[keep], xlabel="iteration + 1", ylabel="loss", log_x=True, log_y=True,
                             title="training loss")
