r"""Claims: strings over a case's named quantities, parsed by the whitelist parser
(``theory.expressions``; never ``sympify``/``eval`` of user text), or Python callables.

A claim string has exactly one comparison, ``lhs OP rhs`` with ``OP`` in ``<=, <, >=, >``; each
side is an arithmetic expression in the names of :data:`verify.conjecture.cases.CASE_QUANTITIES`
(plus ``norm(NAME)``, the Frobenius norm of a named factor ``u``, ``W``/``W2``.., ``a``). A side
that is undefined or not finite for a case (:math:`E_0^{-1/3}` with :math:`E_0 \le 0`, a state
that does not blow up) makes the case *skipped*, never an error.

Margins: for ``lhs <= rhs`` the *relative margin* is
:math:`(\text{rhs} - \text{lhs})/\max(|\text{lhs}|, |\text{rhs}|)` (``>=``: the sign flipped); a
case refutes the claim when its margin is below ``-rtol`` (numerically ``<`` and ``<=`` are the
same claim up to ``rtol``). The *ratio* :math:`\text{lhs}/\text{rhs}` (for ``>=``:
:math:`\text{rhs}/\text{lhs}`) is what :func:`verify.conjecture.sharpness` maximizes: the claim
holds with constant 1 exactly when its supremum is :math:`\le 1`.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import sympy as sp

from verify.conjecture.cases import CASE_QUANTITIES, NETWORK_QUANTITIES, factor_names

COMPARISONS = ("<=", "<", ">=", ">")
_MAX_FACTOR_NAMES = ("u", "W", "a", *[f"W{k}" for k in range(2, 9)])


def quantity_names(network: bool = False) -> list[str]:
    """The names a claim string may use (``norm(NAME)`` besides)."""
    names = list(CASE_QUANTITIES)
    if network:
        names += list(NETWORK_QUANTITIES)
    return names


def _norm_function(argument: str):
    """``norm(NAME)`` → the symbol ``norm_NAME`` (evaluated per case as the Frobenius norm)."""

    def norm(x):
        if isinstance(x, sp.Symbol) and x.name.startswith("factor_"):
            return sp.Symbol("norm_" + x.name[len("factor_"):], positive=True)
        raise ValueError(f"{argument}: norm(...) takes one factor name ({', '.join(_MAX_FACTOR_NAMES[:3])}, "
                         f"W2, W3, ...), got {x}")

    return norm


def ambiguous_e(energy: str) -> dict[str, str]:
    """The ``refused=`` table of :func:`theory.expressions.parse_expression` for claims: a bare
    ``E`` would be the parser's Euler number, which a user writing ``--conserved E`` or
    ``E <= ...`` means as the energy (a claim about e = 2.718... "proved" silently), so it is
    refused with ``energy``, the names to write instead."""
    return {"E": f"ambiguous here; write {energy}, or exp(1) for Euler's number"}


#: ``refused=`` of the claim parser (:func:`ambiguous_e`).
CLAIM_REFUSED = ambiguous_e("E0 for the energy at the start, E_half for E(t_star/2)")


def _variables(network: bool) -> dict[str, sp.Symbol]:
    variables = {name: sp.Symbol(name, real=True) for name in quantity_names(network)}
    variables.update({name: sp.Symbol("factor_" + name) for name in _MAX_FACTOR_NAMES})
    return variables


def _no_bare_factors(expr: sp.Expr, argument: str, network: bool) -> sp.Expr:
    bare = sorted(s.name[len("factor_"):] for s in expr.free_symbols if s.name.startswith("factor_"))
    if bare:
        raise ValueError(f"{argument}: factor name(s) {bare} may only appear inside norm(...); "
                         f"allowed names: {', '.join(quantity_names(network))}, norm(u), norm(W), norm(a), ...")
    return expr


def parse_side(text: str, *, argument: str = "claim", network: bool = False) -> sp.Expr:
    """One side of a claim (an expression in the named quantities) as a SymPy expression."""
    from theory.expressions import parse_expression

    expr = parse_expression(text, variables=_variables(network), argument=argument,
                            functions={"norm": (1, _norm_function(argument))}, refused=CLAIM_REFUSED)
    return _no_bare_factors(expr, argument, network)


@dataclass(frozen=True)
class Claim:
    """A parsed claim ``lhs OP rhs``: ``text`` as given, the two SymPy sides, ``op``."""

    text: str
    lhs: sp.Expr
    op: str
    rhs: sp.Expr

    @property
    def symbols(self) -> list[str]:
        return sorted({s.name for s in self.lhs.free_symbols | self.rhs.free_symbols})


def parse_claim(text: str, *, argument: str = "claim", network: bool = False) -> Claim:
    """Parse ``"lhs OP rhs"`` (exactly one of ``<=, <, >=, >``; module docstring) with
    ``theory.expressions.parse_relation``."""
    from theory.expressions import parse_relation

    lhs, op, rhs = parse_relation(text, variables=_variables(network), argument=argument,
                                  functions={"norm": (1, _norm_function(argument))}, refused=CLAIM_REFUSED)
    if op not in COMPARISONS:
        raise ValueError(f"{argument}: {op!r} is not an inequality; use one of {', '.join(COMPARISONS)}")
    return Claim(text, _no_bare_factors(lhs, argument, network), op, _no_bare_factors(rhs, argument, network))


def _evaluator(expr: sp.Expr) -> Callable[[object], float]:
    """A function case → float of a parsed side (``nan`` when undefined or complex)."""
    names = sorted(expr.free_symbols, key=lambda s: s.name)
    if not names:
        value = complex(sp.N(expr))
        constant = value.real if value.imag == 0 else math.nan
        return lambda case: constant
    fn = sp.lambdify(names, expr, modules="numpy")

    def evaluate(case) -> float:
        args = [case.quantity(s.name) for s in names]
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                value = fn(*[np.float64(a) for a in args])
            except (ZeroDivisionError, OverflowError, ValueError, TypeError):
                return math.nan
        value = complex(value) if np.iscomplexobj(value) else float(value)
        if isinstance(value, complex):
            return value.real if value.imag == 0 else math.nan
        return value

    return evaluate


@dataclass(frozen=True)
class Evaluation:
    """One case against a claim: the two sides, the relative margin (≥ 0 when it holds), the ratio
    (≤ 1 when it holds and both sides are positive), and ``defined``."""

    lhs: float
    rhs: float
    margin: float
    ratio: float
    defined: bool


def relative_margin(lhs: float, rhs: float, op: str) -> float:
    r""":math:`(\text{rhs}-\text{lhs})/\max(|\text{lhs}|,|\text{rhs}|)` for ``<=``/``<`` (sign flipped for ``>=``/``>``)."""
    scale = max(abs(lhs), abs(rhs))
    diff = (rhs - lhs) if op in ("<=", "<") else (lhs - rhs)
    return 0.0 if scale == 0 else diff / scale


def evaluate_sides(lhs: float, rhs: float, op: str) -> Evaluation:
    if not (math.isfinite(lhs) and math.isfinite(rhs)):
        return Evaluation(lhs, rhs, math.nan, math.nan, False)
    big, small = (rhs, lhs) if op in ("<=", "<") else (lhs, rhs)
    ratio = small / big if big > 0 and small > 0 else math.nan
    return Evaluation(lhs, rhs, relative_margin(lhs, rhs, op), ratio, True)


class CompiledClaim:
    """A claim ready to be evaluated on cases: from a :class:`Claim`, a string, a callable
    ``case -> bool`` or a callable ``case -> (lhs, rhs)`` meaning ``lhs <= rhs``."""

    def __init__(self, claim, *, argument: str = "claim", network: bool = False):
        self.source = claim
        if isinstance(claim, str):
            claim = parse_claim(claim, argument=argument, network=network)
        if isinstance(claim, Claim):
            self.text, self.op = claim.text, claim.op
            self._lhs, self._rhs = _evaluator(claim.lhs), _evaluator(claim.rhs)
            self._callable = None
        elif callable(claim):
            self.text = getattr(claim, "__name__", "callable claim")
            self.op = "<="
            self._callable = claim
        else:
            raise TypeError(f"{argument}: expected a string 'lhs <= rhs' or a callable of a case, "
                            f"got {type(claim).__name__}")

    def __call__(self, case) -> Evaluation:
        if self._callable is None:
            return evaluate_sides(self._lhs(case), self._rhs(case), self.op)
        try:
            with np.errstate(all="ignore"):
                out = self._callable(case)
        except (ArithmeticError, ValueError) as exc:  # undefined for this case: skipped
            return Evaluation(math.nan, math.nan, math.nan, math.nan, False)
        if out is None:
            return Evaluation(math.nan, math.nan, math.nan, math.nan, False)
        if isinstance(out, (bool, np.bool_)):
            return Evaluation(math.nan, math.nan, 1.0 if out else -1.0, math.nan, True)
        if isinstance(out, tuple) and len(out) == 2:
            return evaluate_sides(float(out[0]), float(out[1]), "<=")
        raise TypeError(f"claim: a callable claim must return a bool, None (undefined) or (lhs, rhs) "
                        f"meaning lhs <= rhs; got {type(out).__name__}")


def side_function(side, *, argument: str, network: bool = False) -> tuple[str, Callable[[object], float]]:
    """A side given as a string (parsed) or a callable ``case -> float``; returns ``(text, fn)``."""
    if isinstance(side, str):
        return side, _evaluator(parse_side(side, argument=argument, network=network))
    if callable(side):
        def fn(case, side=side):
            try:
                with np.errstate(all="ignore"):
                    value = side(case)
                return math.nan if value is None else float(value)
            except (ArithmeticError, ValueError):
                return math.nan
        return getattr(side, "__name__", "callable"), fn
    raise TypeError(f"{argument}: expected a string expression or a callable of a case, got {type(side).__name__}")


def factor_symbols_for(depth: int) -> Sequence[str]:
    return factor_names(depth)
