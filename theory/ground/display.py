"""Notebook display for result objects: a table of the numbers that matter and a small plot.

A class that mixes in :class:`Displayable` and defines ``_display_rows()`` (a list of
``(label, value)`` pairs), optionally ``_display_title()`` and ``_display_png()`` (PNG bytes or
``None``), renders itself in Jupyter: ``_repr_html_`` gives an HTML table with the plot inlined as
a base64 ``data:`` URL (so a saved notebook stays self-contained and offline), and
``_repr_markdown_`` a Markdown table. The standard library suffices for the tables; the plot
helper :func:`line_plot_png` imports Matplotlib (Agg, no pyplot state) only when it is called,
and returns ``None`` where Matplotlib is absent.
"""

from __future__ import annotations

import base64
import html
import io
import math
from numbers import Integral, Real
from typing import Any, Sequence

__all__ = ["Displayable", "Row", "format_value", "line_plot_png", "png_img_tag"]

Row = tuple[str, Any]


def format_value(value: Any) -> str:
    """A short text for a table cell: floats with 6 significant digits, ``PASS``/``FAIL`` for
    booleans, ``-`` for ``None``, sequences of numbers comma-separated (at most 8 shown)."""
    if value is None:
        return "-"
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return "PASS" if value else "FAIL"
    if isinstance(value, Integral):
        return str(int(value))
    if isinstance(value, Real):
        value = float(value)
        return "nan" if math.isnan(value) else f"{value:.6g}"
    if isinstance(value, (list, tuple)) or type(value).__name__ == "ndarray":
        items = list(value)
        shown = ", ".join(format_value(v) for v in items[:8])
        return f"[{shown}{', …' if len(items) > 8 else ''}]"
    return str(value)


def png_img_tag(png: bytes, alt: str) -> str:
    """An ``<img>`` tag with the PNG inlined as a base64 ``data:`` URL."""
    data = base64.b64encode(png).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}"/>'


def line_plot_png(x: Sequence[float], y: Sequence[float], *, xlabel: str = "", ylabel: str = "",
                  title: str = "", log_x: bool = False, log_y: bool = False,
                  vline: float | None = None, vline_label: str = "") -> bytes | None:
    """A small line plot (4 × 2.6 in, 80 dpi) as PNG bytes; ``None`` without Matplotlib or data."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:  # pragma: no cover - matplotlib is a dependency of the condense package
        return None
    if len(x) < 2:
        return None
    figure = Figure(figsize=(4.0, 2.6), dpi=80)
    FigureCanvasAgg(figure)
    ax = figure.add_subplot(1, 1, 1)
    ax.plot(x, y, "k-", lw=1.3)
    if log_x:
        ax.set_xscale("log")
    if log_y:
        ax.set_yscale("log")
    if vline is not None and math.isfinite(vline):
        ax.axvline(vline, color="tab:red", ls="--", lw=1, label=vline_label or None)
        if vline_label:
            ax.legend(fontsize=7, frameon=False)
    ax.set_xlabel(xlabel, fontsize=8)
    ax.set_ylabel(ylabel, fontsize=8)
    ax.tick_params(labelsize=7)
    if title:
        ax.set_title(title, fontsize=9)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


class Displayable:
    """Mixin: ``_repr_html_`` and ``_repr_markdown_`` from ``_display_rows()`` (module docstring)."""

    def _display_title(self) -> str:
        return type(self).__name__

    def _display_rows(self) -> list[Row]:  # pragma: no cover - every user overrides it
        raise NotImplementedError

    def _display_png(self) -> bytes | None:
        return None

    def _repr_markdown_(self) -> str:
        lines = [f"**{self._display_title()}**", "", "| quantity | value |", "| --- | --- |"]
        for label, value in self._display_rows():
            cell = format_value(value).replace("|", "\\|")
            lines.append(f"| {label} | {cell} |")
        return "\n".join(lines) + "\n"

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(str(label))}</td><td>{html.escape(format_value(value))}</td></tr>"
            for label, value in self._display_rows()
        )
        parts = [f"<div><p><b>{html.escape(self._display_title())}</b></p>",
                 f"<table><thead><tr><th>quantity</th><th>value</th></tr></thead><tbody>{rows}</tbody></table>"]
        png = self._display_png()
        if png:
            parts.append(png_img_tag(png, self._display_title()))
        parts.append("</div>")
        return "".join(parts)
