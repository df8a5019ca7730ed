"""What every figure module shares: the result record, the style, and atomic saving.

A figure module ``condense/figures/<name>.py`` defines

* ``NAME`` (str, used as ``condense figure NAME``), ``TITLE`` (str), ``CLAIM`` (str: the theorem
  or claim it illustrates, with its section of docs/mathematics.md);
* ``add_arguments(parser: argparse.ArgumentParser) -> None``: its parameters as options with
  defaults (``--seed`` and ``--quick`` are added by the caller, do not add them);
* ``make(out_dir: pathlib.Path, *, quick: bool = False, seed: int = 0, **params) -> FigureResult``:
  computes, draws with :func:`apply_style`, saves PNG and PDF with :func:`save_figure`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from theory.ground.io import write_bytes_atomic


@dataclass
class FigureResult:
    name: str
    title: str
    claim: str
    paths: list[Path]
    passed: bool | None = None  # did the check this figure illustrates pass (None: no check)
    summary: str = ""  # a short Markdown paragraph: what is shown and what was measured
    params: dict[str, Any] = field(default_factory=dict)  # parameters and seeds actually used


def apply_style() -> None:
    """The one matplotlib style of the project (Agg backend, readable sizes)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update(
        {
            "figure.dpi": 110,
            "savefig.dpi": 150,
            "font.size": 10,
            "axes.titlesize": 11,
            "axes.labelsize": 10,
            "legend.fontsize": 8,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "figure.constrained_layout.use": True,
            "image.cmap": "RdBu_r",
        }
    )


def save_figure(fig, out_dir: Path | str, stem: str) -> list[Path]:
    """Save ``fig`` as ``out_dir/stem.png`` and ``.pdf`` atomically; close it; return the paths."""
    import matplotlib.pyplot as plt

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for ext in ("png", "pdf"):
        buffer = io.BytesIO()
        fig.savefig(buffer, format=ext)
        paths.append(write_bytes_atomic(out_dir / f"{stem}.{ext}", buffer.getvalue()))
    plt.close(fig)
    return paths
