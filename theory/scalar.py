r"""Closed form of the blow-up time of the scalar depth-3 effective flow (docs/mathematics.md#blow-up).

For :math:`m_1=m_2=1` the flow is :math:`a'=wu,\ w'=au,\ u'=aw`. The differences of squares are
conserved: :math:`a^2-w^2=c_1`, :math:`w^2-u^2=c_2`. Let :math:`x` be the coordinate of smallest
modulus and :math:`p,q` the other two; then :math:`p^2=x^2+k_1`, :math:`q^2=x^2+k_2` with constants
:math:`0\le k_1\le k_2`, so :math:`p,q` never vanish (when :math:`k_1>0`) and keep their signs, and
with :math:`s=\operatorname{sign}(pq)` the variable :math:`y=s\,x` obeys

.. math:: y' = \sqrt{(y^2+k_1)(y^2+k_2)} > 0 .

Hence

.. math:: T^* = \int_{y_0}^{\infty}\frac{dy}{\sqrt{(y^2+k_1)(y^2+k_2)}},\qquad y_0=s\,x_0,

an (incomplete) elliptic integral of the first kind. For positive data with :math:`x=a` this is the
form :math:`\int_{a_0}^\infty da/\sqrt{(a^2-c_1)(a^2-c_1-c_2)}` of the notes after renaming.
Sign symmetries (flipping two signs maps solutions to solutions) are built in: only
:math:`|x_0|,|p_0|,|q_0|` and :math:`\operatorname{sign}(E_0)=\operatorname{sign}(y_0)` matter.

Which data blow up. :math:`T^*<\infty` **unless** :math:`k_1=0` (the two smallest moduli are equal)
and :math:`E_0=a_0w_0u_0\le0`: then the integrand behaves like :math:`1/|y|` at 0, :math:`y` creeps
to 0 and the solution decays (or is an equilibrium). In particular :math:`E_0<0` does **not** rule
out blow-up: if the smallest modulus is strictly smallest, :math:`y` crosses 0, :math:`E` becomes
positive and the solution blows up (:math:`\dot E\ge0` always). Balanced data
:math:`a=w=u=x_0>0` give :math:`T^*=1/x_0`. By homogeneity :math:`T^*(cy_0)=T^*(y_0)/c`, the
integral is evaluated for the data divided by their largest modulus.
"""

from __future__ import annotations

import numbers

import mpmath


def _check_real(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real | mpmath.mpf):
        raise TypeError(f"{name}: expected a real number, got {type(value).__name__}")
    if not isinstance(value, mpmath.mpf):
        value = float(value) if not isinstance(value, numbers.Integral) else int(value)  # numpy scalars
    if not mpmath.isfinite(value):
        raise ValueError(f"{name}: must be finite, got {value!r}")
    return value


def scalar_blowup_time(a0, w0, u0, digits: int = 30) -> mpmath.mpf:
    r"""Blow-up time :math:`T^*` of :math:`a'=wu,\ w'=au,\ u'=aw` from :math:`(a_0,w_0,u_0)`, by the
    closed form of the module docstring evaluated with ``mpmath.quad`` at ``digits`` significant
    digits (independent of any ODE solver).

    Returns an ``mpmath.mpf`` (use ``float()`` for a float); ``mpmath.inf`` (equal to
    ``math.inf``) when the solution does not blow up: the two smallest of
    :math:`|a_0|,|w_0|,|u_0|` are equal and :math:`a_0w_0u_0\le0` (this includes the origin and
    the other equilibria).
    """
    values = [_check_real(name, v) for name, v in (("a0", a0), ("w0", w0), ("u0", u0))]
    if isinstance(digits, bool) or not isinstance(digits, int) or not 5 <= digits <= 1000:
        raise ValueError(f"digits: must be an int in [5, 1000], got {digits!r}")
    with mpmath.workdps(digits + 10):
        # homogeneity T*(c y) = T*(y)/c: integrate at unit scale (mpmath.quad on [y0, inf) loses
        # all accuracy for |y0| far from 1, e.g. 3.7e-362 instead of 1e-200 for a = w = u = 1e200)
        scale = max(abs(mpmath.mpf(v)) for v in values)
        if scale == 0:
            return mpmath.inf
        x0, p0, q0 = sorted((mpmath.mpf(v) / scale for v in values), key=abs)
        k1, k2 = p0**2 - x0**2, q0**2 - x0**2
        if p0 == 0:  # two coordinates vanish: every derivative is zero
            return mpmath.inf
        y0 = mpmath.sign(p0 * q0) * x0
        if k1 == 0 and y0 <= 0:
            return mpmath.inf

        def integrand(y):
            return 1 / mpmath.sqrt((y * y + k1) * (y * y + k2))

        points = [y0]
        for mark in (mpmath.mpf(0), mpmath.sqrt(k1), mpmath.sqrt(k2)):
            if mark > points[-1]:
                points.append(mark)
        points.append(mpmath.inf)
        value = mpmath.quad(integrand, points) / scale
    with mpmath.workdps(digits):
        return +value
