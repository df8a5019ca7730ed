r"""Searching cases for counterexamples (:func:`inequality`) and for the supremum of a ratio
(:func:`sharpness`) with Hypothesis, deterministically for a seed.

Every search runs its own Hypothesis test with ``@seed(seed)``, no example database, no deadline
and the health checks off, so the same seed gives the same examples and the same verdict, inside
or outside a user's own pytest run (whatever profile that run loaded).
"""

from __future__ import annotations

import contextlib
import heapq
import math
from typing import Any, Callable, Sequence

import numpy as np

from theory.ground.checks import check_int, check_real, check_seed
from numerics.state import flatten_factors, unflatten_factors
from verify.conjecture.cases import Case, NetworkCase, cases, make_case
from verify.conjecture.claims import CompiledClaim, Evaluation, evaluate_sides, side_function
from verify.conjecture.results import InequalityResult, SharpnessResult

#: Default example budgets.
DEFAULT_EXAMPLES = 500
DEFAULT_SHARPNESS_EXAMPLES = 300
#: Relative slack of a refutation: a case refutes ``lhs <= rhs`` when
#: ``(rhs - lhs)/max(|lhs|, |rhs|) < -rtol`` (T* is computed to ~1e-13 relative).
DEFAULT_RTOL = 1e-9


def check_budget(examples, name: str = "examples", low: int = 1, high: int = 100_000) -> int:
    """An example budget: an int in ``[low, high]`` (``theory.ground.checks.check_int``)."""
    return check_int(examples, name, low, high)


class _Refuted(AssertionError):
    """Raised inside the Hypothesis test by a refuting case (carries it through shrinking)."""

    def __init__(self, case, evaluation):
        super().__init__("refuted")
        self.case = case
        self.evaluation = evaluation


def run_hypothesis(strategy, body: Callable[[Any], None], examples: int, seed: int) -> BaseException | None:
    """Run ``body`` on up to ``examples`` draws of ``strategy`` under ``@seed(seed)``; returns the
    exception of the shrunk failing example (``None`` when every example passed)."""
    from hypothesis import HealthCheck, Phase, Verbosity, given, settings
    from hypothesis import seed as hypothesis_seed

    config = settings(max_examples=examples, database=None, deadline=None, derandomize=False,
                      suppress_health_check=list(HealthCheck), print_blob=False, report_multiple_bugs=False,
                      verbosity=Verbosity.quiet,
                      phases=[Phase.explicit, Phase.generate, Phase.target, Phase.shrink])

    with _outside_any_test(), _no_local_constants():

        @hypothesis_seed(seed)
        @config
        @given(strategy)
        def search(case):
            body(case)

        try:
            search()
        except _Refuted as exc:
            return exc
    return None


@contextlib.contextmanager
def _outside_any_test():
    """Run a search called from inside a user's own ``@given`` test as an independent test:
    Hypothesis refuses to *decorate* a test inside a running one (``HealthCheck.nested_given``,
    judged by the outer test's settings), although the inner search is self-contained (its own
    seed, settings and examples). The outer test's build context is set aside for the search and
    restored afterwards."""
    try:
        from hypothesis.control import _current_build_context
    except ImportError:  # pragma: no cover - layout of another Hypothesis version
        yield
        return
    if _current_build_context.value is None:
        yield
        return
    with _current_build_context.with_value(None):
        yield


@contextlib.contextmanager
def _no_local_constants():
    """Hypothesis mixes numeric literals harvested from the *importing program's* modules into its
    draws, so the same seed would give different examples depending on what else is imported
    (``condense check`` imports every command). Switch that source off for the search so that the
    verdict depends on the seed alone."""
    try:
        from hypothesis.internal.conjecture import providers
    except ImportError:  # pragma: no cover - layout of another Hypothesis version
        yield
        return
    original = getattr(providers, "_get_local_constants", None)
    if original is None:  # pragma: no cover
        yield
        return
    empty = providers.Constants()
    providers._get_local_constants = lambda: empty
    providers.CONSTANTS_CACHE.cache.clear()
    try:
        yield
    finally:
        providers._get_local_constants = original
        providers.CONSTANTS_CACHE.cache.clear()


def _default_over(over):
    if over is None:
        return cases(depth=3, widths=(1, 6))
    return over


def _is_strategy(over) -> bool:
    from hypothesis.strategies import SearchStrategy

    return isinstance(over, SearchStrategy)


def _check_over(over):
    """``over`` is None, a Hypothesis strategy of cases, or a list/tuple of :class:`Case`."""
    if over is None or _is_strategy(over):
        return over
    if isinstance(over, (list, tuple)) and over and all(isinstance(c, Case) for c in over):
        return list(over)
    raise TypeError(f"over: expected None (the default cases), a Hypothesis strategy of cases or a non-empty "
                    f"list of verify.conjecture.Case records, got {type(over).__name__}")


def inequality(claim, over=None, examples: int = DEFAULT_EXAMPLES, seed: int = 0, *,
               rtol: float = DEFAULT_RTOL) -> InequalityResult:
    r"""Try to refute ``claim`` on the cases of ``over``.

    ``claim``: a string ``"lhs OP rhs"`` over the named quantities of a case
    (:mod:`verify.conjecture.claims`), or a callable ``case -> bool`` / ``case -> (lhs, rhs)``
    (meaning lhs ≤ rhs; ``None`` or an ``ArithmeticError``/``ValueError`` means undefined).
    ``over``: a Hypothesis strategy of cases (default :func:`verify.conjecture.cases`: depth 3,
    widths 1..6) or a list of cases (evaluated in order, no shrinking). Hypothesis is steered
    toward violations with ``target(-margin)``; a refuting case is shrunk (smallest widths,
    simplest numbers). Undefined or non-finite sides are skipped and counted."""
    examples = check_budget(examples)
    seed = check_seed(seed)
    rtol = check_real(rtol, "rtol", 0.0, 1.0)
    over = _check_over(over)
    compiled = CompiledClaim(claim, network=_network(over))
    stats = {"calls": 0, "skipped": 0, "tightest": math.inf, "tightest_case": None, "ratio": -math.inf,
             "evaluations": [], "first_failure": None, "skipped_before": 0}

    def record(case) -> Evaluation | None:
        stats["calls"] += 1
        if case is None or not (ev := compiled(case)).defined:
            stats["skipped"] += 1
            if stats["first_failure"] is None:
                stats["skipped_before"] += 1
            return None
        if ev.margin < stats["tightest"]:
            stats["tightest"], stats["tightest_case"] = ev.margin, case
        if math.isfinite(ev.ratio):
            stats["ratio"] = max(stats["ratio"], ev.ratio)
        return ev

    counterexample, failing = None, None
    if over is not None and not _is_strategy(over):
        for case in over:
            ev = record(case)
            stats["evaluations"].append(ev)
            if ev is not None and ev.margin < -rtol and counterexample is None:
                counterexample, failing = case, ev
    else:
        from hypothesis import target

        def body(case):
            ev = record(case)
            if ev is None:
                return
            if math.isfinite(ev.margin):
                target(-float(ev.margin), label="violation")
            if ev.margin < -rtol:
                if stats["first_failure"] is None:
                    stats["first_failure"] = stats["calls"]
                raise _Refuted(case, ev)

        exc = run_hypothesis(_default_over(over), body, examples, seed)
        if exc is not None:
            counterexample, failing = exc.case, exc.evaluation
    if counterexample is not None:
        status = "refuted"
    elif stats["tightest_case"] is None:
        status = "undefined"  # no case had both sides defined: nothing was checked, never "survived"
    else:
        status = "survived"
    generated = stats["first_failure"] or stats["calls"]
    return InequalityResult(
        claim=compiled.text, status=status, examples=generated,
        skipped=stats["skipped_before"] if stats["first_failure"] else stats["skipped"],
        tightest_margin=float(stats["tightest"]) if stats["tightest"] < math.inf else math.nan,
        tightest_ratio=float(stats["ratio"]) if stats["ratio"] > -math.inf else math.nan,
        tightest_case=stats["tightest_case"], counterexample=counterexample,
        lhs=math.nan if failing is None else failing.lhs, rhs=math.nan if failing is None else failing.rhs,
        seed=seed, rtol=rtol, shrink_calls=stats["calls"] - generated,
        details={"evaluations": stats["evaluations"]},
    )


def _network(over) -> bool:
    """Whether the cases of ``over`` are network cases (their extra names then parse)."""
    if over is None:
        return False
    if _is_strategy(over):
        return getattr(over, "case_kind", "reduced") == "network"
    return any(isinstance(c, NetworkCase) for c in over)


# ----------------------------------------------------------------------------------- sharpness


def structure_of(case: Case) -> dict:
    r"""What a state looks like: ``balancedness`` :math:`\max_k\|C_k\|_F/\|y\|^2` of the balance
    matrices (``verify.measures.balance_matrices``; 0 for balanced states), ``rank_one``
    :math:`\max` over the matrix factors of :math:`\sigma_2/\sigma_1` (0 for rank one), and
    ``energy_ratio`` :math:`E_0/(L^{-L/2}\|y_0\|^L)` (1 exactly at the sphere maximum)."""
    from verify.measures import balance_matrices

    r2 = case.r0 ** 2
    laws = balance_matrices(list(case.factors))
    balance = max(float(np.linalg.norm(c)) for c in laws) / r2 if r2 > 0 else math.nan
    ranks = []
    for f in case.factors[1:-1]:
        s = np.linalg.svd(f, compute_uv=False)
        ranks.append(float(s[1] / s[0]) if s.size > 1 and s[0] > 0 else 0.0)
    ceiling = case.depth ** (-case.depth / 2) * case.r0 ** case.depth
    out = {"balancedness": balance, "rank_one": max(ranks) if ranks else 0.0,
           "energy_ratio": case.E0 / ceiling if ceiling > 0 else math.nan}
    if case.depth == 3:
        out["singular_pair"] = singular_pair_deviation(*case.factors)
    return out


def singular_pair_deviation(u, W, a) -> float:
    r"""How far ``(a, W, u)`` is from the equality set of the upper bound :math:`T^* \le E_0^{-1/3}`:
    :math:`a = \sigma\hat a`, :math:`u = \sigma\hat u` with :math:`W\hat u = \sigma\hat a`,
    :math:`W^\top\hat a = \sigma\hat u` (a singular pair of :math:`W`, other singular values free).
    There Cauchy–Schwarz (:math:`E^2 \le \|a\|^2\|Wu\|^2`, :math:`E^2 \le \|W^\top a\|^2\|u\|^2`) and
    AM–GM (:math:`\|Wu\|^2 = \|a\|^2\|u\|^2 = \|W^\top a\|^2`) are equalities, the set is
    invariant (only :math:`\sigma` moves, :math:`\sigma' = \sigma^2`) and :math:`T^* = 1/\sigma = E_0^{-1/3}`.
    Returns :math:`\max(\|Wu - \|u\| a\|, \|W^\top a - \|a\| u\|, |\|a\|^2 - \|u\|^2|)/\|y\|^2` (0 on the set)."""
    u, W, a = (np.asarray(x, dtype=float) for x in (u, W, a))
    r2 = float(u @ u + np.sum(W * W) + a @ a)
    if r2 == 0:
        return math.nan
    na, nu = float(np.linalg.norm(a)), float(np.linalg.norm(u))
    return max(float(np.linalg.norm(W @ u - nu * a)), float(np.linalg.norm(W.T @ a - na * u)),
               abs(na * na - nu * nu)) / r2


def _ratio_function(lhs_fn, rhs_fn) -> Callable[[Any], float]:
    def ratio(case) -> float:
        if case is None:
            return math.nan
        ev = evaluate_sides(lhs_fn(case), rhs_fn(case), "<=")
        return ev.ratio if ev.defined else math.nan

    return ratio


def _polish(case: Case, ratio, max_evaluations: int) -> tuple[float, Case, dict]:
    """Nelder–Mead on the entries of ``case`` maximizing ``ratio``; returns the best ratio, its
    case and the optimizer's report."""
    from scipy.optimize import minimize

    widths = case.widths
    x0 = flatten_factors(list(case.factors))
    best = {"ratio": ratio(case), "case": case}

    def objective(x):
        try:
            c = make_case(unflatten_factors(x, widths))
        except (ValueError, RuntimeError):
            return 1e300
        value = ratio(c)
        if not math.isfinite(value):
            return 1e300
        if value > best["ratio"]:
            best["ratio"], best["case"] = value, c
        return -value

    res = minimize(objective, x0, method="Nelder-Mead",
                   options={"maxfev": max_evaluations, "xatol": 1e-10, "fatol": 1e-13, "adaptive": x0.size > 6})
    return best["ratio"], best["case"], {"success": bool(res.success), "nfev": int(res.nfev),
                                         "message": str(res.message), "start_norm": float(np.linalg.norm(x0))}


def sharpness(lhs, rhs, over=None, examples: int = DEFAULT_SHARPNESS_EXAMPLES, seed: int = 0, *,
              polish: int = 3, max_evaluations: int = 2000, rtol: float = DEFAULT_RTOL) -> SharpnessResult:
    r"""Supremum of ``lhs/rhs`` over the cases of ``over`` for a claimed bound lhs ≤ rhs.

    Search: Hypothesis with ``target(lhs/rhs)`` over ``examples`` cases (default strategy
    :func:`verify.conjecture.cases`); then Nelder–Mead (``scipy.optimize.minimize``) on the
    entries of the ``polish`` best cases (``max_evaluations`` each). ``best`` is the largest ratio
    found, ``attained_at`` its case. ``looks``: ``"attained"`` when a second polish from the best
    state improves it by less than ``rtol`` and the state is not degenerate (its norm stayed
    within a factor 1e3 of the start, no factor below 1e-6 of the state's norm, both sides
    finite); ``"approached"`` when the best state is degenerate in one of those ways (a limit: the
    state runs to 0, to infinity or to the boundary where a side is undefined); ``"not converged"``
    when it is not degenerate but a second polish still improves it (raise ``examples`` or
    ``max_evaluations``). ``status`` ``"survived"`` (best ≤ 1 + rtol: the bound holds on what was seen,
    and ``best`` ≈ 1 says it is sharp) or ``"refuted"``. Sides with ``>=`` claims: pass them
    swapped (the bound ``t_star >= lower`` is ``sharpness("lower", "t_star")``)."""
    examples = check_budget(examples)
    seed = check_seed(seed)
    polish = check_budget(polish, "polish", 0, 20)
    max_evaluations = check_budget(max_evaluations, "max_evaluations", 1, 1_000_000)
    rtol = check_real(rtol, "rtol", 0.0, 1.0)
    over = _check_over(over)
    network = _network(over)
    lhs_text, lhs_fn = side_function(lhs, argument="lhs", network=network)
    rhs_text, rhs_fn = side_function(rhs, argument="rhs", network=network)
    ratio = _ratio_function(lhs_fn, rhs_fn)
    stats = {"calls": 0, "skipped": 0}
    top: list[tuple[float, int, Any]] = []

    def consider(case):
        stats["calls"] += 1
        value = ratio(case)
        if not math.isfinite(value):
            stats["skipped"] += 1
            return None
        item = (value, stats["calls"], case)
        if len(top) < max(polish, 1):
            heapq.heappush(top, item)
        elif value > top[0][0]:
            heapq.heapreplace(top, item)
        return value

    if over is not None and not _is_strategy(over):
        for case in over:
            consider(case)
    else:
        from hypothesis import target

        def body(case):
            value = consider(case)
            if value is not None:
                target(float(value), label="lhs/rhs")

        run_hypothesis(_default_over(over), body, examples, seed)
    if not top:
        return SharpnessResult(lhs_text, rhs_text, "undefined", math.nan, None, "undefined", stats["calls"],
                               stats["skipped"], math.nan, seed=seed)
    ranked = sorted(top, key=lambda t: -t[0])
    search_best, _, best_case = ranked[0]
    best = search_best
    reports = []
    can_polish = all(type(c) is Case for _, _, c in ranked)
    if can_polish and polish > 0:
        seen = []
        for value, _, case in ranked[:polish]:
            key = (case.widths, tuple(np.round(flatten_factors(list(case.factors)), 12)))
            if key in seen:
                continue
            seen.append(key)
            value2, case2, report = _polish(case, ratio, max_evaluations)
            reports.append(report)
            if value2 > best:
                best, best_case = value2, case2
    looks, detail = _classify(best, best_case, ratio, can_polish and polish > 0, max_evaluations, rtol, reports)
    status = "survived" if best <= 1 + rtol else "refuted"
    structure = structure_of(best_case) if isinstance(best_case, Case) and best_case.depth >= 3 else {}
    return SharpnessResult(lhs_text, rhs_text, status, float(best), best_case, looks, stats["calls"],
                           stats["skipped"], float(search_best), structure, seed,
                           {"polish": reports, "classification": detail})


def _classify(best, case, ratio, polished, max_evaluations, rtol, reports) -> tuple[str, dict]:
    if not polished:
        return "not polished", {}
    again, case2, report = _polish(case, ratio, max_evaluations)
    improvement = (again - best) / abs(best) if best else math.inf
    start_norms = [r["start_norm"] for r in reports] or [case.r0]
    norm_change = case.r0 / max(start_norms) if max(start_norms) > 0 else math.inf
    smallest_factor = min(float(np.linalg.norm(f)) for f in case.factors) / case.r0 if case.r0 > 0 else 0.0
    degenerate = (not (1e-3 <= norm_change <= 1e3) or smallest_factor < 1e-6
                  or not (math.isfinite(case.t_star) and math.isfinite(best)))
    detail = {"second_polish_improvement": improvement, "norm_change": norm_change,
              "smallest_factor_norm_over_r0": smallest_factor, "degenerate": degenerate}
    if degenerate:
        return "approached", detail
    return ("attained" if improvement <= rtol else "not converged"), detail


def over_cases(factor_lists: Sequence[Sequence[np.ndarray]]) -> list[Case]:
    """Cases of given factor lists (input to output), for ``over=`` lists."""
    return [make_case(f) for f in factor_lists]
