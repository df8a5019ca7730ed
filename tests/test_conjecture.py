"""verify.conjecture: the papers' blow-up bounds and conservation laws re-checked as conjectures.

True statements must survive (and the two bounds be sharp, constant 1 attained at balanced
rank-one states); false ones must be refuted with a small counterexample that an independent
computation confirms."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hst

import numerics
import theory
from theory.blowup import scalar_blowup_time
from theory.conservation import balancedness_laws
from verify import conjecture as cj


def _independent_t_star(case):
    """T* of a counterexample recomputed outside verify.conjecture: the mpmath elliptic closed
    form for scalar states with positive entries, numerics directly otherwise."""
    if case.widths == (1, 1) and all(float(f.ravel()[0]) > 0 for f in case.factors):
        u, w, a = (float(f.ravel()[0]) for f in case.factors)
        return float(scalar_blowup_time(a, w, u))
    if case.depth == 3:
        u, W, a = case.factors
        return numerics.blowup_time(a, W, u).t_star
    return numerics.blowup_time_deep(list(case.factors)).t_star


# --- true and sharp ---------------------------------------------------------------------------


def _balanced_rank_one_and_at_sphere_maximum(case, tol=1e-6):
    """Independent test of the equality case of the lower bound: a a^T = W W^T, W^T W = u u^T
    and E0 = ||y0||^3/(3 sqrt 3), the maximum of E on the sphere (docs/mathematics.md#blow-up)."""
    u, W, a = case.factors
    r2 = case.r0**2
    return (np.linalg.norm(np.outer(a, a) - W @ W.T) / r2 < tol
            and np.linalg.norm(W.T @ W - np.outer(u, u)) / r2 < tol
            and abs(float(a @ W @ u) * 3 * math.sqrt(3) / case.r0**3 - 1) < 1e-9)


def _on_singular_pair_set(case, tol=1e-6):
    """Independent test of the equality case of the upper bound: Cauchy-Schwarz equalities
    a || W u, u || W^T a and AM-GM equality ||Wu||^2 = ||a||^2 ||u||^2 = ||W^T a||^2."""
    u, W, a = case.factors
    na, nu, nWu, nWa = (np.linalg.norm(x) for x in (a, u, W @ u, W.T @ a))
    E = float(a @ W @ u)
    r2 = case.r0**2
    return (abs(E - na * nWu) / r2**1.5 < tol and abs(E - nu * nWa) / r2**1.5 < tol
            and abs(nWu**2 - (na * nu) ** 2) / r2**2 < tol and abs(nWa**2 - (na * nu) ** 2) / r2**2 < tol)


@pytest.mark.parametrize("lhs, rhs", [("t_star", "E0**(-1/3)"), ("sqrt(3)/r0", "t_star")])
def test_blowup_bounds_are_sharp_and_attained(lhs, rhs):
    result = cj.sharpness(lhs, rhs, examples=100, seed=0, polish=2, max_evaluations=600)
    assert result.status == "survived"
    assert abs(result.best - 1.0) <= 1e-9
    assert result.looks == "attained"
    assert _on_singular_pair_set(result.attained_at)
    if lhs.startswith("sqrt"):
        assert _balanced_rank_one_and_at_sphere_maximum(result.attained_at)


def test_lower_bound_attained_only_at_balanced_rank_one_states_upper_on_a_larger_set():
    # widths (2, 2): the lower bound's supremum is found at a balanced rank-one state ...
    lower = cj.sharpness("sqrt(3)/r0", "t_star", over=cj.cases(widths=(2, 2)), examples=60, seed=0,
                         polish=1, max_evaluations=1500)
    assert abs(lower.best - 1) <= 1e-9 and _balanced_rank_one_and_at_sphere_maximum(lower.attained_at)
    # ... while T* = E0^(-1/3) holds on every a = s a^, u = s u^, W = s a^ u^T + W_perp with W_perp
    # orthogonal to (a^, u^): only s moves (s' = s^2), so T* = 1/s exactly; rank 2, not balanced,
    # and strictly above the lower bound sqrt(3)/||y0||.
    s = 0.7
    a_hat, u_hat = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    W = s * np.outer(a_hat, u_hat) + 0.5 * np.outer([0.0, 1.0], [1.0, 0.0])
    case = cj.make_case([s * u_hat, W, s * a_hat])
    assert abs(case.t_star - 1 / s) <= 1e-12 / s and abs(case.t_star - case.upper) <= 1e-12 * case.t_star
    assert _on_singular_pair_set(case) and not _balanced_rank_one_and_at_sphere_maximum(case)
    assert case.lower < 0.95 * case.t_star


def test_upper_bound_survives_the_default_budget():
    result = cj.inequality("t_star <= E0**(-1/3)")
    assert result.status == "survived"
    assert result.examples >= 500 and result.skipped < result.examples
    assert result.tightest_margin >= -result.rtol
    assert result.tightest_ratio <= 1 + 1e-9


def test_lower_bound_survives_on_deeper_states():
    result = cj.inequality("t_star >= lower", over=cj.cases(depth=4, widths=(1, 3)), examples=60, seed=2)
    assert result.status == "survived"


@pytest.mark.parametrize("widths", [(3, 2), (2, 2, 3)])
def test_balancedness_laws_are_proved(widths):
    model = theory.reduced_model(widths)
    for law in balancedness_laws(model):
        assert cj.conserved(law.quantity, model).status == "proved"


def test_trace_law_as_a_string_is_proved_and_survives_integration():
    model = theory.reduced_model((3, 2))
    assert cj.conserved("norm(a)**2 - norm(W)**2", model).status == "proved"
    numeric = cj.conserved("norm(a)**2 - norm(W)**2", model, prove=False, examples=10)
    assert numeric.status == "survived" and numeric.drift < 1e-11


# --- false, refuted with small counterexamples ---------------------------------------------


@pytest.mark.parametrize("claim, depth", [
    ("t_star <= 1/r0", 3),
    ("t_star <= 0.9*E0**(-1/3)", 3),
    ("t_star <= E0**(-1/3)", 4),
])
def test_false_bounds_are_refuted_with_small_counterexamples(claim, depth):
    result = cj.inequality(claim, over=cj.cases(depth=depth))
    assert result.status == "refuted"
    case = result.counterexample
    assert max(case.widths) <= 2
    t_star = _independent_t_star(case)
    assert abs(t_star - case.t_star) <= 1e-10 * t_star
    if claim == "t_star <= 1/r0":
        assert t_star > 1 / case.r0
    elif depth == 3:
        assert t_star > 0.9 * case.E0 ** (-1 / 3)
    else:
        assert t_star > case.E0 ** (-1 / 3)


def test_energy_non_increasing_is_refuted_as_a_string_and_as_a_callable():
    as_string = cj.inequality("E_half <= E0")
    as_callable = cj.inequality(lambda c: (c.energy_at(0.5 * c.t_star), c.E0) if math.isfinite(c.t_star) else None)
    for result in (as_string, as_callable):
        assert result.status == "refuted"
        case = result.counterexample
        u, W, a = case.factors
        y = numerics.integrate_effective(a, W, u, 0.5 * case.t_star).y[-1]
        m1, m2 = case.widths
        energy = y[:m2] @ y[m2:m2 + m1 * m2].reshape(m2, m1) @ y[-m1:]
        assert energy > float(a @ W @ u) + 1e-6


def test_wrong_balance_law_is_refuted_with_a_drifting_state():
    model = theory.reduced_model((3, 2))
    result = cj.conserved("norm(a)**2 - 2*norm(u)**2", model)
    assert result.status == "refuted"
    assert result.details["derivative_over_energy"] == -2.0  # d||F||^2/dtau = 2E for every factor
    a, W, u = (np.asarray(result.counterexample[k], dtype=float) for k in ("a", "W", "u"))
    t_star = numerics.blowup_time(a, W, u).t_star
    traj = numerics.integrate_effective(a, W, u, 0.5 * t_star)
    q = [float(x[:2] @ x[:2] - 2 * x[-3:] @ x[-3:]) for x in (traj.y[0], traj.y[-1])]
    assert abs(q[1] - q[0]) / np.sum(traj.y[-1] ** 2) > 1e-3


# --- determinism, undefined sides, bad input -------------------------------------------------


def test_same_seed_same_examples_and_verdict():
    runs = [cj.inequality("t_star <= 0.95*E0**(-1/3)", seed=7, examples=80) for _ in range(2)]
    assert runs[0].status == runs[1].status == "refuted"
    assert runs[0].examples == runs[1].examples
    assert runs[0].counterexample.describe() == runs[1].counterexample.describe()
    survived = [cj.inequality("t_star >= lower", seed=3, examples=40) for _ in range(2)]
    assert survived[0].tightest_margin == survived[1].tightest_margin


def test_undefined_sides_are_skipped_and_counted():
    result = cj.inequality("t_star <= E0**(-1/3)", over=cj.cases(positive_energy=False, widths=(1, 2)),
                           examples=60, seed=1)
    assert result.status == "survived"
    assert 0 < result.skipped < result.examples


@pytest.mark.parametrize("text, fragment", [
    ("t_star <= foo", "allowed names"),
    ("t_star <= E0**(", "claim"),
    ("t_star == upper", "inequality"),
    ("t_star <= upper <= 2", "exactly one"),
    ("t_star <= a", "norm"),
    ("__import__('os') <= 1", "claim"),
])
def test_bad_claims_raise_naming_the_problem(text, fragment):
    with pytest.raises(ValueError, match=fragment):
        cj.inequality(text, examples=1)


def test_bad_budget_seed_and_over():
    with pytest.raises(TypeError, match="over"):
        cj.inequality("t_star <= upper", over=3)
    with pytest.raises(TypeError, match="over"):
        cj.sharpness("t_star", "upper", over=[])
    with pytest.raises(TypeError, match="claim"):
        cj.inequality(42)
    with pytest.raises(ValueError, match="examples"):
        cj.inequality("t_star <= upper", examples=0)
    with pytest.raises(ValueError, match="seed"):
        cj.inequality("t_star <= upper", seed=-1)


# --- rates, tables ---------------------------------------------------------------------------


def test_blowup_rate_sqrt3_is_consistent_and_a_wrong_constant_refuted():
    case = cj.make_case([np.array([1.0, 0.4]), np.array([[1.0, 0.2], [0.3, 1.0]]), np.array([1.0, 0.5])])
    good = cj.rate("norm", "blowup", case=case)
    assert good.status == "consistent"
    assert abs(good.limit_constant - math.sqrt(3)) < 1e-6 and abs(good.exponent + 1) < 1e-3
    assert cj.rate("norm", "blowup", case=case, expected=(-1.0, 2.0)).status == "refuted"


def test_depth_four_blowup_rate_is_sqrt2_over_root_gap():
    # depth L: ||y|| ~ ((L-2) lambda (T* - tau))^(-1/(L-2)), lambda = L^(1-L/2): at L = 4, sqrt(2/(T* - tau))
    rng = np.random.default_rng(3)
    case = cj.make_case([np.abs(rng.normal(size=2)), np.abs(rng.normal(size=(3, 2))),
                         np.abs(rng.normal(size=(2, 3))), np.abs(rng.normal(size=2))])
    result = cj.rate("norm", "blowup", case=case)
    assert result.expected_exponent == -0.5 and abs(result.expected_constant - math.sqrt(2)) < 1e-15
    assert result.status == "consistent" and abs(result.limit_constant - math.sqrt(2)) < 1e-6


def test_rate_of_an_exact_power_law():
    result = cj.rate(lambda eps: 3.0 * eps ** -1.5, along=np.geomspace(1e-4, 1e-1, 6), expected=(-1.5, 3.0))
    assert result.status == "consistent"
    assert abs(result.exponent + 1.5) < 1e-12 and abs(result.constant - 3.0) < 1e-10


def test_results_render_as_tables():
    result = cj.inequality("t_star <= 0.9*E0**(-1/3)", examples=50)
    assert "refuted" in result._repr_markdown_() and "<table>" in result._repr_html_()
    assert result.to_dict()["status"] == "refuted"


def test_network_cases_carry_predicted_and_observed_escape():
    result = cj.inequality("observed_escape <= 1.1*predicted_escape",
                           over=cj.network_cases(widths=(3, 4), epsilon=(1e-3, 2e-3)), examples=3, seed=0)
    assert result.status == "survived" and result.skipped == 0
    assert 0.9 < result.tightest_ratio <= 1.1


def test_conserved_on_a_derived_network_model():
    model = theory.derive_effective_model(depth=3, activation="tanh", widths=(2, 2), input_dim=2)
    laws = balancedness_laws(model)  # includes the unreduced W2^T W2 - W1 W1^T
    assert all(cj.conserved(law.quantity, model).status == "proved" for law in laws)
    with pytest.raises(ValueError, match="subs"):
        cj.conserved(laws[-1].quantity, model, prove=False, examples=2)
    v = {"v_1": 0.6, "v_2": 0.8}
    assert cj.conserved(laws[-1].quantity, model, prove=False, examples=4, subs=v).drift < 1e-11
    a1, a2 = model.state_symbols[:2]
    w1 = model.state_symbols[-4:]
    # every factor's squared norm grows at 2E, so ||a||^2 - ||W1||^2 is conserved, ||a||^2 - 2||W1||^2 not
    assert cj.conserved(a1**2 + a2**2 - sum(s**2 for s in w1), model).status == "proved"
    result = cj.conserved(a1**2 + a2**2 - 2 * sum(s**2 for s in w1), model, examples=10, subs=v)
    assert result.status == "refuted" and set(result.counterexample) == {s.name for s in model.state_symbols}
    assert result.drift > 1e-3


@pytest.mark.parametrize("dims, epsilons", [((3, 5, 5), (1e-2, 5e-3, 2.5e-3)), ((3, 4, 4, 4), (4e-2, 2e-2, 1e-2))])
def test_plateau_length_scales_as_eps_to_minus_depth_minus_two(dims, epsilons):
    """Observed GD escape iterations of real networks (not the prediction) follow eps^-(L-2)."""
    from numerics.data import make_dataset

    X, y = make_dataset("default", n=20, d=3, seed=0)
    base = numerics.gaussian_init(dims, scale=1.0, seed=1)
    observed = lambda eps: cj.make_network_case(X, y, [eps * w for w in base]).observed_escape  # noqa: E731
    depth = len(dims)
    result = cj.rate(observed, along=epsilons, expected=(-(depth - 2), None), atol=0.05)
    assert result.status == "consistent" and abs(result.exponent + (depth - 2)) < 0.05
    assert cj.rate(observed, along=epsilons, expected=(-(depth - 1), None), atol=0.05).status == "refuted"


@settings(max_examples=3, deadline=None)
@given(hst.integers(0, 2**16))
def test_a_search_inside_a_users_given_test_is_independent_of_it(seed):
    # every case with a finite T* refutes T* <= 1/r0 (T* >= sqrt(3)/r0), so this cannot be flaky
    inner = cj.inequality("t_star <= 1/r0", seed=seed, examples=60)
    assert inner.status == "refuted" and inner.counterexample.t_star > 1 / inner.counterexample.r0
    again = cj.inequality("t_star <= 1/r0", seed=seed, examples=60)
    assert again.counterexample.describe() == inner.counterexample.describe()


def test_an_unbounded_ratio_is_reported_as_approached_in_a_limit():
    # T* r0 >= sqrt(3) always, and T* r0 -> infinity as the state approaches one that never blows
    # up (here a -> 0 with E0 -> 0): no finite state attains the supremum
    result = cj.sharpness("t_star", "1/r0", examples=60, polish=1, max_evaluations=300)
    assert result.status == "refuted" and result.best > 100 * math.sqrt(3)
    assert result.looks == "approached"
    case = result.attained_at
    assert min(np.linalg.norm(f) for f in case.factors) < 1e-6 * case.r0


def test_subnormal_energy_is_undefined_and_the_upper_bound_stays_exact():
    """a = W = u = s with s**3 subnormal (s = 1.69e-106, seen in a random Hypothesis run): E0 has
    lost its digits, so claims on E0 skip the case, while the upper bound, computed from the
    normalized state by homogeneity, equals the scalar closed form T* = 1/s exactly as before."""
    import math

    import numpy as np

    from verify.conjecture.cases import make_case

    s = 1.68891288e-106
    case = make_case([np.array([s]), np.array([[s]]), np.array([s])])
    assert math.isnan(case.E0)
    # a = W = u = s: balanced rank-one, so T* = E0^(-1/3) = 1/s (upper bound attained)
    assert abs(case.upper * s - 1) < 1e-12
    assert abs(case.t_star * s - 1) < 1e-9
    assert case.lower <= case.t_star * (1 + 1e-9) and case.t_star <= case.upper * (1 + 1e-9)
    tiny = make_case([np.array([1e-170]), np.array([[1e-170]]), np.array([1e-170])])  # E0 underflows to 0
    assert math.isnan(tiny.E0) and abs(tiny.r0 / 1e-170 - math.sqrt(3)) < 1e-15
    assert abs(tiny.upper * 1e-170 - 1) < 1e-12 and abs(tiny.lower * 1e-170 - 1) < 1e-12
    normal = make_case([np.array([0.5]), np.array([[2.0]]), np.array([1.5])])
    assert normal.E0 == 1.5 and abs(normal.upper - 1.5 ** (-1 / 3)) < 1e-15
