r"""Exact finite-time blow-up of the effective flow (docs/mathematics.md#blow-up).

For the reduced model of depth :math:`L \ge 3` the field :math:`F = \nabla E` is homogeneous of
degree :math:`L-1` with :math:`y \cdot F(y) = L\,E(y)` (Euler). With :math:`r = \|y\|`,
:math:`\theta = y/r` and the rescaled time :math:`ds = r^{L-2}\,d\tau` (a continuous rescaling in
the sense of Stuart & Floater 1990):

.. math::
    \frac{d\theta}{ds} = F(\theta) - L E(\theta)\,\theta, \qquad
    \frac{d\log r}{ds} = L E(\theta), \qquad
    \frac{d\tau}{ds} = r^{-(L-2)}, \qquad T^* = \int_0^\infty r(s)^{-(L-2)}\,ds.

The projected flow is the gradient ascent of :math:`E` on the unit sphere, so :math:`E(\theta(s))`
never decreases. It converges to a critical direction :math:`\theta^*`,
:math:`F(\theta^*) = \lambda\theta^*` with :math:`\lambda = L E(\theta^*)`:

* :math:`\lambda > 0`: the only such critical points are the rank-one maxima,
  :math:`\lambda = L^{1-L/2}` (:math:`1/\sqrt3` for :math:`L=3`); :math:`\tau(s)` converges
  exponentially and :math:`T^* = \tau(s) + r(s)^{-(L-2)}/((L-2)\lambda)` (the tail once
  :math:`\log r` grows linearly). :math:`\tau` is integrated as an extra component, so the
  quadrature of :math:`T^*` is part of the error-controlled ODE solve.
* :math:`\lambda \le 0` (reached only from a measure-zero set: the stable sets of the minimum
  and of the saddles, :math:`F(\theta^*) = 0`): :math:`r(s)` decays or tends to a constant,
  :math:`\tau(s) \to \infty`; there is no blow-up. Reported as ``blew_up=False`` with the reason.

By homogeneity :math:`T^*(y_0) = T^*(\theta_0)\,r_0^{-(L-2)}`, so the flow is always started at
:math:`r = 1` (no overflow for huge or tiny states). Bounds (docs/mathematics.md#blow-up):
:math:`T^* \ge L^{L/2-1}/((L-2)\,r_0^{L-2})` (the maximum of :math:`L E` on the sphere is
:math:`L^{1-L/2}`) and, when :math:`E_0 > 0`, :math:`T^* \le E_0^{-(L-2)/L}/(L-2)`
(:math:`E' \ge L E^{2(L-1)/L}` by AM–GM over the :math:`L` terms of :math:`\|F\|^2`; for
:math:`L = 3` this is :math:`E' \ge 3E^{4/3}` and :math:`T^* \le E_0^{-1/3}`). The notes prove the
upper bound for :math:`L = 3`; for :math:`L > 3` it is the same AM–GM argument with
:math:`\prod_k \|\partial_k E\|^2 \ge E^{2(L-1)}`, checked numerically by the tests.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numba as nb
import numpy as np

from numerics.display import BlowupDisplay

from numerics import _validate
from numerics import kernels
from numerics.integrate import _depth3, _shapes
from numerics.kernels import FIELD_SIG, MONITOR_SIG, chain_params, projected_field_p, state_shapes
from numerics.rk import (
    _TABLEAU_ARGS,
    STATUS_MAX_STEPS,
    STATUS_MESSAGES,
    STATUS_MONITOR,
    STATUS_NONFINITE,
    STATUS_THRESHOLD,
    address_of,
    get_tableau,
    rk_solve,
    solve,
)

# monitor slots in the parameter vector (after p[0] = L and the widths)
_SLOT_TAIL, _SLOT_RESID, _SLOT_STILL, _SLOT_STILL_MIN = 0, 1, 2, 3
_CODE_BLOWUP, _CODE_STILL = 1, 2
#: residual ||F(θ) - L E(θ) θ|| below which a direction with E(θ) <= 0 counts as a fixed point
STILL_TOLERANCE = 1e-13
#: the same for a direction with E(θ) < 0, times sqrt(dim): only the ray of the minimum itself is such a
#: fixed point, and it is a *source* of the projected flow (gradient ascent of E on the sphere), so a
#: state 1e-13 away from it still leaves it and blows up (e.g. (a, w, u) = (-(1 - 1e-13), 1, 1):
#: T* = 7.0e6 by the closed form); at exact data the residual is a few 1e-16
STILL_TOLERANCE_MINIMUM = 2e-15
_S_END = 1e12  # rescaled time horizon (the monitor stops long before)
_MAX_STEPS = 200_000
_NO_OUTPUT = np.array([_S_END])


@functools.cache
def _blowup_monitor():
    """The step monitor :func:`_blowup_monitor_c` as a C function (compiled or loaded from the
    disk cache on the first blow-up time of a process, not at import)."""
    return nb.cfunc(MONITOR_SIG, cache=True, nopython=True)(_blowup_monitor_c)


def _blowup_monitor_c(s, z_ptr, f_ptr, n, p_ptr, n_p):
    r"""Stop when the tail :math:`e^{-(L-2)\rho}/((L-2)\lambda)` is below ``tail_tol * tau`` and
    the projected residual below ``resid_tol`` (code 1), or when the flow sits at a critical
    direction with :math:`E \le 0` (code 2)."""
    z = nb.carray(z_ptr, (n,))
    f = nb.carray(f_ptr, (n,))
    p = nb.carray(p_ptr, (n_p,))
    depth = int(p[0])
    dim = n - 2
    resid = 0.0
    for i in range(dim):
        resid += f[i] * f[i]
    resid = np.sqrt(resid)
    lam = f[dim]
    if lam > 0.0:
        tail = f[dim + 1] / ((depth - 2) * lam)
        if resid <= p[depth + _SLOT_RESID] and tail <= p[depth + _SLOT_TAIL] * z[dim + 1]:
            return _CODE_BLOWUP
    elif resid <= (p[depth + _SLOT_STILL_MIN] if lam < -p[depth + _SLOT_STILL] else p[depth + _SLOT_STILL]):
        return _CODE_STILL
    return 0


@dataclass(frozen=True)
class BlowupResult(BlowupDisplay):
    r"""Blow-up time of the effective flow from one initial state.

    ``t_star``: :math:`T^*` (``inf`` when there is no blow-up, ``nan`` when undecided — see
    ``diagnostics["reason"]``); ``lower`` / ``upper``: the bounds of docs/mathematics.md#blow-up (``upper`` is
    None unless :math:`E_0 > 0`); ``limit_direction``: :math:`\theta^*` as a unit vector in the
    flattened-state order (None without blow-up; :meth:`limit_factors` splits it);
    ``rate``: :math:`\lambda = L E(\theta^*)` (so :math:`\|y(\tau)\| \approx
    ((L-2)\lambda(T^*-\tau))^{-1/(L-2)}`; :math:`1/\sqrt3` for depth 3); ``blew_up``;
    ``diagnostics``: steps, function evaluations, final residual, tail, reason, ....
    """

    t_star: float
    lower: float
    upper: float | None
    limit_direction: np.ndarray | None
    rate: float | None
    blew_up: bool
    diagnostics: dict = field(default_factory=dict)
    shapes: tuple = ()

    def limit_factors(self) -> list[np.ndarray] | None:
        """:math:`\theta^*` split into the factors ``[u, W^2, ..., W^{L-1}, a]`` (input to output,
        :func:`numerics.state.unflatten_factors`)."""
        if self.limit_direction is None:
            return None
        from numerics.state import unflatten_factors, widths_from_state_shapes

        return unflatten_factors(self.limit_direction, widths_from_state_shapes(self.shapes))


def _power(r0: float, k: int) -> float:
    r""":math:`r_0^k` as a float that saturates to ``inf`` / ``0`` instead of raising
    ``OverflowError`` (Python's ``float ** int`` raises where NumPy saturates; both are C ``pow``)."""
    try:
        return float(r0) ** k
    except OverflowError:
        return math.inf
    except ZeroDivisionError:  # 0.0 ** (negative k)
        return math.inf


def _norm(y: np.ndarray) -> float:
    r""":math:`\|y\|_2` without overflow or underflow of the squares (scaled by :math:`\max|y_i|`);
    ``inf`` when the norm itself exceeds the float range (:func:`_blowup_prepare` does the same in compiled code)."""
    peak = float(np.abs(y).max())
    if peak == 0.0 or not math.isfinite(peak):
        return peak
    return peak * _l2(y / peak)


def _l2(x: np.ndarray) -> float:
    r""":math:`\|x\|_2` of a 1-d float array as ``np.linalg.norm`` computes it (``sqrt(x.dot(x))``,
    the same bits) without its Python-level dispatch."""
    return math.sqrt(x.dot(x))


def _ratio_text(spread: float) -> str:
    return f"{1 / spread:.3g}" if spread > 1e-300 else "above 1e300"


@functools.lru_cache(maxsize=256)
def _factor_offsets(widths: tuple[int, ...]) -> np.ndarray:
    sizes = [int(np.prod(shape)) for shape in state_shapes(widths)]
    return np.cumsum([0] + sizes[:-1])


@functools.lru_cache(maxsize=256)
def _params_template(widths: tuple[int, ...], rtol: float, dim: int) -> np.ndarray:
    p = chain_params(widths, slots=(1e-2 * rtol, max(math.sqrt(rtol) * 0.1, 1e-9), STILL_TOLERANCE,
                                    STILL_TOLERANCE_MINIMUM * math.sqrt(dim)))
    p.flags.writeable = False
    return p


#: factors of theta0 whose norms differ by more than this ratio get an absolute tolerance scaled
#: down with them (see _blowup_flat)
_SPREAD_RESOLVED = 1e-6
#: smallest absolute tolerance (components that stay exactly 0 need a positive scale)
_ATOL_FLOOR = 1e-300


def bounds(r0: float, e_theta: float, depth: int) -> tuple[float, float | None]:
    r"""Lower and upper bounds on :math:`T^*` for :math:`\|y_0\| = r_0`,
    :math:`E(\theta_0) = ` ``e_theta`` (docs/mathematics.md#blow-up; module docstring)."""
    if depth == 2:
        return math.inf, None
    r0_power = _power(r0, depth - 2)
    lower = depth ** (depth / 2 - 1) / ((depth - 2) * r0_power) if r0_power > 0 else math.inf
    upper = None
    if e_theta > 0:  # E0^{-(L-2)/L}/(L-2) with E0 = r0^L E(θ0), written without overflow
        upper = _power(r0, -(depth - 2)) * e_theta ** (-(depth - 2) / depth) / (depth - 2)
    return lower, upper


def _result(t_star, lower, upper, theta, lam, blew_up, widths, **diag) -> BlowupResult:
    return BlowupResult(
        t_star=float(t_star),
        lower=float(lower),
        upper=None if upper is None else float(upper),
        limit_direction=theta,
        rate=None if lam is None else float(lam),
        blew_up=bool(blew_up),
        diagnostics={"widths": widths, **diag},
        shapes=_shapes(widths),
    )


@nb.njit(cache=True, nogil=True)
def _unit_norm(x):
    r""":math:`\|x\|_2` as ``math.sqrt(x.dot(x))`` computes it in :func:`_l2` (the same BLAS
    ``ddot``, so the same bits)."""
    return np.sqrt(np.dot(x, x))


@nb.njit(cache=True, nogil=True)
def _scaled(x, c):
    """``x / c`` (elementwise) as a new array."""
    out = np.empty(x.shape[0])
    for i in range(x.shape[0]):
        out[i] = x[i] / c
    return out


@nb.njit(cache=True, nogil=True)
def _blowup_prepare(y0, offsets, p, rtol, atol_scaled, spread_resolved, atol_floor):
    r"""The pre-processing of :func:`_blowup_flat`, compiled in one function with one signature
    (loaded from the disk cache): :math:`r_0 = \|y_0\|` (scaled by :math:`\max|y_i|` as
    :func:`_norm`), :math:`\theta_0 = y_0/r_0` and :math:`1/r_0` (also when :math:`r_0` overflows: then
    :math:`y_0` is normalized by :math:`\max|y_i|` first), :math:`E(\theta_0)` and the projected
    field, the equilibrium test, the factor spread (smallest over largest :math:`\max|\cdot|` of the
    nonzero factors) and the absolute tolerance (``1e-3 rtol``, scaled down with a spread below
    ``spread_resolved``, floored at ``atol_floor``). The same operations in the same order as the
    NumPy code it replaces, so the results are the same bits.

    Returns ``(stage, r0, 1/r0, E(theta0), spread, atol, z0)`` with ``z0 = (theta0, 0, 0)``;
    ``stage``: -1 ``y0`` has a non-finite entry (nothing else computed); 0 ``y0 = 0``; 1 depth 2 (stops after :math:`E(\theta_0)`); 2 :math:`F(\theta_0) = 0`;
    3 spread below ``spread_resolved`` with :math:`E(\theta_0) = 0` and ``atol_scaled`` False (the
    caller decides with :func:`_chain_sign`, then calls again with ``atol_scaled`` True); 4 ready
    for the driver."""
    dim = y0.shape[0]
    depth = int(p[0])
    nan = np.nan
    peak = 0.0
    z0 = np.zeros(dim + 2)
    for i in range(dim):
        v = abs(y0[i])
        if not v < np.inf:  # inf or nan
            return -1, nan, nan, nan, nan, nan, z0
        if v > peak:
            peak = v
    if peak == 0.0:
        return 0, peak, nan, nan, nan, nan, z0
    unit = _scaled(y0, peak)  # explicit loops, not array expressions: much faster to compile
    r0 = peak * _unit_norm(unit)
    if np.isfinite(r0):
        for i in range(dim):
            z0[i] = y0[i] / r0
        inv_r0 = 1.0 / r0
    else:
        nrm = _unit_norm(unit)
        for i in range(dim):
            z0[i] = unit[i] / nrm
        inv_r0 = (1.0 / peak) / nrm
    theta0 = z0[:dim]
    f0 = np.empty(dim + 2)
    e_theta = projected_field_p(z0, f0, p)
    if depth == 2:
        return 1, r0, inv_r0, e_theta, nan, nan, z0
    le = depth * e_theta
    moving = False
    for i in range(dim):
        if f0[i] + le * theta0[i] != 0.0:
            moving = True
            break
    if not moving:
        return 2, r0, inv_r0, e_theta, nan, nan, z0
    atol = 1e-3 * rtol
    low = np.inf
    high = 0.0
    n_off = offsets.shape[0]
    for b in range(n_off):
        stop = offsets[b + 1] if b + 1 < n_off else dim
        block = 0.0
        for i in range(offsets[b], stop):
            v = abs(theta0[i])
            if v > block:
                block = v
        if block > 0.0:
            low = min(low, block)
            high = max(high, block)
    spread = low / high if high > 0.0 else 1.0
    if spread < spread_resolved:
        if e_theta == 0.0 and not atol_scaled:
            return 3, r0, inv_r0, e_theta, spread, nan, z0
        atol = max(atol * spread, atol_floor)
    return 4, r0, inv_r0, e_theta, spread, atol, z0


@nb.njit(cache=True, nogil=True)
def _blowup_finish(z, f):
    r"""The post-processing of :func:`_blowup_flat` on the driver's final ``z = (theta, rho, tau)``
    and field ``f``: :math:`(\|\theta\|, \theta/\|\theta\|, \lambda = f_{dim}, \|f_{:dim}\|, \rho, \tau,
    f_{dim+1})` (norms as :func:`_l2`, the same bits)."""
    dim = z.shape[0] - 2
    z_norm = _unit_norm(z[:dim])
    return z_norm, _scaled(z[:dim], z_norm), f[dim], _unit_norm(f[:dim]), z[dim], z[dim + 1], f[dim + 1]


class _NonFinite(ValueError):
    """A non-finite entry of the state, found by :func:`_blowup_prepare` (:func:`blowup_time`
    leaves the finiteness test to it and then raises the validator's error instead)."""


def _blowup_flat(y0: np.ndarray, widths: tuple[int, ...], rtol: float, method: str) -> BlowupResult:
    depth = len(widths) + 1
    dim = y0.shape[0]
    offsets, driver = _core_arguments(widths, method)
    p = _params_template(widths, rtol, dim).copy()
    stage, r0, inv_r0, e_theta, spread, atol, z0 = _blowup_prepare(y0, offsets, p, rtol, False, _SPREAD_RESOLVED,
                                                                   _ATOL_FLOOR)
    if stage == -1:
        raise _NonFinite("y0: entries must be finite")
    base = {"depth": depth, "r0": r0, "method": method, "rtol": rtol}
    if stage == 0:
        return _result(math.inf, math.inf, None, None, None, False, widths, reason="y0 = 0 is an equilibrium", **base)
    if math.isfinite(r0):
        lower, upper = bounds(r0, e_theta, depth)
    else:  # ||y0|| overflows: the same bounds written with 1/||y0||
        inv_power = _power(inv_r0, depth - 2)
        lower = depth ** (depth / 2 - 1) / (depth - 2) * inv_power
        upper = inv_power * e_theta ** (-(depth - 2) / depth) / (depth - 2) if e_theta > 0 else None
    base["E0"] = e_theta * _power(r0, depth) if e_theta else 0.0
    if stage == 1:
        return _result(
            math.inf, lower, upper, None, None, False, widths,
            reason="depth 2: the effective flow y' = J y is linear; solutions grow at most "
            "exponentially and never blow up in finite time",
            **base,
        )
    if stage == 2:  # F(theta0) = 0 (tested entrywise: its squares may underflow)
        return _result(
            math.inf, lower, upper, None, None, False, widths,
            reason="y0 is an equilibrium: F(y0) = 0, the flow stays at y0", **base,
        )
    if stage == 3:
        # Factors of very different sizes (e.g. a huge a with W, u of order 1): the small factors
        # of theta0 grow by many orders of magnitude while the flow leaves the saddle near
        # theta0, and an absolute tolerance of 1e-3 rtol would not resolve them (the computed T*
        # was 6x too large for (a, w, u) = (1.3e100, 0.7, 0.9)); the core scales it down with them.
        sign = _chain_sign(z0[:dim], widths)
        if sign != 0.0:
            # E(theta0) underflowed although E(y0) != 0: the flow leaves a saddle from components
            # below double precision's range on the sphere; its time cannot be resolved. Undecided
            # (t_star = nan), never "no blow-up"; blew_up is True when E0 > 0 (then T* is finite).
            return _result(
                math.nan, lower, upper, None, None, sign > 0, widths,
                reason=(f"undecided: the factors of y0 differ in size by a factor {_ratio_text(spread)}, "
                        "so E(y0/||y0||) underflows to 0 in double precision although E(y0) "
                        f"{'>' if sign > 0 else '<'} 0; the projected flow cannot be resolved from "
                        "this state (by homogeneity rescaling y0 does not help)"
                        + ("; E0 > 0, so the flow does blow up, time unknown" if sign > 0 else "")),
                **base,
            )
        p = _params_template(widths, rtol, dim).copy()
        stage, r0, inv_r0, e_theta, spread, atol, z0 = _blowup_prepare(y0, offsets, p, rtol, True, _SPREAD_RESOLVED,
                                                                       _ATOL_FLOOR)
    base["atol"] = atol
    # t_eval = [s_end] (never reached: the monitor stops first): the driver records no trajectory,
    # only the final state is needed (at m = 50 recording every step moved megabytes per call)
    field, monitor, tableau = driver
    out = rk_solve(field, 0, monitor, p, 0.0, z0, _S_END, rtol, atol, *tableau, _NO_OUTPUT, False, 0.0, True,
                   math.inf, _MAX_STEPS, 0.0)
    status, n_acc, n_rej, nfev, code, s_final = out[0], out[7], out[8], out[9], out[10], out[11]
    z_norm, theta, lam, resid, log_r, tau, tail_f = _blowup_finish(out[12], out[13])
    base.update(
        steps=n_acc, rejected=n_rej, nfev=nfev, s_end=s_final,
        residual=resid, log_r_end=log_r, solver_status=status,
        sphere_drift=abs(z_norm - 1.0),
    )
    scale = _power(r0, -(depth - 2)) if math.isfinite(r0) else _power(inv_r0, depth - 2)
    if status == STATUS_MONITOR and code == _CODE_BLOWUP:
        tail = tail_f / ((depth - 2) * lam)
        t_theta = tau + tail
        lam_max = depth ** (1 - depth / 2)
        base.update(tail=tail, rate_error=abs(lam - lam_max) / lam_max, t_star_unit=t_theta)
        return _result(t_theta * scale, lower, upper, theta, lam, True, widths,
                       reason="the projected flow converged to a rank-one direction with "
                       "E(theta*) > 0: finite-time blow-up", **base)
    if status == STATUS_MONITOR and code == _CODE_STILL:
        if lam < -STILL_TOLERANCE:
            why = ("the projected flow converged to a critical direction with E(theta*) < 0: "
                   "y(tau) -> 0 along that ray, no blow-up (y0 lies on the stable set of the "
                   "minimum, within round-off)")
        else:
            why = ("the projected flow converged to a direction with F(theta*) = 0, E(theta*) = 0: "
                   "y(tau) tends to a finite equilibrium (stable set of a saddle, within "
                   "round-off), no blow-up")
        return _result(math.inf, lower, upper, None, lam, False, widths, reason=why, **base)
    if status == STATUS_MAX_STEPS:
        why = f"undecided: the projected flow did not converge within {_MAX_STEPS} steps"
    elif status == STATUS_NONFINITE:
        why = "undecided: the projected flow overflowed"
    else:
        why = f"undecided: the solver stopped ({STATUS_MESSAGES[status]})"
    if e_theta > 0 or lam > 0:
        why += "; E > 0 was reached, so the flow does blow up (T* <= E^{-(L-2)/L}/(L-2)), time unknown"
    return _result(math.nan, lower, upper, None, lam, e_theta > 0 or lam > 0, widths, reason=why, **base)


@functools.lru_cache(maxsize=256)
def _core_arguments(widths: tuple[int, ...], method: str) -> tuple[np.ndarray, tuple]:
    """What :func:`_blowup_prepare` and the driver take that depends only on the widths and the
    method: the factor offsets and ``(field address, monitor address, tableau)``."""
    driver = (address_of(kernels.projected_field_c, FIELD_SIG, "field"),
              address_of(_blowup_monitor(), MONITOR_SIG, "monitor"), _TABLEAU_ARGS[method])
    return _factor_offsets(widths), driver


def _chain_sign(theta: np.ndarray, widths: tuple[int, ...]) -> float:
    r""":math:`E(\theta)` up to a positive factor: the chain product with every factor scaled to
    largest entry 1, nonzero where :math:`E(\theta)` only underflowed (up to cancellation)."""
    parts, start = [], 0
    for shape in state_shapes(widths):
        size = int(np.prod(shape))
        block = theta[start : start + size]
        peak = float(np.abs(block).max())
        if peak == 0.0:
            return 0.0
        parts.append((block / peak).reshape(shape))
        start += size
    vec = parts[-1]
    for mat in reversed(parts[1:-1]):
        vec = mat @ vec
    return float(parts[0] @ vec)


def _check_method(method: str) -> str:
    return method if method in _TABLEAU_ARGS else get_tableau(method).name


def _check_rtol(rtol) -> float:
    if type(rtol) is float and 1e-14 <= rtol <= 1e-3:
        return rtol
    return _validate.real_number(rtol, "rtol", low=1e-14, high=1e-3)


def blowup_time(a, W, u, *, rtol: float = 1e-12, method: str = "DOP853") -> BlowupResult:
    r"""Blow-up time :math:`T^*` of :math:`a' = Wu,\ W' = a u^\top,\ u' = W^\top a` from
    ``(a, W, u)`` (``a`` shape ``(m2,)``, ``W`` ``(m2, m1)``, ``u`` ``(m1,)``; docs/mathematics.md#reduced-variables, #blow-up).

    Integrates the projected flow in rescaled time with the compiled ``method`` at tolerance
    ``rtol`` until :math:`\theta` has converged and the tail :math:`1/(r\lambda)` is below
    :math:`10^{-2}\,\mathrm{rtol}\cdot\tau`. Bounds: ``lower`` :math:`= \sqrt3/\|y_0\|`, ``upper``
    :math:`= E_0^{-1/3}` when :math:`E_0 > 0`. Non-blow-up inputs (zero state, equilibria, the
    measure-zero stable sets of the minimum and of the saddles) give ``blew_up=False``,
    ``t_star=inf`` and a reason in ``diagnostics["reason"]``.
    """
    y0, widths = _depth3(a, W, u, check_finite=False)
    rtol = _check_rtol(rtol)
    method = _check_method(method)
    try:
        return _blowup_flat(y0, widths, rtol, method)
    except _NonFinite:
        _validate.depth3_state(a, W, u)  # raises the validator's error naming the argument
        raise


def blowup_time_deep(factors, *, rtol: float = 1e-12, method: str = "DOP853") -> BlowupResult:
    r"""Blow-up time of the depth-:math:`L` reduced flow, ``factors = [u, W^2, ..., W^{L-1}, a]``
    listed input to output (``u`` ``(m1,)``, ``W^k`` ``(m_k, m_{k-1})``, ``a`` ``(m_{L-1},)``).

    Same method as :func:`blowup_time` with :math:`ds = r^{L-2} d\tau`; bounds
    :math:`L^{L/2-1}/((L-2) r_0^{L-2}) \le T^* \le E_0^{-(L-2)/L}/(L-2)`. Depth 2 (``[u, a]``) is
    linear and never blows up: ``blew_up=False``, ``t_star=inf``.
    """
    y0, widths = _validate.factors_state(factors)
    rtol = _check_rtol(rtol)
    return _blowup_flat(y0, widths, rtol, _check_method(method))


def naive_blowup_time(a, W, u, M: float, *, rtol: float = 1e-12, method: str = "DOP853") -> float:
    r"""The naive estimate of :math:`T^*`: integrate :math:`y' = F(y)` (depth 3) until
    :math:`\|y\| = M` and return that time (``inf`` if :math:`\|y\|` never reaches ``M``).

    Its error is :math:`T^* - \tau_M \approx 1/(\lambda M) = \sqrt3/M` (docs/mathematics.md#blow-up): the
    baseline of ``benchmarks/bench_blowup_accuracy.py``. Raises ``OverflowError`` when the state
    overflows before reaching ``M``.
    """
    y0, (m1, m2) = _validate.depth3_state(a, W, u)
    rtol = _validate.real_number(rtol, "rtol", low=1e-14, high=1e-3)
    method = _check_method(method)
    r0 = _norm(y0)
    if r0 == 0.0:
        return math.inf  # y0 = 0 is an equilibrium
    M = _validate.real_number(M, "M", low=r0, low_open=True)
    if not math.isfinite(M):
        raise ValueError(f"M: expected a finite threshold > ||y0|| = {r0:g}, got {M!r}")
    theta0 = y0 / r0  # homogeneity: tau_M(y0) = tau_{M/r0}(theta0) / r0
    e_theta = float(theta0[:m2] @ (theta0[m2 : m2 + m1 * m2].reshape(m2, m1) @ theta0[-m1:]))
    lower, upper = bounds(1.0, e_theta, 3)
    t_end = 1.001 * upper if upper is not None else 1e6 * lower
    res = solve(kernels.chain_field_c, chain_params((m1, m2)), theta0, t_end, method=method, rtol=rtol,
                atol=1e-3 * rtol, max_norm=M / r0, max_steps=10_000_000)
    if res.status == STATUS_THRESHOLD:
        return res.t_final / r0
    if res.status == STATUS_NONFINITE:
        raise OverflowError(f"naive_blowup_time: the state overflowed before ||y|| reached M = {M:g}")
    if res.status < 0:
        raise RuntimeError(f"naive_blowup_time: integration failed before ||y|| = M: {res.message}")
    return math.inf


# ----------------------------------------------------------------------------- SciPy reference


def chain_field_numpy(y: np.ndarray, widths) -> np.ndarray:
    r""":math:`\nabla E` with NumPy matrix products (reference for the SciPy baseline; tied to the
    symbolic field by the tests)."""
    shapes = state_shapes(tuple(widths))
    parts, start = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        parts.append(y[start : start + size].reshape(shape))
        start += size
    # parts: a, W^{L-1}, ..., W^2, u ; E = a^T W^{L-1} ... W^2 u
    right = [parts[-1]]
    for mat in reversed(parts[1:-1]):
        right.append(mat @ right[-1])
    left = [parts[0]]
    for mat in parts[1:-1]:
        left.append(mat.T @ left[-1])
    grads = [right[-1]]
    for k, _ in enumerate(parts[1:-1]):
        grads.append(np.outer(left[k], right[len(parts) - 3 - k]).ravel())
    grads.append(left[-1])
    return np.concatenate(grads)


def scipy_blowup_time(a, W, u, *, rtol: float = 1e-12) -> float:
    r"""Independent reference: the same rescaled flow integrated by ``scipy.integrate.solve_ivp``
    (``DOP853``, same tolerances) with a NumPy field, stopped by a terminal event when the tail
    :math:`1/(r\lambda)` falls below :math:`10^{-2}\mathrm{rtol}\cdot\tau`. Depth 3, blowing-up data."""
    from scipy.integrate import solve_ivp

    y0, widths = _validate.depth3_state(a, W, u)
    r0 = float(np.linalg.norm(y0))
    dim = y0.shape[0]

    def rhs(s, z):
        theta = z[:dim]
        grad = chain_field_numpy(theta, widths)
        le = float(theta @ grad)
        return np.concatenate([grad - le * theta, [le, math.exp(-z[dim])]])

    def tail_small(s, z):
        le = float(z[:dim] @ chain_field_numpy(z[:dim], widths))
        return (math.exp(-z[dim]) / le if le > 0 else math.inf) - 1e-2 * rtol * z[dim + 1]

    tail_small.terminal = True
    z0 = np.concatenate([y0 / r0, [0.0, 0.0]])
    sol = solve_ivp(rhs, (0.0, _S_END), z0, method="DOP853", rtol=rtol, atol=1e-3 * rtol, events=tail_small)
    if sol.status != 1:
        raise RuntimeError(f"scipy_blowup_time: no convergence ({sol.message})")
    z = sol.y_events[0][0]
    le = float(z[:dim] @ chain_field_numpy(z[:dim], widths))
    return (z[dim + 1] + math.exp(-z[dim]) / le) / r0


__all__ = [
    "BlowupResult",
    "blowup_time",
    "blowup_time_deep",
    "naive_blowup_time",
    "scipy_blowup_time",
    "chain_field_numpy",
    "bounds",
]
