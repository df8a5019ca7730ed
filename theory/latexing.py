r"""LaTeX display for the symbolic objects of :mod:`theory`.

Objects that define ``latex() -> str`` get ``sympy.latex(obj)`` (via the ``_latex`` printer hook,
as in ``sympy.physics.mechanics``) and Jupyter display (``_repr_latex_``) for free.
"""

from __future__ import annotations

import re

import sympy as sp
from sympy.printing.latex import LatexPrinter


class LatexPrintable:
    """Mixin: ``sympy.latex(obj)`` and ``_repr_latex_`` from ``obj.latex()``."""

    def latex(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def _latex(self, printer=None) -> str:
        return self.latex()

    def _repr_latex_(self) -> str:
        return f"$\\displaystyle {self.latex()}$"


_LAYER_ENTRY = re.compile(r"^W(\d+)_(\d+)_(\d+)$")
_BIAS_ENTRY = re.compile(r"^b(\d+)_(\d+)$")
_MATRIX_ENTRY = re.compile(r"^(A|M)_(\d+)_(\d+)$")


def symbol_tex_names(expr) -> dict[sp.Symbol, str]:
    r"""Printed names: ``W2_1_2`` as :math:`W^{(2)}_{12}` (layer index in parentheses, so it is
    not read as a power)."""
    names = {}
    for symbol in getattr(expr, "free_symbols", ()):
        match = _LAYER_ENTRY.match(symbol.name)
        if match:
            layer, i, j = match.groups()
            names[symbol] = f"W^{{({layer})}}_{{{i}{j}}}"
        elif _BIAS_ENTRY.match(symbol.name):
            layer, i = _BIAS_ENTRY.match(symbol.name).groups()
            names[symbol] = f"b^{{({layer})}}_{{{i}}}"
        elif _MATRIX_ENTRY.match(symbol.name):
            base, i, j = _MATRIX_ENTRY.match(symbol.name).groups()
            names[symbol] = ("A" if base == "A" else r"\bar M") + f"_{{{i}{j}}}"
    return names


class _ReportLatexPrinter(LatexPrinter):
    r"""SymPy's LaTeX printer, with a rational coefficient printed whole in front of the rest of a
    product: :math:`\frac{2}{15}z^6`, not SymPy's ``\frac{1}{15} 2 z^{6}`` (which it prints for
    ``long_frac_ratio=0``), nor :math:`\frac{2z^6}{15}`."""

    def _print_Mul(self, expr):
        coeff, rest = expr.as_coeff_Mul()
        if isinstance(coeff, sp.Rational) and not isinstance(coeff, sp.Integer) and rest != 1:
            sign = "- " if coeff < 0 else ""
            body = self._print(rest)
            if isinstance(rest, sp.Add):
                body = rf"\left({body}\right)"
            return rf"{sign}\frac{{{abs(coeff.p)}}}{{{coeff.q}}} {body}"
        return super()._print_Mul(expr)


def tex(expr) -> str:
    """``sympy.latex`` with the conventions of the derivation report (rational coefficients in front)."""
    settings = dict(mat_delim="(", symbol_names=symbol_tex_names(expr), long_frac_ratio=0)
    return _ReportLatexPrinter(settings).doprint(expr)


def matrix_symbols(name: str, rows: int, cols: int, tex_name: str | None = None) -> sp.Matrix:
    r"""A ``rows x cols`` matrix of real symbols ``{name}_{i}_{j}`` (1-based), printed as
    :math:`{tex\_name}_{ij}`; a column when ``cols == 1`` (symbols ``{name}_{i}``)."""
    tex_name = tex_name or name

    def entry(i: int, j: int) -> sp.Symbol:
        if cols == 1 and name in ("a", "u", "x", "v"):
            return sp.Symbol(f"{name}_{i + 1}", real=True)
        return sp.Symbol(f"{name}_{i + 1}_{j + 1}", real=True)

    return sp.Matrix(rows, cols, entry)


def tex_sum_lines(expr, terms_per_line: int = 3, continuation: str = r"&\quad ") -> str:
    r"""LaTeX of a sum broken after every ``terms_per_line`` terms (for use inside ``aligned``:
    continuation lines start with ``continuation``)."""
    terms = sp.Add.make_args(sp.expand(expr))
    if len(terms) <= terms_per_line:
        return tex(expr)
    pieces = []
    for index, term in enumerate(sorted(terms, key=sp.default_sort_key)):
        body = tex(term)
        if index and not body.startswith("-"):
            body = "+ " + body
        if index and index % terms_per_line == 0:
            body = "\\\\ " + continuation + body
        pieces.append(body)
    return " ".join(pieces)
