r"""Adaptive explicit Runge–Kutta integration in Numba: tableaus as data, one compiled driver.

Two embedded pairs, with the step-size control, error norms and dense output of
``scipy/integrate/_ivp/rk.py`` (Hairer–Nørsett–Wanner, *Solving ODE I*, §II.4–II.6):

* ``"RK45"`` — Dormand–Prince 5(4) [Dormand & Prince 1980], local extrapolation, quartic dense
  output of Shampine (1986);
* ``"DOP853"`` — Dormand–Prince 8(5,3) [Hairer's DOP853], error estimate
  :math:`\|e\| = |h|\,\|e_5\|^2 / \sqrt{\|e_5\|^2 + 0.01\|e_3\|^2}`, 7th-order dense output
  from three extra stages.

The coefficients are data (:class:`ButcherTableau`); the DOP853 numbers are those of SciPy's
``dop853_coefficients.py`` (BSD-3, E. Hairer's Fortran code), the RK45 numbers those of SciPy's
``RK45`` class. The error of a step is measured as in SciPy:
:math:`\mathrm{err} = \mathrm{RMS}_i\big(e_i / (\mathrm{atol} + \mathrm{rtol}\max(|y_i|, |\tilde y_i|))\big)`,
a step is accepted when :math:`\mathrm{err} < 1` and the next step is
:math:`h \cdot \min(10, \max(0.2, 0.9\,\mathrm{err}^{-1/(q+1)}))` with :math:`q` the order of the
error estimator.

The driver :func:`rk_solve` is compiled once and cached on disk (``cache=True``): the right-hand
side, the event function and the step monitor are ``numba.cfunc`` functions with the signatures
:data:`numerics.kernels.FIELD_SIG`, ``EVENT_SIG``, ``MONITOR_SIG``, passed as their C addresses
(integers, checked by :func:`address_of`) and called through fixed function-pointer types, so
every argument of the driver has one type: a new field does not recompile it, and a call does
not re-type function objects.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba as nb
import numpy as np
from llvmlite import ir
from numba import types
from numba.core.extending import intrinsic

from numerics.kernels import EVENT_SIG, FIELD_SIG, MONITOR_SIG

SAFETY = 0.9
MIN_FACTOR = 0.2
MAX_FACTOR = 10.0

# Status codes returned by the driver.
STATUS_END = 0  # reached t_end
STATUS_EVENT = 1  # terminal user event
STATUS_THRESHOLD = 2  # ||y|| reached max_norm (terminal)
STATUS_MONITOR = 3  # the step monitor asked to stop
STATUS_TOO_SMALL = -1  # step size fell below 10 ulp(t)
STATUS_MAX_STEPS = -2  # max_steps accepted steps without reaching t_end
STATUS_NONFINITE = -3  # the state or its derivative overflowed to inf/nan

STATUS_MESSAGES = {
    STATUS_END: "reached t_end",
    STATUS_EVENT: "terminal event",
    STATUS_THRESHOLD: "norm threshold max_norm reached",
    STATUS_MONITOR: "stopped by the step monitor",
    STATUS_TOO_SMALL: "step size became smaller than 10 ulp(t) (finite-time blow-up before t_end?)",
    STATUS_MAX_STEPS: "max_steps accepted steps taken before t_end",
    STATUS_NONFINITE: "the solution overflowed (non-finite state or derivative)",
}

# Coefficients of DOP853 copied from scipy/integrate/_ivp/dop853_coefficients.py (BSD-3).
_DOP853_C = (
    0.0,
    0.526001519587677318785587544488e-01,
    0.789002279381515978178381316732e-01,
    0.118350341907227396726757197510,
    0.281649658092772603273242802490,
    0.333333333333333333333333333333,
    0.25,
    0.307692307692307692307692307692,
    0.651282051282051282051282051282,
    0.6,
    0.857142857142857142857142857142,
    1.0,
    1.0,
    0.1,
    0.2,
    0.777777777777777777777777777778,
)
_DOP853_A = {
    (1, 0): 5.26001519587677318785587544488e-2,
    (2, 0): 1.97250569845378994544595329183e-2,
    (2, 1): 5.91751709536136983633785987549e-2,
    (3, 0): 2.95875854768068491816892993775e-2,
    (3, 2): 8.87627564304205475450678981324e-2,
    (4, 0): 2.41365134159266685502369798665e-1,
    (4, 2): -8.84549479328286085344864962717e-1,
    (4, 3): 9.24834003261792003115737966543e-1,
    (5, 0): 3.7037037037037037037037037037e-2,
    (5, 3): 1.70828608729473871279604482173e-1,
    (5, 4): 1.25467687566822425016691814123e-1,
    (6, 0): 3.7109375e-2,
    (6, 3): 1.70252211019544039314978060272e-1,
    (6, 4): 6.02165389804559606850219397283e-2,
    (6, 5): -1.7578125e-2,
    (7, 0): 3.70920001185047927108779319836e-2,
    (7, 3): 1.70383925712239993810214054705e-1,
    (7, 4): 1.07262030446373284651809199168e-1,
    (7, 5): -1.53194377486244017527936158236e-2,
    (7, 6): 8.27378916381402288758473766002e-3,
    (8, 0): 6.24110958716075717114429577812e-1,
    (8, 3): -3.36089262944694129406857109825,
    (8, 4): -8.68219346841726006818189891453e-1,
    (8, 5): 2.75920996994467083049415600797e1,
    (8, 6): 2.01540675504778934086186788979e1,
    (8, 7): -4.34898841810699588477366255144e1,
    (9, 0): 4.77662536438264365890433908527e-1,
    (9, 3): -2.48811461997166764192642586468,
    (9, 4): -5.90290826836842996371446475743e-1,
    (9, 5): 2.12300514481811942347288949897e1,
    (9, 6): 1.52792336328824235832596922938e1,
    (9, 7): -3.32882109689848629194453265587e1,
    (9, 8): -2.03312017085086261358222928593e-2,
    (10, 0): -9.3714243008598732571704021658e-1,
    (10, 3): 5.18637242884406370830023853209,
    (10, 4): 1.09143734899672957818500254654,
    (10, 5): -8.14978701074692612513997267357,
    (10, 6): -1.85200656599969598641566180701e1,
    (10, 7): 2.27394870993505042818970056734e1,
    (10, 8): 2.49360555267965238987089396762,
    (10, 9): -3.0467644718982195003823669022,
    (11, 0): 2.27331014751653820792359768449,
    (11, 3): -1.05344954667372501984066689879e1,
    (11, 4): -2.00087205822486249909675718444,
    (11, 5): -1.79589318631187989172765950534e1,
    (11, 6): 2.79488845294199600508499808837e1,
    (11, 7): -2.85899827713502369474065508674,
    (11, 8): -8.87285693353062954433549289258,
    (11, 9): 1.23605671757943030647266201528e1,
    (11, 10): 6.43392746015763530355970484046e-1,
    (12, 0): 5.42937341165687622380535766363e-2,
    (12, 5): 4.45031289275240888144113950566,
    (12, 6): 1.89151789931450038304281599044,
    (12, 7): -5.8012039600105847814672114227,
    (12, 8): 3.1116436695781989440891606237e-1,
    (12, 9): -1.52160949662516078556178806805e-1,
    (12, 10): 2.01365400804030348374776537501e-1,
    (12, 11): 4.47106157277725905176885569043e-2,
    (13, 0): 5.61675022830479523392909219681e-2,
    (13, 6): 2.53500210216624811088794765333e-1,
    (13, 7): -2.46239037470802489917441475441e-1,
    (13, 8): -1.24191423263816360469010140626e-1,
    (13, 9): 1.5329179827876569731206322685e-1,
    (13, 10): 8.20105229563468988491666602057e-3,
    (13, 11): 7.56789766054569976138603589584e-3,
    (13, 12): -8.298e-3,
    (14, 0): 3.18346481635021405060768473261e-2,
    (14, 5): 2.83009096723667755288322961402e-2,
    (14, 6): 5.35419883074385676223797384372e-2,
    (14, 7): -5.49237485713909884646569340306e-2,
    (14, 10): -1.08347328697249322858509316994e-4,
    (14, 11): 3.82571090835658412954920192323e-4,
    (14, 12): -3.40465008687404560802977114492e-4,
    (14, 13): 1.41312443674632500278074618366e-1,
    (15, 0): -4.28896301583791923408573538692e-1,
    (15, 5): -4.69762141536116384314449447206,
    (15, 6): 7.68342119606259904184240953878,
    (15, 7): 4.06898981839711007970213554331,
    (15, 8): 3.56727187455281109270669543021e-1,
    (15, 12): -1.39902416515901462129418009734e-3,
    (15, 13): 2.9475147891527723389556272149,
    (15, 14): -9.15095847217987001081870187138,
}
_DOP853_E3_CORRECTION = {
    0: 0.244094488188976377952755905512,
    8: 0.733846688281611857341361741547,
    11: 0.220588235294117647058823529412e-1,
}
_DOP853_E5 = {
    0: 0.1312004499419488073250102996e-1,
    5: -0.1225156446376204440720569753e+1,
    6: -0.4957589496572501915214079952,
    7: 0.1664377182454986536961530415e+1,
    8: -0.3503288487499736816886487290,
    9: 0.3341791187130174790297318841,
    10: 0.8192320648511571246570742613e-1,
    11: -0.2235530786388629525884427845e-1,
}
_DOP853_D = {
    (0, 0): -0.84289382761090128651353491142e+1,
    (0, 5): 0.56671495351937776962531783590,
    (0, 6): -0.30689499459498916912797304727e+1,
    (0, 7): 0.23846676565120698287728149680e+1,
    (0, 8): 0.21170345824450282767155149946e+1,
    (0, 9): -0.87139158377797299206789907490,
    (0, 10): 0.22404374302607882758541771650e+1,
    (0, 11): 0.63157877876946881815570249290,
    (0, 12): -0.88990336451333310820698117400e-1,
    (0, 13): 0.18148505520854727256656404962e+2,
    (0, 14): -0.91946323924783554000451984436e+1,
    (0, 15): -0.44360363875948939664310572000e+1,
    (1, 0): 0.10427508642579134603413151009e+2,
    (1, 5): 0.24228349177525818288430175319e+3,
    (1, 6): 0.16520045171727028198505394887e+3,
    (1, 7): -0.37454675472269020279518312152e+3,
    (1, 8): -0.22113666853125306036270938578e+2,
    (1, 9): 0.77334326684722638389603898808e+1,
    (1, 10): -0.30674084731089398182061213626e+2,
    (1, 11): -0.93321305264302278729567221706e+1,
    (1, 12): 0.15697238121770843886131091075e+2,
    (1, 13): -0.31139403219565177677282850411e+2,
    (1, 14): -0.93529243588444783865713862664e+1,
    (1, 15): 0.35816841486394083752465898540e+2,
    (2, 0): 0.19985053242002433820987653617e+2,
    (2, 5): -0.38703730874935176555105901742e+3,
    (2, 6): -0.18917813819516756882830838328e+3,
    (2, 7): 0.52780815920542364900561016686e+3,
    (2, 8): -0.11573902539959630126141871134e+2,
    (2, 9): 0.68812326946963000169666922661e+1,
    (2, 10): -0.10006050966910838403183860980e+1,
    (2, 11): 0.77771377980534432092869265740,
    (2, 12): -0.27782057523535084065932004339e+1,
    (2, 13): -0.60196695231264120758267380846e+2,
    (2, 14): 0.84320405506677161018159903784e+2,
    (2, 15): 0.11992291136182789328035130030e+2,
    (3, 0): -0.25693933462703749003312586129e+2,
    (3, 5): -0.15418974869023643374053993627e+3,
    (3, 6): -0.23152937917604549567536039109e+3,
    (3, 7): 0.35763911791061412378285349910e+3,
    (3, 8): 0.93405324183624310003907691704e+2,
    (3, 9): -0.37458323136451633156875139351e+2,
    (3, 10): 0.10409964950896230045147246184e+3,
    (3, 11): 0.29840293426660503123344363579e+2,
    (3, 12): -0.43533456590011143754432175058e+2,
    (3, 13): 0.96324553959188282948394950600e+2,
    (3, 14): -0.39177261675615439165231486172e+2,
    (3, 15): -0.14972683625798562581422125276e+3,
}

# ----------------------------------------------------------------------------- tableaus (data)


@dataclass(frozen=True)
class ButcherTableau:
    r"""An embedded explicit Runge–Kutta pair with dense output.

    ``A`` (``n_ext × n_ext``, stages ``n_stages`` and beyond are the FSAL stage and, for DOP853,
    the extra dense-output stages), ``B`` (weights of the propagated solution, length
    ``n_stages``), ``C`` (nodes, length ``n_ext``), ``E`` (error weights over the ``n_stages + 1``
    stages including :math:`f(t+h, y_{n+1})`), ``E3`` (DOP853's third-order error weights, zero
    otherwise), ``P`` (RK45 dense output: :math:`y(t+xh) = y + h\sum_j (K^\top P)_{:,j} x^{j+1}`),
    ``D`` (DOP853 dense-output rows), ``order`` of the propagated solution, ``error_order`` of the
    error estimator, ``kind`` (0: RK45-type, 1: DOP853-type error norm and dense output).
    """

    name: str
    order: int
    error_order: int
    n_stages: int
    A: np.ndarray
    B: np.ndarray
    C: np.ndarray
    E: np.ndarray
    E3: np.ndarray
    P: np.ndarray
    D: np.ndarray
    kind: int

    def as_tuple(self):
        """The arrays and sizes in the order :func:`rk_solve` takes them."""
        return (self.A, self.B, self.C, self.E, self.E3, self.P, self.D, self.n_stages, self.error_order, self.kind)


def _rk45() -> ButcherTableau:
    A = np.zeros((7, 7))
    A[1, :1] = [1 / 5]
    A[2, :2] = [3 / 40, 9 / 40]
    A[3, :3] = [44 / 45, -56 / 15, 32 / 9]
    A[4, :4] = [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729]
    A[5, :5] = [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656]
    B = np.array([35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84])
    A[6, :6] = B
    C = np.array([0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1, 1])
    E = np.array([-71 / 57600, 0, 71 / 16695, -71 / 1920, 17253 / 339200, -22 / 525, 1 / 40])
    P = np.array(
        [
            [1, -8048581381 / 2820520608, 8663915743 / 2820520608, -12715105075 / 11282082432],
            [0, 0, 0, 0],
            [0, 131558114200 / 32700410799, -68118460800 / 10900136933, 87487479700 / 32700410799],
            [0, -1754552775 / 470086768, 14199869525 / 1410260304, -10690763975 / 1880347072],
            [0, 127303824393 / 49829197408, -318862633887 / 49829197408, 701980252875 / 199316789632],
            [0, -282668133 / 205662961, 2019193451 / 616988883, -1453857185 / 822651844],
            [0, 40617522 / 29380423, -110615467 / 29380423, 69997945 / 29380423],
        ]
    )
    return ButcherTableau("RK45", 5, 4, 6, A, B, C, E, np.zeros(7), P, np.zeros((1, 7)), 0)


def _dop853() -> ButcherTableau:
    n_stages, n_ext = 12, 16
    A = np.zeros((n_ext, n_ext))
    for (i, j), value in _DOP853_A.items():
        A[i, j] = value
    B = A[n_stages, :n_stages].copy()
    C = np.array(_DOP853_C)
    E3 = np.zeros(n_stages + 1)
    E3[:-1] = B
    for i, value in _DOP853_E3_CORRECTION.items():
        E3[i] -= value
    E5 = np.zeros(n_stages + 1)
    for i, value in _DOP853_E5.items():
        E5[i] = value
    D = np.zeros((4, n_ext))
    for (i, j), value in _DOP853_D.items():
        D[i, j] = value
    return ButcherTableau("DOP853", 8, 7, n_stages, A, B, C, E5, E3, np.zeros((n_stages + 1, 1)), D, 1)


TABLEAUS: dict[str, ButcherTableau] = {"RK45": _rk45(), "DOP853": _dop853()}
METHODS = tuple(TABLEAUS)
_TABLEAU_ARGS = {name: tab.as_tuple() for name, tab in TABLEAUS.items()}


def get_tableau(method: str) -> ButcherTableau:
    """The tableau named ``method`` (``"RK45"`` or ``"DOP853"``)."""
    if not isinstance(method, str):
        raise TypeError(f"method: expected one of {METHODS}, got {method!r}")
    key = method.upper()
    if key not in TABLEAUS:
        raise ValueError(f"method: expected one of {METHODS}, got {method!r}")
    return TABLEAUS[key]


# ----------------------------------------------------------------------------- calls through C addresses


def _array_data(context, builder, aryty, value):
    ary = context.make_array(aryty)(context, builder, value)
    return ary.data, ary.nitems


@intrinsic
def _call_field(typingctx, addr, t, y, out, p):
    """``field(t, y.data, out.data, len(y), p.data, len(p))`` for the C function at address
    ``addr`` (signature :data:`numerics.kernels.FIELD_SIG`)."""
    sig = types.void(types.intp, types.float64, y, out, p)

    def codegen(context, builder, signature, args):
        addr_v, t_v, y_v, out_v, p_v = args
        dptr = ir.DoubleType().as_pointer()
        i64 = ir.IntType(64)
        fnty = ir.FunctionType(ir.VoidType(), [ir.DoubleType(), dptr, dptr, i64, dptr, i64])
        fn = builder.inttoptr(addr_v, fnty.as_pointer())
        y_data, n = _array_data(context, builder, signature.args[2], y_v)
        out_data, _ = _array_data(context, builder, signature.args[3], out_v)
        p_data, n_p = _array_data(context, builder, signature.args[4], p_v)
        builder.call(fn, [t_v, y_data, out_data, n, p_data, n_p])
        return context.get_dummy_value()

    return sig, codegen


@intrinsic
def _call_event(typingctx, addr, t, y, p):
    """``event(t, y.data, len(y), p.data, len(p))`` for the C function at ``addr``
    (:data:`numerics.kernels.EVENT_SIG`)."""
    sig = types.float64(types.intp, types.float64, y, p)

    def codegen(context, builder, signature, args):
        addr_v, t_v, y_v, p_v = args
        dptr = ir.DoubleType().as_pointer()
        i64 = ir.IntType(64)
        fnty = ir.FunctionType(ir.DoubleType(), [ir.DoubleType(), dptr, i64, dptr, i64])
        fn = builder.inttoptr(addr_v, fnty.as_pointer())
        y_data, n = _array_data(context, builder, signature.args[2], y_v)
        p_data, n_p = _array_data(context, builder, signature.args[3], p_v)
        return builder.call(fn, [t_v, y_data, n, p_data, n_p])

    return sig, codegen


@intrinsic
def _call_monitor(typingctx, addr, t, y, f, p):
    """``monitor(t, y.data, f.data, len(y), p.data, len(p))`` for the C function at ``addr``
    (:data:`numerics.kernels.MONITOR_SIG`)."""
    sig = types.int64(types.intp, types.float64, y, f, p)

    def codegen(context, builder, signature, args):
        addr_v, t_v, y_v, f_v, p_v = args
        dptr = ir.DoubleType().as_pointer()
        i64 = ir.IntType(64)
        fnty = ir.FunctionType(i64, [ir.DoubleType(), dptr, dptr, i64, dptr, i64])
        fn = builder.inttoptr(addr_v, fnty.as_pointer())
        y_data, n = _array_data(context, builder, signature.args[2], y_v)
        f_data, _ = _array_data(context, builder, signature.args[3], f_v)
        p_data, n_p = _array_data(context, builder, signature.args[4], p_v)
        return builder.call(fn, [t_v, y_data, f_data, n, p_data, n_p])

    return sig, codegen


def address_of(cfunc, signature, argument: str) -> int:
    """The C address of a ``numba.cfunc`` compiled with ``signature`` (checked: the driver calls
    it through a fixed function-pointer type, so a wrong signature must never reach it). The
    checked address is remembered on the object, so later calls cost one attribute look-up."""
    checked = getattr(cfunc, "_condense_checked", None)
    if checked is not None and checked[0] is signature:
        return checked[1]
    sig = getattr(cfunc, "_sig", None)
    if not hasattr(cfunc, "address") or sig is None:
        raise TypeError(f"{argument}: expected a numba.cfunc with signature {signature}, got {type(cfunc).__name__}")
    if sig != signature:
        raise TypeError(f"{argument}: expected a numba.cfunc with signature {signature}, got one with {sig}")
    address = int(cfunc.address)
    cfunc._condense_checked = (signature, address)
    return address


def make_event(g) -> object:
    """Wrap a Numba ``@njit`` function ``g(t, y) -> float`` as an event C function for
    :func:`rk_solve` (compiled at the call; the driver itself is not recompiled)."""
    if not hasattr(g, "py_func"):
        raise TypeError("event: expected a numba.njit function g(t, y) -> float")

    @nb.cfunc(EVENT_SIG, nopython=True)
    def event_c(t, y_ptr, n, p_ptr, n_p):
        return g(t, nb.carray(y_ptr, (n,)))

    return event_c


# ----------------------------------------------------------------------------- compiled driver


@nb.njit(cache=True, nogil=True)
def _copy(dst, src):
    """``dst[:] = src`` for equal lengths (a loop: no broadcasting checks to compile)."""
    for i in range(src.shape[0]):
        dst[i] = src[i]


@nb.njit(cache=True, nogil=True)
def _norm2(y):
    s = 0.0
    for v in y:
        s += v * v
    return np.sqrt(s)


@nb.njit(cache=True, nogil=True)
def _rms_scaled(y, scale):
    s = 0.0
    for i in range(y.shape[0]):
        v = y[i] / scale[i]
        s += v * v
    if s == np.inf:  # the squares overflowed (tiny atol): the same RMS, scaled by the largest ratio
        peak = _peak_ratio(y, scale)
        s = 0.0
        for i in range(y.shape[0]):
            v = y[i] / scale[i] / peak
            s += v * v
        return peak * np.sqrt(s / max(y.shape[0], 1))
    return np.sqrt(s / max(y.shape[0], 1))


@nb.njit(cache=True, nogil=True)
def _peak_ratio(y, scale):
    peak = 0.0
    for i in range(y.shape[0]):
        peak = max(peak, abs(y[i] / scale[i]))
    return peak


@nb.njit(cache=True, nogil=True)
def _combine(out, y, h, A_row, K, upto):
    """``out = y + h * sum_{j < upto} A_row[j] K[j]`` (zero coefficients skipped)."""
    n = y.shape[0]
    for i in range(n):
        out[i] = y[i]
    for j in range(upto):
        a = A_row[j] * h
        if a != 0.0:
            for i in range(n):
                out[i] += a * K[j, i]


@nb.njit(cache=True, nogil=True)
def _rk_step(field, p, t, y, h, A, B, C, n_stages, K, y_new, y_tmp):
    """One step; ``K[0] = f(t, y)`` on entry; fills ``K[1:n_stages+1]`` (the last is
    ``f(t + h, y_new)``) and ``y_new``."""
    for s in range(1, n_stages):
        _combine(y_tmp, y, h, A[s], K, s)
        _call_field(field, t + C[s] * h, y_tmp, K[s], p)
    _combine(y_new, y, h, B, K, n_stages)
    _call_field(field, t + h, y_new, K[n_stages], p)


@nb.njit(cache=True, nogil=True)
def _weighted_sum(out, weights, K, upto):
    """``out = sum_{s < upto} weights[s] K[s]`` (zero weights skipped, vectorizable rows)."""
    n = out.shape[0]
    for i in range(n):
        out[i] = 0.0
    for s in range(upto):
        w = weights[s]
        if w != 0.0:
            for i in range(n):
                out[i] += w * K[s, i]


@nb.njit(cache=True, nogil=True)
def _error_norm(K, h, E, E3, kind, scale, n_stages, work5, work3):
    n = scale.shape[0]
    _weighted_sum(work5, E, K, n_stages + 1)
    if kind == 0:
        for i in range(n):
            work5[i] *= h
        return _rms_scaled(work5, scale)
    _weighted_sum(work3, E3, K, n_stages + 1)
    s5 = 0.0
    s3 = 0.0
    for i in range(n):
        a5 = work5[i] / scale[i]
        a3 = work3[i] / scale[i]
        s5 += a5 * a5
        s3 += a3 * a3
    if s5 == 0.0 and s3 == 0.0:
        return 0.0
    if s5 == np.inf or s3 == np.inf:  # overflow: the norm is homogeneous of degree 1, rescale
        peak = max(_peak_ratio(work5, scale), _peak_ratio(work3, scale))
        s5 = 0.0
        s3 = 0.0
        for i in range(n):
            a5 = work5[i] / scale[i] / peak
            a3 = work3[i] / scale[i] / peak
            s5 += a5 * a5
            s3 += a3 * a3
        return peak * abs(h) * s5 / np.sqrt((s5 + 0.01 * s3) * n)
    return abs(h) * s5 / np.sqrt((s5 + 0.01 * s3) * n)


@nb.njit(cache=True, nogil=True)
def _prepare_dense(field, p, kind, t, y, y_new, h, A, C, P, D, n_stages, K, dense, y_tmp):
    """Coefficient rows of the step's interpolant (RK45: 4 rows of ``P^T K``; DOP853: 7 rows)."""
    n = y.shape[0]
    if kind == 0:
        for j in range(P.shape[1]):
            _weighted_sum(dense[j], P[:, j].copy(), K, n_stages + 1)
        return
    for s in range(n_stages + 1, A.shape[0]):
        _combine(y_tmp, y, h, A[s], K, s)
        _call_field(field, t + C[s] * h, y_tmp, K[s], p)
    for i in range(n):
        dy = y_new[i] - y[i]
        dense[0, i] = dy
        dense[1, i] = h * K[0, i] - dy
        dense[2, i] = 2.0 * dy - h * (K[n_stages, i] + K[0, i])
    for r in range(D.shape[0]):
        _weighted_sum(dense[3 + r], D[r], K, A.shape[0])
        for i in range(n):
            dense[3 + r, i] *= h


@nb.njit(cache=True, nogil=True)
def _dense_eval(kind, dense, n_rows, y, h, x, out):
    n = y.shape[0]
    if kind == 0:
        for i in range(n):
            acc = 0.0
            for j in range(n_rows - 1, -1, -1):
                acc = (acc + dense[j, i]) * x
            out[i] = y[i] + h * acc
        return
    for i in range(n):
        acc = 0.0
        for j in range(n_rows - 1, -1, -1):
            acc += dense[j, i]
            if (n_rows - 1 - j) % 2 == 0:
                acc *= x
            else:
                acc *= 1.0 - x
        out[i] = y[i] + acc


@nb.njit(cache=True, nogil=True)
def _event_value(event, t, y, p, max_norm):
    """The user event at C address ``event``, or (``event == 0``) the norm event
    :math:`\\|y\\|_2 - ` ``max_norm``."""
    if event != 0:
        return _call_event(event, t, y, p)
    return _norm2(y) - max_norm


@nb.njit(cache=True, nogil=True)
def _crosses(g_old, g_new, direction):
    up = g_old < 0.0 and g_new >= 0.0
    down = g_old > 0.0 and g_new <= 0.0
    if direction > 0:
        return up
    if direction < 0:
        return down
    return up or down


@nb.njit(cache=True, nogil=True)
def _locate(event, p, max_norm, g_lo, g_hi, kind, dense, n_rows, y, h, t, out):
    """Root of the event function on the step's interpolant (Illinois regula falsi in x);
    returns x in (0, 1] and leaves the state at the root in ``out``."""
    x_lo, x_hi = 0.0, 1.0
    side = 0
    tol = 4.0 * 2.220446049250313e-16 * (abs(t) + abs(h)) / abs(h)
    x = 1.0
    for _ in range(200):
        if x_hi - x_lo <= tol:
            break
        x = (x_lo * g_hi - x_hi * g_lo) / (g_hi - g_lo)
        if not (x_lo < x < x_hi):
            x = 0.5 * (x_lo + x_hi)
        _dense_eval(kind, dense, n_rows, y, h, x, out)
        g = _event_value(event, t + x * h, out, p, max_norm)
        if g == 0.0:
            x_hi = x
            break
        if (g > 0.0) == (g_hi > 0.0):
            x_hi, g_hi = x, g
            if side == 1:
                g_lo *= 0.5
            side = 1
        else:
            x_lo, g_lo = x, g
            if side == -1:
                g_hi *= 0.5
            side = -1
    _dense_eval(kind, dense, n_rows, y, h, x_hi, out)
    return x_hi


@nb.njit(cache=True, nogil=True)
def _initial_step(field, p, t0, y0, f0, interval, error_order, rtol, atol, y1, f1):
    n = y0.shape[0]
    scale = atol + np.abs(y0) * rtol
    d0 = _rms_scaled(y0, scale)
    d1 = _rms_scaled(f0, scale)
    if d0 < 1e-5 or d1 < 1e-5:
        h0 = 1e-6
    else:
        h0 = 0.01 * d0 / d1
    h0 = min(h0, interval)
    for i in range(n):
        y1[i] = y0[i] + h0 * f0[i]
    _call_field(field, t0 + h0, y1, f1, p)
    for i in range(n):
        y1[i] = f1[i] - f0[i]
    d2 = _rms_scaled(y1, scale) / h0
    if d1 <= 1e-15 and d2 <= 1e-15:
        h1 = max(1e-6, h0 * 1e-3)
    else:
        h1 = (0.01 / max(d1, d2)) ** (1.0 / (error_order + 1))
    return min(100.0 * h0, h1, interval)


@nb.njit(cache=True, nogil=True)
def _grow_rows(buf, count):
    new = np.empty((2 * buf.shape[0] + 1, buf.shape[1]))
    for k in range(count):
        _copy(new[k], buf[k])
    return new


@nb.njit(cache=True, nogil=True)
def _grow(buf, count):
    new = np.empty(2 * buf.shape[0] + 1)
    for k in range(count):
        new[k] = buf[k]
    return new


@nb.njit(cache=True, nogil=True)
def rk_solve(
    field,
    event,
    monitor,
    p,
    t0,
    y0,
    t_end,
    rtol,
    atol,
    A,
    B,
    C,
    E,
    E3,
    P,
    D,
    n_stages,
    error_order,
    kind,
    t_eval,
    use_event,
    event_direction,
    event_terminal,
    max_norm,
    max_steps,
    fixed_step,
):
    """Integrate ``y' = field(t, y)`` from ``(t0, y0)`` to ``t_end`` (``t_end > t0``).

    ``field``, ``event``, ``monitor``: C addresses (``cfunc.address``, see :func:`address_of`) of
    functions with the signatures :data:`numerics.kernels.FIELD_SIG`, ``EVENT_SIG``,
    ``MONITOR_SIG``; ``event = 0`` / ``monitor = 0``: none. Every argument has one fixed type, so
    this driver is compiled once (and cached on disk) for every field. ``A, ..., kind``:
    :meth:`ButcherTableau.as_tuple`. ``t_eval``: increasing output times in
    ``[t0, t_end]``, or an empty array to record every accepted step. ``use_event``: whether to
    watch ``event`` (``event_direction`` as in SciPy, terminal or not). ``max_norm``: terminal
    event ``||y||_2 = max_norm`` (``inf`` to disable). ``monitor``: called after every accepted
    step, a nonzero return stops. ``fixed_step > 0``: no error control, steps of exactly that size
    (order checks). Returns ``(status, ts, ys, n_out, t_events, y_events, n_events, n_accepted,
    n_rejected, nfev, monitor_code, t, y, f)``.
    """
    n = y0.shape[0]
    n_ext = A.shape[0]
    n_rows = P.shape[1] if kind == 0 else 3 + D.shape[0]
    K = np.empty((n_ext, n))
    dense = np.empty((n_rows, n))
    y = y0.copy()
    y_new = np.empty(n)
    y_tmp = np.empty(n)
    y_ev = np.empty(n)
    scale = np.empty(n)
    err3 = np.empty(n)
    t = t0
    _call_field(field, t, y, K[0], p)
    nfev = 1
    record_all = t_eval.shape[0] == 0
    cap = 64 if record_all else t_eval.shape[0]
    ts = np.empty(cap)
    ys = np.empty((cap, n))
    n_out = 0
    i_eval = 0
    if record_all:
        ts[0] = t
        _copy(ys[0], y)
        n_out = 1
    else:
        while i_eval < t_eval.shape[0] and t_eval[i_eval] <= t:
            ts[n_out] = t_eval[i_eval]
            _copy(ys[n_out], y)
            n_out += 1
            i_eval += 1
    t_events = np.empty(4)
    y_events = np.empty((4, n))
    n_events = 0
    status = STATUS_END
    monitor_code = 0
    n_acc = 0
    n_rej = 0
    for i in range(n):
        if not np.isfinite(y[i]) or not np.isfinite(K[0, i]):
            status = STATUS_NONFINITE
    use_event = use_event and event != 0
    g_user = _event_value(event, t, y, p, max_norm) if use_event else 1.0
    g_norm = _norm2(y) - max_norm
    if status == STATUS_END and g_norm >= 0.0:
        status = STATUS_THRESHOLD
    if fixed_step > 0.0:
        h_abs = fixed_step
    elif status == STATUS_END:
        h_abs = _initial_step(field, p, t, y, K[0], t_end - t, error_order, rtol, atol, y_tmp, y_new)
        nfev += 1
    else:
        h_abs = 0.0
    exponent = -1.0 / (error_order + 1)
    last_nonfinite = False
    while status == STATUS_END and t < t_end:
        if n_acc >= max_steps:
            status = STATUS_MAX_STEPS
            break
        min_step = 10.0 * abs(np.nextafter(t, np.inf) - t)
        if h_abs < min_step:
            h_abs = min_step
        accepted = False
        rejected = False
        while not accepted:
            if h_abs < min_step and fixed_step <= 0.0:
                status = STATUS_NONFINITE if last_nonfinite else STATUS_TOO_SMALL
                break
            t_new = t + h_abs
            if t_new >= t_end:
                t_new = t_end
            h = t_new - t
            _rk_step(field, p, t, y, h, A, B, C, n_stages, K, y_new, y_tmp)
            nfev += n_stages
            finite = True
            for i in range(n):
                if not (np.isfinite(y_new[i]) and np.isfinite(K[n_stages, i])):
                    finite = False
                    break
            if fixed_step > 0.0:
                if not finite:
                    status = STATUS_NONFINITE
                    break
                accepted = True
                continue
            if finite:
                for i in range(n):
                    scale[i] = atol + rtol * max(abs(y[i]), abs(y_new[i]))
                err = _error_norm(K, h, E, E3, kind, scale, n_stages, y_ev, err3)
                finite = np.isfinite(err)
            last_nonfinite = not finite
            if finite and err < 1.0:
                if err == 0.0:
                    factor = MAX_FACTOR
                else:
                    factor = min(MAX_FACTOR, SAFETY * err**exponent)
                if rejected:
                    factor = min(1.0, factor)
                h_abs = h * factor
                accepted = True
            else:
                if finite:
                    h_abs = h * max(MIN_FACTOR, SAFETY * err**exponent)
                else:
                    h_abs = h * MIN_FACTOR
                rejected = True
                n_rej += 1
        if not accepted:
            break
        n_acc += 1
        # events on this step: user event and the norm threshold; the earliest one wins
        dense_ready = False
        stop_x = 2.0
        stop_status = STATUS_END
        g_user_new = _event_value(event, t_new, y_new, p, max_norm) if use_event else 1.0
        g_norm_new = _norm2(y_new) - max_norm
        if use_event and _crosses(g_user, g_user_new, event_direction):
            _prepare_dense(field, p, kind, t, y, y_new, h, A, C, P, D, n_stages, K, dense, y_tmp)
            nfev += n_ext - n_stages - 1
            dense_ready = True
            x = _locate(event, p, max_norm, g_user, g_user_new, kind, dense, n_rows, y, h, t, y_ev)
            if n_events == t_events.shape[0]:
                t_events = _grow(t_events, n_events)
                y_events = _grow_rows(y_events, n_events)
            t_events[n_events] = t + x * h
            _copy(y_events[n_events], y_ev)
            n_events += 1
            if event_terminal:
                stop_x = x
                stop_status = STATUS_EVENT
        if g_norm_new >= 0.0:
            if not dense_ready:
                _prepare_dense(field, p, kind, t, y, y_new, h, A, C, P, D, n_stages, K, dense, y_tmp)
                nfev += n_ext - n_stages - 1
                dense_ready = True
            x = _locate(np.intp(0), p, max_norm, g_norm, g_norm_new, kind, dense, n_rows, y, h, t, y_tmp)
            if x < stop_x:
                stop_x = x
                stop_status = STATUS_THRESHOLD
        g_user = g_user_new
        g_norm = g_norm_new
        t_stop = t_new if stop_x > 1.0 else t + stop_x * h
        if stop_x <= 1.0:  # final state at the terminal event
            _dense_eval(kind, dense, n_rows, y, h, stop_x, y_ev)
        # output
        if record_all:
            if n_out == ts.shape[0]:
                ts = _grow(ts, n_out)
                ys = _grow_rows(ys, n_out)
            ts[n_out] = t_stop
            _copy(ys[n_out], y_new if stop_x > 1.0 else y_ev)
            n_out += 1
        else:
            while i_eval < t_eval.shape[0] and t_eval[i_eval] <= t_stop:
                te = t_eval[i_eval]
                if te == t_new:
                    _copy(ys[n_out], y_new)
                else:
                    if not dense_ready:
                        _prepare_dense(field, p, kind, t, y, y_new, h, A, C, P, D, n_stages, K, dense, y_tmp)
                        nfev += n_ext - n_stages - 1
                        dense_ready = True
                    _dense_eval(kind, dense, n_rows, y, h, (te - t) / h, ys[n_out])
                ts[n_out] = te
                n_out += 1
                i_eval += 1
        if stop_x <= 1.0:
            t = t_stop
            _copy(y, y_ev)
            _call_field(field, t, y, K[0], p)
            nfev += 1
            status = stop_status
            break
        t = t_new
        _copy(y, y_new)
        _copy(K[0], K[n_stages])
        code = _call_monitor(monitor, t, y, K[0], p) if monitor != 0 else 0
        if code != 0:
            monitor_code = code
            status = STATUS_MONITOR
            break
    return (
        status,
        ts[:n_out].copy(),
        ys[:n_out].copy(),
        n_out,
        t_events[:n_events].copy(),
        y_events[:n_events].copy(),
        n_events,
        n_acc,
        n_rej,
        nfev,
        monitor_code,
        t,
        y,
        K[0].copy(),
    )


@dataclass
class RKResult:
    """Raw output of :func:`solve` (see :func:`rk_solve`)."""

    status: int
    t: np.ndarray
    y: np.ndarray
    t_events: np.ndarray
    y_events: np.ndarray
    n_accepted: int
    n_rejected: int
    nfev: int
    monitor_code: int
    t_final: float
    y_final: np.ndarray
    f_final: np.ndarray

    @property
    def message(self) -> str:
        return STATUS_MESSAGES[self.status]


def solve(
    field,
    p: np.ndarray,
    y0: np.ndarray,
    t_end: float,
    *,
    t0: float = 0.0,
    method: str = "DOP853",
    rtol: float = 1e-10,
    atol: float = 1e-12,
    t_eval=None,
    event=None,
    event_direction: float = 0.0,
    event_terminal: bool = True,
    max_norm: float = np.inf,
    max_steps: int = 1_000_000,
    monitor=None,
    fixed_step: float = 0.0,
) -> RKResult:
    """Python entry to the compiled driver (arguments already validated by the caller).

    ``field``, ``event``, ``monitor``: ``numba.cfunc`` objects with the signatures
    :data:`numerics.kernels.FIELD_SIG`, ``EVENT_SIG``, ``MONITOR_SIG`` (``event``/``monitor``
    may be None); the driver receives their addresses (:func:`address_of`)."""
    tab = _TABLEAU_ARGS[method] if method in _TABLEAU_ARGS else get_tableau(method).as_tuple()
    t_eval = _EMPTY if t_eval is None else c_array(t_eval)
    out = rk_solve(
        address_of(field, FIELD_SIG, "field"),
        0 if event is None else address_of(event, EVENT_SIG, "event"),
        0 if monitor is None else address_of(monitor, MONITOR_SIG, "monitor"),
        c_array(p),
        float(t0),
        c_array(y0),
        float(t_end),
        float(rtol),
        float(atol),
        *tab,
        t_eval,
        event is not None,
        float(event_direction),
        bool(event_terminal),
        float(max_norm),
        int(max_steps),
        float(fixed_step),
    )
    status, ts, ys, _, t_ev, y_ev, _, n_acc, n_rej, nfev, code, t_f, y_f, f_f = out
    return RKResult(int(status), ts, ys, t_ev, y_ev, int(n_acc), int(n_rej), int(nfev), int(code), float(t_f), y_f, f_f)


_EMPTY = np.empty(0)


def c_array(x) -> np.ndarray:
    """``x`` as a writable C-contiguous float64 array: the one array type the driver is compiled
    for (a read-only array would be a second specialization)."""
    if type(x) is np.ndarray and x.dtype == np.float64 and x.flags.c_contiguous and x.flags.writeable:
        return x
    arr = np.ascontiguousarray(x, dtype=np.float64)
    return arr if arr.flags.writeable else arr.copy()
