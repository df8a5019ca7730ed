r"""Public Hypothesis strategies for property tests of condensation theory (issue 4).

Import them in your own pytest suite::

    from hypothesis import given
    from verify import strategies as cst

    @given(cst.positive_energy_states())
    def test_energy_grows(state):
        a, W, u = state
        ...

Every strategy draws a ``seed`` and builds its arrays with ``numpy.random.default_rng(seed)``,
so Hypothesis shrinks toward small widths/seeds and examples replay exactly. See docs/verify.md.

**Hypothesis's default deadline (200 ms).** The first call of a compiled kernel loads it (about
0.5-2 s from the on-disk cache, 15-30 s on a fresh machine), far over Hypothesis's default
deadline per example. So the strategies that feed compiled code warm it *when they are built*
(at import of the test module, outside every timed example), once per process:
:func:`reduced_states` and :func:`positive_energy_states` the blow-up solver and integrator
(:func:`numerics.blowup_time`, :func:`numerics.integrate_effective`), :func:`networks` and
:func:`datasets` direct training (:func:`numerics.train_network`, tanh). Tests written with
these strategies then pass under Hypothesis's default settings. Set the environment variable
``CONDENSE_WARM_STRATEGIES=0`` to skip it (e.g. when only drawing, never calling numerics).
"""

from __future__ import annotations

import os
import threading

import numpy as np
from hypothesis import strategies as st

from theory.activations import ACTIVATION_NAMES, NON_SMOOTH
from numerics.init import gaussian_arrays
from verify.instances import (
    MAX_ENERGY_RATIO,
    gaussian_reduced_factors,
    network_shapes,
    positive_energy_state,
)

__all__ = [
    "seeds",
    "depths",
    "widths",
    "epsilons",
    "activations",
    "datasets",
    "reduced_states",
    "positive_energy_states",
    "networks",
    "warm",
]

MAX_SEED = 2**32 - 1

#: Kernel families already warmed in this process.
_WARMED: set[str] = set()
_WARM_LOCK = threading.Lock()


def warm(kind: str) -> None:
    """Load the compiled kernels of ``kind`` now (once per process): ``"flow"`` (blow-up times and
    integration of the effective flow) or ``"training"`` (direct gradient descent, tanh).

    Called by the strategies when they are built, so that the first example of a test does not
    spend Hypothesis's deadline on loading Numba code. ``CONDENSE_WARM_STRATEGIES=0`` skips it."""
    if kind not in ("flow", "training"):
        raise ValueError(f"kind: must be 'flow' or 'training', got {kind!r}")
    if os.environ.get("CONDENSE_WARM_STRATEGIES", "1").strip() in ("0", "false", "no"):
        return
    with _WARM_LOCK:
        if kind in _WARMED:
            return
        import numerics

        if kind == "flow":
            a, W, u = positive_energy_state(2, 2, 0, 1e-3, 1.0)
            result = numerics.blowup_time(a, W, u)
            numerics.integrate_effective(a, W, u, 0.5 * result.t_star, t_eval=np.linspace(0, 0.5 * result.t_star, 3))
        else:
            rng = np.random.default_rng(0)
            X = rng.standard_normal((4, 2))
            y = np.tanh(X[:, 0])
            weights = gaussian_arrays(network_shapes(2, (2, 2)), 0.1, 0)
            numerics.train_network(X, y, weights, steps=2)
        _WARMED.add(kind)


def _strategy(value, default_builder=None):
    """Wrap a plain value as ``st.just(value)``; leave strategies as they are."""
    if isinstance(value, st.SearchStrategy):
        return value
    if value is None and default_builder is not None:
        return default_builder()
    return st.just(value)


def seeds() -> st.SearchStrategy[int]:
    """Random seeds, ``0 <= seed < 2**32``."""
    return st.integers(min_value=0, max_value=MAX_SEED)


def depths(min_depth: int = 2, max_depth: int = 4) -> st.SearchStrategy[int]:
    """Network depths ``L`` (number of weight layers), ``2 <= min_depth <= L <= max_depth``."""
    if not (isinstance(min_depth, int) and isinstance(max_depth, int)):
        raise TypeError("min_depth, max_depth: must be ints")
    if min_depth < 2 or max_depth < min_depth:
        raise ValueError(f"min_depth, max_depth: need 2 <= min_depth <= max_depth, got {min_depth}, {max_depth}")
    return st.integers(min_value=min_depth, max_value=max_depth)


def widths(depth: int | st.SearchStrategy[int] = 3, min_width: int = 1, max_width: int = 6):
    """Hidden widths ``(m1, ..., m_{L-1})`` for a depth (an int or a strategy of ints >= 2),
    each in ``[min_width, max_width]``."""
    if min_width < 1 or max_width < min_width:
        raise ValueError(f"min_width, max_width: need 1 <= min_width <= max_width, got {min_width}, {max_width}")
    depth_strategy = _strategy(depth)

    @st.composite
    def build(draw):
        L = draw(depth_strategy)
        if not isinstance(L, int) or L < 2:
            raise ValueError(f"depth: must be an int >= 2, got {L!r}")
        return tuple(draw(st.integers(min_width, max_width)) for _ in range(L - 1))

    return build()


def epsilons(min_eps: float = 1e-4, max_eps: float = 1e-1) -> st.SearchStrategy[float]:
    """Initialization scales ``epsilon``, log-uniform in ``[min_eps, max_eps]`` (``0 < min <= max``)."""
    if not (0 < min_eps <= max_eps):
        raise ValueError(f"min_eps, max_eps: need 0 < min_eps <= max_eps, got {min_eps}, {max_eps}")
    lo, hi = np.log10(min_eps), np.log10(max_eps)
    return st.floats(min_value=lo, max_value=hi, allow_nan=False).map(lambda x: float(10.0**x))


def activations(smooth_only: bool = True) -> st.SearchStrategy[str]:
    """Names from ``theory.ACTIVATION_NAMES``; ``smooth_only`` drops non-smooth ones (ReLU)."""
    names = [n for n in ACTIVATION_NAMES if not (smooth_only and n in NON_SMOOTH)]
    return st.sampled_from(names)


def datasets(n: int | st.SearchStrategy[int] = st.integers(4, 40),
             d: int | st.SearchStrategy[int] = st.integers(1, 5),
             min_target_norm: float = 0.1):
    r"""Data sets ``(X, y)``, ``X`` of shape ``(n, d)`` with N(0, 1) entries and
    :math:`y_i = \tanh(w^\top x_i) + 0.1\, x_{i1}` for a random unit :math:`w`, with
    :math:`\|v'\| \ge` ``min_target_norm`` where :math:`v' = \frac1n\sum_i y_i x_i`
    (so the effective model is not degenerate)."""
    n_strategy, d_strategy = _strategy(n), _strategy(d)
    warm("training")

    @st.composite
    def build(draw):
        n_, d_ = draw(n_strategy), draw(d_strategy)
        if n_ < 1 or d_ < 1:
            raise ValueError(f"n, d: need n >= 1 and d >= 1, got {n_}, {d_}")
        seed = draw(seeds())
        for attempt in range(100):
            rng = np.random.default_rng((seed + attempt) % (MAX_SEED + 1))
            X = rng.standard_normal((n_, d_))
            w = rng.standard_normal(d_)
            w /= np.linalg.norm(w)
            y = np.tanh(X @ w) + 0.1 * X[:, 0]
            if np.linalg.norm(X.T @ y / n_) >= min_target_norm:
                return X, y
        raise AssertionError("datasets: could not reach min_target_norm; lower it")  # pragma: no cover

    return build()


def reduced_states(hidden_widths: tuple[int, ...] | st.SearchStrategy | None = None, scale: float = 1.0):
    """Reduced effective states as factors ``[u, W^2, ..., W^{L-1}, a]`` (input to output, README
    convention) with N(0, scale²) entries; ``hidden_widths`` a tuple or strategy (default
    :func:`widths` of depth 3)."""
    hidden_widthsstrategy = _strategy(hidden_widths, lambda: widths(3))
    warm("flow")

    @st.composite
    def build(draw):
        ws = tuple(draw(hidden_widthsstrategy))
        return gaussian_reduced_factors(ws, scale, draw(seeds()))

    return build()


def positive_energy_states(hidden_widths: tuple[int, int] | st.SearchStrategy | None = None,
                           min_energy_ratio: float = 1e-3, scale: float = 1.0):
    r"""Depth-3 states ``(a, W, u)`` with :math:`E_0 = a^\top W u > 0`, finite and not near
    degenerate: :math:`E_0 \ge` ``min_energy_ratio`` :math:`\cdot\|y_0\|^3` (then the blow-up
    bounds :math:`\sqrt3/\|y_0\| \le T^* \le E_0^{-1/3}` differ by at most the factor
    ``(3\sqrt3\,min_energy_ratio)^{-1/3}``). ``hidden_widths = (m1, m2)`` or a strategy of such
    (default 1..6 each). The sign of ``a`` is flipped when :math:`E_0 < 0` (the flow is
    symmetric under :math:`a \to -a`, :math:`E \to -E`)."""
    if not 0 <= min_energy_ratio < MAX_ENERGY_RATIO:
        raise ValueError(f"min_energy_ratio: must be in [0, {MAX_ENERGY_RATIO:.4f}), got {min_energy_ratio}")
    hidden_widthsstrategy = _strategy(hidden_widths, lambda: widths(3))
    warm("flow")

    @st.composite
    def build(draw):
        ws = tuple(draw(hidden_widthsstrategy))
        if len(ws) != 2:
            raise ValueError(f"hidden_widths: positive_energy_states is depth 3, need (m1, m2), got {ws}")
        return positive_energy_state(ws[0], ws[1], draw(seeds()), min_energy_ratio, scale)

    return build()


def networks(depth: int | st.SearchStrategy[int] = 3, input_dim: int | st.SearchStrategy[int] = 3,
             hidden_widths: tuple[int, ...] | st.SearchStrategy | None = None,
             epsilon: float | st.SearchStrategy[float] | None = None):
    """Network weights ``[W1, W2, ..., a]`` (input to output, README convention) with
    N(0, epsilon²) entries; ``epsilon`` defaults to :func:`epsilons`, hidden widths to
    :func:`widths` of the drawn depth."""
    depth_strategy = _strategy(depth)
    dim_strategy = _strategy(input_dim)
    eps_strategy = _strategy(epsilon, epsilons)
    warm("training")

    @st.composite
    def build(draw):
        L = draw(depth_strategy)
        ws = tuple(draw(_strategy(hidden_widths, lambda: widths(L))))
        if len(ws) != L - 1:
            raise ValueError(f"hidden_widths: need depth - 1 = {L - 1} widths, got {ws}")
        d = draw(dim_strategy)
        eps = draw(eps_strategy)
        return gaussian_arrays(network_shapes(d, ws), eps, draw(seeds()))

    return build()
