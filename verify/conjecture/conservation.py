r"""Is a quantity conserved along the effective flow? Proof first, then integration.

For :math:`Q(y)` (scalar or matrix, a SymPy expression in the model's state symbols) along
:math:`\dot y = F(y)`:

1. **Proof.** :math:`\dot Q = \sum_s (\partial Q/\partial y_s) F_s(y)`, expanded
   (``theory.identities.time_derivative``, the same derivative ``theory.conservation`` proves its
   laws with); the quantity is *proved* conserved when that is exactly zero.
2. **Integration.** Otherwise Hypothesis draws initial states, ``numerics.integrate_model``
   integrates them (up to ``fraction`` :math:`\cdot T^*` for a reduced model, where
   :math:`\|y\|` has grown), and the drift

   .. math:: \delta = \max_t \frac{\|Q(y(t)) - Q(y(0))\|_F}{\|y(t)\|^d}

   (:math:`d` the polynomial degree of :math:`Q`; round-off in forming :math:`Q` is
   :math:`O(u_{\rm mach}\|y\|^d)`) is compared with ``tolerance``: above it the quantity is
   *refuted*, with the (shrunk) state that shows it; at or below it, it *survived*.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
import sympy as sp

from verify.conjecture.claims import ambiguous_e
from verify.conjecture.results import ConservedResult
from theory.ground.checks import check_real, check_seed
from verify.conjecture.search import _Refuted, check_budget, run_hypothesis

#: Default drift tolerance (relative to ``||y||^d``): far above the ~1e-13 round-off of an
#: integration at rtol 1e-12, far below the O(1) drift of a quantity that is not conserved.
DEFAULT_TOLERANCE = 1e-8
DEFAULT_EXAMPLES = 30


def _model(model):
    from theory import reduced_model

    if isinstance(model, (tuple, list)):
        return reduced_model(tuple(model))
    if not hasattr(model, "state_symbols") or not hasattr(model, "vector_field"):
        raise TypeError(f"model: expected theory.reduced_model(widths), a derived model or widths, "
                        f"got {type(model).__name__}")
    return model


def model_factor_names(model) -> dict[str, sp.Matrix]:
    """Named factors of a reduced model: ``u``, ``W`` (depth 3; also ``W2``) or ``W2``.., ``a``."""
    factors = getattr(model, "factors", None)
    if factors is None or not hasattr(model, "widths"):
        return {}
    depth = len(factors)
    names: dict[str, sp.Matrix] = {"a": factors[0], "u": factors[-1]}
    for k, matrix in zip(range(depth - 1, 1, -1), factors[1:-1]):
        names[f"W{k}"] = matrix
    if depth == 3:
        names["W"] = factors[1]
    return names


def parse_quantity(text: str, model, argument: str = "conserved") -> sp.Expr:
    r"""A quantity string over the model: state symbols (``a_1``, ``W2_1_1``, ``u_2``, ...) and
    ``norm(NAME)`` for the Frobenius norm of a named factor (``u``, ``W``/``W2``.., ``a``)."""
    from theory.expressions import parse_expression

    model = _model(model)
    named = model_factor_names(model)
    placeholders = {name: sp.Symbol("factor_" + name) for name in named}
    variables = {s.name: s for s in model.state_symbols}
    variables.update(placeholders)

    def norm(x):
        if isinstance(x, sp.Symbol) and x.name.startswith("factor_") and x.name[7:] in named:
            matrix = named[x.name[7:]]
            return sp.sqrt(sum(entry ** 2 for entry in matrix))
        raise ValueError(f"{argument}: norm(...) takes one factor name ({', '.join(named)}), got {x}")

    expr = parse_expression(text, variables=variables, argument=argument, functions={"norm": (1, norm)},
                            refused=ambiguous_e("the energy in the state entries (e.g. a_1*W2_1_1*u_1 at widths (1, 1))"))
    bare = sorted(s.name[7:] for s in expr.free_symbols if s.name.startswith("factor_"))
    if bare:
        raise ValueError(f"{argument}: factor name(s) {bare} may only appear inside norm(...); allowed: "
                         f"norm({'), norm('.join(named)}) and the state entries "
                         f"{', '.join(s.name for s in model.state_symbols[:6])}, ...")
    return sp.expand(expr)


def _degree(expr, symbols) -> int | None:
    entries = list(expr) if isinstance(expr, sp.MatrixBase) else [expr]
    degree = 0
    for entry in entries:
        if entry == 0:
            continue
        try:
            degree = max(degree, sp.Poly(entry, *symbols).total_degree())
        except sp.PolynomialError:
            return None
    return degree


def relative_drift(values: Sequence[np.ndarray], norms: Sequence[float], degree: int | None) -> np.ndarray:
    r"""Per time :math:`\|Q_t - Q_0\|_F / \|y_t\|^d` (``degree`` ``None``: relative to
    :math:`\max(1, \|Q_0\|, \|Q_t\|)`)."""
    q0 = np.asarray(values[0], dtype=float)
    out = []
    for q, r in zip(values, norms):
        q = np.asarray(q, dtype=float)
        diff = float(np.linalg.norm(q - q0))
        if degree is None:
            scale = max(1.0, float(np.linalg.norm(q0)), float(np.linalg.norm(q)))
        else:
            scale = float(r) ** degree if degree > 0 else 1.0
        out.append(diff / scale if scale > 0 else (0.0 if diff == 0 else math.inf))
    return np.asarray(out)


def trajectory_times(t_star: float, fraction: float) -> np.ndarray:
    r"""Times in :math:`[0, f T^*]`, dense where the solution grows (``verify.instances.approach_grid``)."""
    from verify.instances import approach_grid

    return approach_grid(t_star, fraction)


def integrate_state(model, y0: np.ndarray, fraction: float, rtol: float = 1e-12, atol: float = 1e-14,
                    subs: dict | None = None):
    r"""States along the flow from ``y0`` (rows, the model's flattened order): for a reduced model
    at :func:`trajectory_times` of its :math:`T^*`; otherwise (or without blow-up) every accepted
    step up to :math:`\tau = 1` or until :math:`\|y\|` grows 100-fold. ``None`` for ``y0 = 0``."""
    import numerics

    r0 = float(np.linalg.norm(y0))
    if r0 == 0:
        return None
    widths = getattr(model, "widths", None)
    from theory import ReducedModel

    if isinstance(model, ReducedModel):
        from numerics.state import unflatten_factors
        from verify.conjecture.cases import integrate_flat, make_case

        case = make_case(unflatten_factors(y0, widths))
        if math.isfinite(case.t_star) and case.t_star > 0:
            return integrate_flat(widths, y0, trajectory_times(case.t_star, fraction), rtol=rtol, atol=atol)
    traj = numerics.integrate_model(model, y0, 1.0, rtol=rtol, atol=atol, max_norm=100.0 * r0, subs=subs)
    if not traj.success:
        raise RuntimeError(f"integrate_model failed: {traj.message}")
    return np.asarray(traj.y)


def conserved(expr, model, *, seed: int = 0, examples: int = DEFAULT_EXAMPLES,
              tolerance: float = DEFAULT_TOLERANCE, fraction: float = 0.9, max_value: float = 1.0,
              prove: bool = True, subs: dict | None = None) -> ConservedResult:
    r"""Whether ``expr`` (SymPy scalar/matrix in ``model.state_symbols``, or a string for
    :func:`parse_quantity`) is conserved along ``model``'s flow (module docstring).

    ``model``: ``theory.reduced_model(widths)``, a derived model (``.state_symbols``,
    ``.vector_field``) or the widths. ``examples`` initial states with entries in
    ``[-max_value, max_value]`` (Hypothesis, ``seed``) are integrated when the proof fails
    (or ``prove=False``). ``subs``: values of the non-state symbols of a derived model (the data
    direction ``v_1, v_2, ...`` of ``theory.derive_effective_model``) for the integration; the
    proof keeps them symbolic (it holds for every value)."""
    from theory.identities import is_zero, time_derivative

    seed = check_seed(seed)
    examples = check_budget(examples)
    tolerance = check_real(tolerance, "tolerance", 0.0, low_open=True)
    fraction = check_real(fraction, "fraction", 0.0, 1.0, low_open=True, high_open=True)
    max_value = check_real(max_value, "max_value", 0.0, 1e6, low_open=True)
    model = _model(model)
    text = expr if isinstance(expr, str) else str(expr)
    if isinstance(expr, str):
        expr = parse_quantity(expr, model)
    elif not isinstance(expr, (sp.Expr, sp.MatrixBase)):
        raise TypeError(f"expr: expected a SymPy expression or matrix, or a string, got {type(expr).__name__}")
    symbols = tuple(model.state_symbols)
    extra = sorted(s.name for s in expr.free_symbols if s not in set(symbols))
    if extra:
        raise ValueError(f"expr: symbols {extra} are not state symbols of the model "
                         f"({', '.join(s.name for s in symbols[:6])}, ...)")
    derivative = time_derivative(expr, symbols, model.vector_field)
    if prove and is_zero(derivative):
        return ConservedResult(text, "proved", derivative, 0.0, 0, tolerance, seed=seed)
    state = set(symbols)
    parameters = sorted({s for s in model.vector_field.free_symbols | expr.free_symbols if s not in state},
                        key=lambda s: s.name)
    subs = {sp.Symbol(k, real=True) if isinstance(k, str) else k: v for k, v in (subs or {}).items()}
    missing = [s.name for s in parameters if s not in subs and s.name not in {getattr(k, "name", k) for k in subs}]
    if missing:
        raise ValueError(f"subs: the flow depends on symbols outside the state {missing}; give their values "
                         f"to integrate (e.g. subs={{{missing[0]!r}: 1.0, ...}})")
    if parameters:
        values = {s: next(v for k, v in subs.items() if getattr(k, "name", k) == s.name) for s in parameters}
        expr = expr.subs(values)
        subs = values
    else:
        subs = None

    multiple = _multiple_of_energy(derivative, model)
    degree = _degree(expr, symbols)
    fn = sp.lambdify(symbols, expr, modules="numpy")
    stats = {"calls": 0, "worst": 0.0, "skipped": 0}

    def drift_of(y0) -> float | None:
        stats["calls"] += 1
        ys = integrate_state(model, np.asarray(y0, dtype=float), fraction, subs=subs)
        if ys is None:
            stats["skipped"] += 1
            return None
        values = [np.asarray(fn(*row), dtype=float) for row in ys]
        drift = float(np.max(relative_drift(values, np.linalg.norm(ys, axis=1), degree)))
        stats["worst"] = max(stats["worst"], drift)
        return drift

    from hypothesis import strategies as st, target
    from hypothesis.extra.numpy import arrays

    elements = st.floats(-float(max_value), float(max_value), allow_nan=False, allow_subnormal=False)
    strategy = arrays(np.float64, (len(symbols),), elements=elements)

    def body(y0):
        drift = drift_of(y0)
        if drift is None:
            return
        target(drift, label="drift")
        if not drift <= tolerance:
            raise _Refuted(y0, drift)

    exc = run_hypothesis(strategy, body, examples, seed)
    counterexample = None
    drift = stats["worst"]
    if exc is not None:
        counterexample = _describe_state(model, exc.case)
        drift = float(exc.evaluation)
    status = "refuted" if exc is not None else "survived"
    return ConservedResult(text, status, derivative, drift, stats["calls"], tolerance, counterexample, seed,
                           {"degree": degree, "skipped": stats["skipped"], "fraction": fraction,
                            "derivative_over_energy": multiple})


def _multiple_of_energy(derivative, model):
    r"""``c`` when :math:`\dot Q = c\,E` for a number ``c`` (e.g. :math:`-2` for
    :math:`\|a\|^2 - 2\|u\|^2`, since every squared factor norm grows at :math:`2E`), else None."""
    energy = getattr(model, "energy", None)
    if energy is None or isinstance(derivative, sp.MatrixBase) or energy == 0:
        return None
    ratio = sp.cancel(derivative / energy)
    return float(ratio) if ratio.is_number else None


def _describe_state(model, y0) -> Any:
    """The state as factors ``{a, W.., u}`` of a reduced model, else ``{symbol name: value}``."""
    from numerics.state import unflatten_factors
    from theory import ReducedModel
    from verify.conjecture.cases import factor_names

    y0 = np.asarray(y0, dtype=float)
    if not isinstance(model, ReducedModel):
        return {s.name: float(v) for s, v in zip(model.state_symbols, y0)}
    factors = unflatten_factors(y0, model.widths)  # u, W^2, ..., a
    return {n: np.asarray(f).tolist() for n, f in zip(factor_names(len(factors)), factors)}
