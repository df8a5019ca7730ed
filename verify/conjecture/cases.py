r"""Case records: the named quantities a conjecture may speak about, and Hypothesis strategies of them.

A *case* is one initial state of the reduced effective flow (docs/mathematics.md#reduced-variables–#blow-up) with everything
a blow-up statement needs, computed once when the case is built:

* ``factors``: the reduced factors listed **input to output**, ``(u, W^2, ..., W^{L-1}, a)``
  (README convention for factor lists; depth 3: ``(u, W, a)``), ``depth`` :math:`L`,
  ``widths`` :math:`(m_1, \dots, m_{L-1})`;
* ``r0`` :math:`= \|y_0\|`, ``E0`` :math:`= a^\top W^{L-1}\cdots W^2 u`;
* ``t_star``: :math:`T^*` from ``numerics.blowup_time`` (depth 3) or
  ``numerics.blowup_time_deep`` (``inf`` when the state does not blow up, ``nan`` undecided);
* ``lower`` :math:`= L^{L/2-1}/((L-2) r_0^{L-2})` and ``upper`` :math:`= E_0^{-(L-2)/L}/(L-2)`
  (``theory.blowup``; ``nan`` when :math:`E_0 \le 0`), recomputed from the state, not taken
  from the solver;
* ``limit_direction``: :math:`\theta^*` (the solver's unit vector, flattened state order) or None.

:class:`NetworkCase` is the analogue for a small network trained by gradient descent: it adds
``epsilon``, ``activation``, ``predicted_escape`` (``numerics.predict_escape``, iterations) and
``observed_escape`` (``numerics.plateau.train_until_escape``), so that "observed/predicted → 1
as ε → 0" is a conjecture like any other.

Strategies: :func:`cases` (reduced states; entries are Hypothesis floats, so shrinking gives the
smallest widths and the simplest numbers) and :func:`network_cases`.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from numerics.state import factor_shapes, factors_energy, flatten_factors, unflatten_factors, widths_of_factors

#: Named quantities of a reduced case usable in claim strings, with their meaning.
CASE_QUANTITIES: dict[str, str] = {
    "t_star": "blow-up time T* (numerics.blowup_time / blowup_time_deep)",
    "r0": "||y0||, Euclidean norm of the flattened initial state",
    "E0": "E(y0) = a^T W^{L-1} ... W^2 u",
    "lower": "theory lower bound L^(L/2-1)/((L-2) r0^(L-2)) (depth 3: sqrt(3)/r0)",
    "upper": "theory upper bound E0^(-(L-2)/L)/(L-2) (depth 3: E0^(-1/3)); undefined for E0 <= 0",
    "depth": "L, the number of factors",
    "rate": "lambda = L E(theta*) of the limit direction (depth 3: 1/sqrt(3))",
    "E_half": "E(y(tau)) at tau = t_star/2 (integrated on demand)",
}
#: Extra named quantities of a network case.
NETWORK_QUANTITIES: dict[str, str] = {
    "epsilon": "initialization scale (RMS of the initial weights)",
    "predicted_escape": "predicted plateau-escape iteration T*/(eps^(L-2) ||v'|| lr) (numerics.predict_escape)",
    "observed_escape": "first GD iteration with loss < loss0/2 (numerics.plateau.train_until_escape)",
    "lr": "gradient-descent step",
}


def factor_names(depth: int) -> tuple[str, ...]:
    """Names of the factors input to output: ``("u", "W", "a")`` at depth 3,
    ``("u", "W2", ..., "W{L-1}", "a")`` otherwise."""
    if depth == 3:
        return ("u", "W", "a")
    return ("u", *[f"W{k}" for k in range(2, depth)], "a")


# The state layout is numerics.state's (built on theory.reduced): factors input to output
# [u, W^2, ..., a], flattened state y = (a, W^{L-1}, ..., u). Cases keep factors; the optimizer and
# the integrators move the flattened state.


@dataclass(frozen=True, eq=False)
class Case:
    """One initial state of the reduced effective flow and its blow-up data (module docstring)."""

    factors: tuple[np.ndarray, ...]
    depth: int
    widths: tuple[int, ...]
    r0: float
    E0: float
    t_star: float
    lower: float
    upper: float
    limit_direction: np.ndarray | None = field(default=None, repr=False)
    rate: float = math.nan
    reason: str = field(default="", repr=False)
    solver_bounds: tuple = field(default=(), repr=False)

    @property
    def named(self) -> dict[str, np.ndarray]:
        """Factors by name (``u``, ``W`` or ``W2``.., ``a``)."""
        return dict(zip(factor_names(self.depth), self.factors))

    def norm(self, name: str) -> float:
        """Frobenius norm of the named factor."""
        named = self.named
        if name not in named:
            raise ValueError(f"norm: unknown factor {name!r}; factors are {list(named)}")
        return float(np.linalg.norm(named[name]))

    def state_at(self, tau: float) -> list[np.ndarray]:
        r"""Factors (input to output) at rescaled time :math:`\tau < T^*` (``numerics.integrate_model``)."""
        y = integrate_flat(self.widths, flatten_factors(self.factors), [float(tau)])[-1]
        return [np.array(f) for f in unflatten_factors(y, self.widths)]

    def energy_at(self, tau: float) -> float:
        r""":math:`E(y(\tau))`."""
        return factors_energy(self.state_at(tau)) if tau > 0 else self.E0

    def quantity(self, name: str) -> float:
        """The named quantity ``name`` (:data:`CASE_QUANTITIES`, plus ``norm_<factor>``)."""
        if name.startswith("norm_"):
            return self.norm(name[5:])
        if name == "E_half":
            if not (math.isfinite(self.t_star) and self.t_star > 0):
                return math.nan
            try:
                return self.energy_at(0.5 * self.t_star)
            except RuntimeError:  # the integrator failed: undefined for this case, skipped
                return math.nan
        if name == "depth":
            return float(self.depth)
        if name in CASE_QUANTITIES and hasattr(self, name):
            return float(getattr(self, name))
        raise ValueError(f"quantity: unknown name {name!r}")

    def describe(self) -> str:
        """The factors, 6 significant digits (``to_dict`` has them exactly; the seed reproduces the case)."""
        parts = [f"{n} = {_short(f)}" for n, f in zip(factor_names(self.depth), self.factors)]
        return ", ".join(parts)

    def to_dict(self) -> dict:
        return {
            "widths": list(self.widths), "depth": self.depth,
            "factors": {n: np.asarray(f).tolist() for n, f in zip(factor_names(self.depth), self.factors)},
            "r0": self.r0, "E0": self.E0, "t_star": self.t_star, "lower": self.lower, "upper": self.upper,
        }


def _short(array) -> str:
    arr = np.asarray(array, dtype=float)
    text = np.array2string(arr, precision=6, separator=", ", suppress_small=False, max_line_width=10_000)
    return " ".join(text.split())


def integrate_flat(model_or_widths, y0, times, rtol: float = 1e-12, atol: float = 1e-14) -> np.ndarray:
    r"""States :math:`y(\tau)` (rows, the model's flattened order) at the increasing ``times``
    (``numerics.integrate_model``); ``RuntimeError`` with the solver's message when it fails."""
    import numerics

    times = np.asarray(times, dtype=float)
    traj = numerics.integrate_model(model_or_widths, np.asarray(y0, dtype=float), float(times[-1]),
                                    t_eval=times, rtol=rtol, atol=atol)
    if not traj.success or len(traj.t) != len(times):
        raise RuntimeError(f"integrate_model failed before tau = {times[-1]:.6g}: {traj.message}")
    return np.asarray(traj.y)


def make_case(factors: Sequence[np.ndarray], *, rtol: float = 1e-12) -> Case:
    r"""The :class:`Case` of reduced factors listed **input to output** ``[u, W^2, ..., a]``.

    :math:`T^*` from ``numerics.blowup_time(a, W, u)`` at depth 3 and
    ``numerics.blowup_time_deep(factors)`` otherwise; the bounds from ``theory.blowup``."""
    import numerics
    from theory.blowup import blowup_lower_bound, blowup_upper_bound

    fs = tuple(np.array(f, dtype=float) for f in factors)
    widths = widths_of_factors(list(fs))
    depth = len(fs)
    if not all(np.all(np.isfinite(f)) for f in fs):
        raise ValueError("factors: entries must be finite")
    flat = flatten_factors(list(fs))
    scale = float(np.max(np.abs(flat))) if flat.size else 0.0
    # ||y0|| without underflow or overflow of the squares (entries of 1e-170 or 1e170)
    r0 = scale * float(np.linalg.norm(flat / scale)) if scale > 0 else 0.0
    energy = factors_energy(list(fs))
    lower = blowup_lower_bound(r0, depth) if depth >= 2 else math.nan
    # the upper bound from the energy of the normalized state, by homogeneity
    # E0^(-(L-2)/L) = r0^(-(L-2)) E(y0/r0)^(-(L-2)/L): exact where E0 itself is subnormal
    e_theta = factors_energy([f / r0 for f in fs]) if r0 > 0 else 0.0
    upper = blowup_upper_bound(e_theta, depth)
    if upper is not None and r0 > 0:
        upper = float(upper) / r0 ** (depth - 2) if math.isfinite(float(upper)) else upper
    if abs(energy) < sys.float_info.min and e_theta != 0:
        # an E0 that underflowed (subnormal or 0 although E(y0/r0) != 0) has lost its digits: a claim on E0 would be judged on
        # round-off, so E0 is undefined here and such claims skip the case
        energy = math.nan
    try:
        if depth == 3:
            result = numerics.blowup_time(fs[2], fs[1], fs[0], rtol=rtol)
        else:
            result = numerics.blowup_time_deep(list(fs), rtol=rtol)
    except ValueError as refusal:
        # the solver refuses states it cannot resolve in double precision (factors whose sizes
        # differ by more than ~1e130): T* is undefined here, so claims on it skip this case
        return Case(
            factors=fs, depth=depth, widths=widths, r0=r0, E0=energy, t_star=math.nan,
            lower=float(lower), upper=math.nan if upper is None else float(upper),
            limit_direction=None, rate=math.nan, reason=str(refusal), solver_bounds=(math.nan, math.nan),
        )
    t_star = float(result.t_star) if result.blew_up else math.inf
    if result.blew_up and not math.isfinite(result.t_star):
        t_star = math.nan
    return Case(
        factors=fs, depth=depth, widths=widths, r0=r0, E0=energy, t_star=t_star,
        lower=float(lower), upper=math.nan if upper is None else float(upper),
        limit_direction=result.limit_direction,
        rate=math.nan if result.rate is None else float(result.rate),
        reason=str(result.diagnostics.get("reason", "")),
        solver_bounds=(float(result.lower), math.nan if result.upper is None else float(result.upper)),
    )


def positive_energy_case(hidden_widths: Sequence[int], seed: int, **kwargs) -> Case:
    """The :class:`Case` of ``verify.instances.positive_energy_factors(hidden_widths, seed)``
    (seeded Gaussian state with :math:`E_0 > 0`; keyword arguments passed on)."""
    from verify.instances import positive_energy_factors

    return make_case(positive_energy_factors(hidden_widths, seed, **kwargs))


def _warm() -> None:
    """Compile the blow-up solver once (so user tests with Hypothesis deadlines are not timed on it)."""
    make_case([np.ones(1), np.ones((1, 1)), np.ones(1)])


def parse_width_range(text: str | Sequence[int] | tuple[int, int], argument: str = "widths") -> tuple[int, int]:
    """``"1..6"`` / ``"3"`` / ``(1, 6)`` → ``(min_width, max_width)``, both ints >= 1."""
    if isinstance(text, str):
        pieces = text.split("..")
        try:
            values = [int(p) for p in pieces]
        except ValueError:
            raise ValueError(f"{argument}: expected 'LOW..HIGH' or one width, e.g. '1..6', got {text!r}") from None
        if len(values) == 1:
            values = values * 2
        if len(values) != 2:
            raise ValueError(f"{argument}: expected 'LOW..HIGH' or one width, e.g. '1..6', got {text!r}")
    else:
        values = [int(v) for v in text]
        if len(values) != 2:
            raise ValueError(f"{argument}: expected (min_width, max_width), got {text!r}")
    low, high = values
    if low < 1 or high < low or high > 64:
        raise ValueError(f"{argument}: need 1 <= LOW <= HIGH <= 64, got {low}..{high}")
    return low, high


def cases(depth: int = 3, widths: str | tuple[int, int] = (1, 6), *, max_value: float = 2.0,
          scales: tuple[int, int] = (-4, 2), positive_energy: bool = True, rtol: float = 1e-12):
    r"""Hypothesis strategy of :class:`Case` records of the reduced flow of ``depth`` (≥ 3).

    Hidden widths each in ``widths = (low, high)`` (or ``"low..high"``); every entry a float in
    :math:`[-`\ ``max_value``\ :math:`, `\ ``max_value``\ :math:`]` drawn by Hypothesis (arrays may be
    filled with one repeated value, which produces balanced states), all multiplied by one
    :math:`2^k`, :math:`k` an integer in ``scales`` (shrinking to :math:`k = 0`), so that claims
    that are wrong only at some scale (a wrong exponent) are found too. ``positive_energy``: flip
    the sign of ``a`` when :math:`E_0 < 0` (the flow is symmetric under :math:`a \to -a`,
    :math:`E \to -E`), so that ``upper`` is defined except at :math:`E_0 = 0`. Shrinking goes to
    the smallest widths and the simplest numbers (0, 1, short decimals)."""
    from hypothesis import strategies as st
    from hypothesis.extra.numpy import arrays

    from theory.ground.checks import check_int, check_real

    depth = check_int(depth, "depth", 3, 8)
    low, high = parse_width_range(widths)
    max_value = check_real(max_value, "max_value", 0.0, 1e6, low_open=True)
    k_low, k_high = (int(k) for k in scales)
    if not -30 <= k_low <= 0 <= k_high <= 30:
        raise ValueError(f"scales: need integers -30 <= low <= 0 <= high <= 30, got {scales!r}")
    _warm()
    elements = st.floats(-float(max_value), float(max_value), allow_nan=False, allow_infinity=False,
                         allow_subnormal=False)

    @st.composite
    def build(draw):
        ws = tuple(draw(st.integers(low, high)) for _ in range(depth - 1))
        factors = [draw(arrays(np.float64, shape, elements=elements)) for shape in factor_shapes(ws)]
        k = draw(st.integers(k_low, k_high))
        if k:
            factors = [f * 2.0**k for f in factors]
        if positive_energy and factors_energy(factors) < 0:
            factors[-1] = -factors[-1]
        return make_case(factors, rtol=rtol)

    return build()


# ----------------------------------------------------------------------------------- networks


@dataclass(frozen=True, eq=False)
class NetworkCase(Case):
    """A small network with data and initialization scale, its reduced state (the :class:`Case`
    fields, for :math:`\\bar\\theta_0 = \\theta_0/\\varepsilon`), and the predicted and observed
    plateau escape (GD iterations; ``observed_escape`` is ``nan`` when the loss never halved)."""

    weights: tuple[np.ndarray, ...] = field(default=(), repr=False)
    X: np.ndarray | None = field(default=None, repr=False)
    y: np.ndarray | None = field(default=None, repr=False)
    epsilon: float = math.nan
    activation: str = "tanh"
    lr: float = math.nan
    predicted_escape: float = math.nan
    observed_escape: float = math.nan

    def describe(self) -> str:
        dims = [int(np.asarray(self.weights[0]).shape[1])] + [int(np.asarray(w).shape[0]) for w in self.weights[:-1]]
        return (f"network {'-'.join(map(str, dims))}-1 ({self.activation}), eps = {self.epsilon:.4g}, lr = {self.lr:g}, "
                f"n = {0 if self.X is None else len(self.X)}: predicted escape {self.predicted_escape:.6g}, observed "
                f"{self.observed_escape:.6g}; normalized reduced state {super().describe()}")

    def quantity(self, name: str) -> float:
        if name in NETWORK_QUANTITIES:
            return float(getattr(self, name))
        return super().quantity(name)


def make_network_case(X, y, weights, *, activation: str = "tanh", lr: float = 0.2,
                      max_factor: float = 3.0) -> NetworkCase:
    """Predict (``numerics.predict_escape``) and observe (``numerics.plateau.train_until_escape``)
    the plateau escape of ``weights`` (input to output ``[W1, ..., a]``) on ``(X, y)``."""
    import numerics
    from numerics.plateau import train_until_escape

    pred = numerics.predict_escape(X, y, weights, lr, activation=activation)
    base = make_case(pred.reduced_state)
    observed = math.nan
    if math.isfinite(pred.iteration) and pred.iteration > 0:
        k = train_until_escape(X, y, weights, lr, pred.iteration, activation=activation, max_factor=max_factor)
        observed = math.nan if k is None else float(k)
    fields = {name: getattr(base, name) for name in Case.__dataclass_fields__}
    return NetworkCase(**fields, weights=tuple(np.asarray(w, dtype=float) for w in weights),
                       X=np.asarray(X, dtype=float), y=np.asarray(y, dtype=float), epsilon=float(pred.epsilon),
                       activation=str(activation), lr=float(lr), predicted_escape=float(pred.iteration),
                       observed_escape=observed)


def network_cases(depth: int = 3, widths: str | tuple[int, int] = (2, 6), *,
                  epsilon: tuple[float, float] = (1e-3, 1e-2), activation: str = "tanh",
                  n: int = 20, input_dim: int = 3, lr: float = 0.2):
    r"""Hypothesis strategy of :class:`NetworkCase`: hidden widths in ``widths``, Gaussian weights
    of scale :math:`\varepsilon` log-uniform in ``epsilon``, a data set from
    ``verify.strategies.datasets`` (``n`` points in ``input_dim`` dimensions), trained by GD with
    step ``lr`` until the loss halves (cost: about :math:`k_{\rm pred}` GD steps per case)."""
    from hypothesis import strategies as st

    from numerics.init import gaussian_init
    from verify import strategies as vst

    low, high = parse_width_range(widths)
    lo, hi = sorted(float(e) for e in epsilon)
    if not 0 < lo <= hi < 1:
        raise ValueError(f"epsilon: need 0 < low <= high < 1, got {epsilon!r}")

    @st.composite
    def build(draw):
        ws = tuple(draw(st.integers(low, high)) for _ in range(depth - 1))
        X, y = draw(vst.datasets(n=n, d=input_dim))
        eps = draw(vst.epsilons(lo, hi))
        weights = gaussian_init((input_dim, *ws), eps, draw(vst.seeds()))
        return make_network_case(X, y, weights, activation=activation, lr=lr)

    strategy = build()
    strategy.case_kind = "network"
    return strategy


ClaimFunction = Callable[[Case], object]
