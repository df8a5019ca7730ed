r"""Compile an activation :math:`\sigma` and its derivative :math:`\sigma'` from the theory's SymPy
expression (``theory.activations.activation_expr``) to Numba and NumPy.

There is no hand-written copy of any activation formula here: :math:`\sigma` comes from
``theory.activations`` and :math:`\sigma' = d\sigma/dz` is taken by SymPy.  Non-smooth
activations are allowed for *training* (not for expansions): for ReLU,
:math:`\sigma(z) = \max(0, z)` and SymPy's derivative ``Heaviside(z)`` is replaced by the
convention :math:`\sigma'(z) = \mathbb 1[z > 0]` (so :math:`\sigma'(0) = 0`, as in PyTorch).

Two outputs:

* :func:`compile_activation` — scalar ``numba.njit`` functions ``sigma(z)``, ``dsigma(z)``
  (``sympy.lambdify`` with the ``math`` module) and vectorized NumPy versions (``lambdify``
  with ``numpy``), used for reference implementations and tests;
* :func:`kernel_module` — a generated Python module (written to a cache directory) in which
  ``sigma``/``dsigma`` are module-level ``@njit(cache=True)`` functions printed by SymPy's
  Python code printer, followed by the source of the caller's kernel functions, each compiled
  with ``@njit(cache=True)``.  Because the activation is a module global of a real file,
  Numba inlines it and caches the compiled kernel on disk between processes (a kernel that
  takes a jitted function as an *argument* cannot be cached).  ``sigma_pair(z)`` returns
  :math:`(\sigma, \sigma')` with common subexpressions shared (``sympy.cse``), and SymPy's
  ``tanh`` is printed as :func:`fast_tanh_source`'s branch-free ``fast_tanh`` (range reduction
  plus the Taylor polynomial of ``expm1`` from ``sympy.series``; within 3 ulp, vectorizable).
  Generated functions use ``error_model="numpy"`` (division by zero gives inf/nan, which
  training reports as divergence, instead of raising; this also lets loops vectorize).
"""

from __future__ import annotations

import hashlib
import inspect
import textwrap
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Callable

import numba
import numpy as np
import sympy as sp
from sympy.printing.pycode import PythonCodePrinter, pycode

from numerics import _generated
from theory.activations import activation_expr, activation_name, z

__all__ = [
    "CompiledActivation",
    "activation_derivative_expr",
    "compile_activation",
    "kernel_cache_dir",
    "kernel_module",
    "kernel_module_layers",
]


def _heaviside_as_indicator(expr: sp.Expr) -> sp.Expr:
    r"""Replace ``Heaviside(g)`` by :math:`\mathbb 1[g > 0]` (derivative convention at 0)."""
    return expr.replace(sp.Heaviside, lambda arg, *_: sp.Piecewise((1, arg > 0), (0, True)))


def activation_derivative_expr(activation) -> sp.Expr:
    r""":math:`\sigma'(z)` as a SymPy expression (ReLU: :math:`\mathbb 1[z>0]`)."""
    return _heaviside_as_indicator(sp.diff(activation_expr(activation), z))


def _check_compilable(expr: sp.Expr, what: str) -> None:
    if expr.free_symbols - {z}:
        raise ValueError(f"activation: {what} has free symbols other than z: {expr.free_symbols}")
    if expr.has(sp.Derivative, sp.Subs, sp.Integral):
        raise ValueError(f"activation: {what} = {expr} cannot be compiled (unevaluated derivative)")
    for number in expr.atoms(sp.Number):
        try:
            finite = np.isfinite(float(number))
        except (OverflowError, TypeError):
            finite = False
        if not finite:
            shown = sp.sstr(number)
            shown = f"the number {shown}" if len(shown) <= 40 else f"a number of {len(shown)} digits"
            raise ValueError(f"activation: {what} has {shown}, beyond double precision "
                             f"(|x| <= 1.8e308), so it cannot be evaluated numerically")
    try:
        pycode(expr)
    except Exception as error:  # SymPy raises PrintMethodNotImplementedError (version dependent)
        raise ValueError(
            f"activation: {what} = {expr} cannot be compiled: no math-module implementation ({error})"
        ) from None


@dataclass(frozen=True)
class CompiledActivation:
    r"""An activation compiled from SymPy.

    ``sigma``/``dsigma``: scalar Numba functions of a float; ``sigma_np``/``dsigma_np``:
    vectorized NumPy functions; ``pair_np(z) -> (sigma(z), dsigma(z))`` with shared
    subexpressions (``lambdify(..., cse=True)``); ``expr``/``derivative``: the SymPy expressions they came from;
    ``name``: printable name; ``key``: a hash of the two expressions (used for kernel caching).
    """

    name: str
    expr: sp.Expr
    derivative: sp.Expr
    sigma: Callable[[float], float]
    dsigma: Callable[[float], float]
    sigma_np: Callable[[np.ndarray], np.ndarray]
    dsigma_np: Callable[[np.ndarray], np.ndarray]
    pair_np: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
    key: str

    def scalar_sources(self, printer: Callable[[sp.Expr], str] = pycode) -> list[str]:
        r"""Python source (printed by SymPy, default ``math`` module) of ``sigma(z)``,
        ``dsigma(z)`` and ``sigma_pair(z) -> (sigma(z), dsigma(z))``, the last with common
        subexpressions shared (``sympy.cse``: for tanh, :math:`t = \tanh z`, :math:`(t, 1 - t^2)`)."""
        replacements, (value, slope) = sp.cse([self.expr, self.derivative], symbols=sp.numbered_symbols("t_"))
        lines = [f"    {symbol} = {printer(expression)}" for symbol, expression in replacements]
        pair = "\n".join(
            ["def sigma_pair(z):", *lines, f"    return float({printer(value)}), float({printer(slope)})"]
        )
        return [
            f"def sigma(z):\n    return float({printer(self.expr)})\n",
            f"def dsigma(z):\n    return float({printer(self.derivative)})\n",
            pair + "\n",
        ]


def _numpy_function(expr: sp.Expr) -> Callable[[np.ndarray], np.ndarray]:
    function = sp.lambdify(z, expr, modules="numpy")

    def vectorized(values):
        values = np.asarray(values, dtype=float)
        return np.broadcast_to(np.asarray(function(values), dtype=float), values.shape).copy()

    return vectorized


def _numpy_pair(expr: sp.Expr, derivative: sp.Expr):
    function = sp.lambdify(z, [expr, derivative], modules="numpy", cse=True)

    def pair(values):
        value, slope = function(values)
        if np.shape(value) != np.shape(values) or np.shape(slope) != np.shape(values):
            value = np.broadcast_to(np.asarray(value, dtype=float), np.shape(values)).copy()
            slope = np.broadcast_to(np.asarray(slope, dtype=float), np.shape(values)).copy()
        return value, slope

    return pair


@lru_cache(maxsize=None)
def _compile_cached(activation) -> CompiledActivation:
    expr = activation_expr(activation)
    derivative = activation_derivative_expr(activation)
    _check_compilable(expr, "sigma")
    _check_compilable(derivative, "sigma'")
    # float(...) wrappers make Max(0, z) and Piecewise((1, ...), (0, True)) return floats.
    sigma = numba.njit(sp.lambdify(z, sp.Float(1.0) * expr, modules="math"))
    dsigma = numba.njit(sp.lambdify(z, sp.Float(1.0) * derivative, modules="math"))
    key = hashlib.sha256(f"{sp.srepr(expr)}|{sp.srepr(derivative)}".encode()).hexdigest()[:16]
    sigma_np, dsigma_np = _numpy_function(expr), _numpy_function(derivative)
    probe = np.array([0.0, 0.5, -0.5])
    with np.errstate(all="ignore"):
        for what, function in (("sigma", sigma_np), ("sigma'", dsigma_np)):
            values = function(probe)
            if not np.all(np.isfinite(values)):
                raise ValueError(f"activation: {what} = {expr if what == 'sigma' else derivative} is not finite in "
                                 f"double precision at z = 0, 1/2 or -1/2 (got {values.tolist()})")
    return CompiledActivation(
        name=activation_name(activation),
        expr=expr,
        derivative=derivative,
        sigma=sigma,
        dsigma=dsigma,
        sigma_np=sigma_np,
        dsigma_np=dsigma_np,
        pair_np=_numpy_pair(expr, derivative),
        key=key,
    )


def compile_activation(activation: str | sp.Expr | sp.Lambda = "tanh") -> CompiledActivation:
    r"""Compile :math:`\sigma` and :math:`\sigma'` for ``activation`` (a name from
    ``theory.activations.ACTIVATION_NAMES`` or a SymPy expression in one variable).

    Results are memoized per activation.
    """
    try:
        return _compile_cached(activation)
    except TypeError as error:
        if "unhashable" not in str(error):
            raise
        return _compile_cached.__wrapped__(activation)


# ---------------------------------------------------------------------------------------------
# a vectorization-friendly tanh for the generated kernels
# ---------------------------------------------------------------------------------------------

#: :math:`\ln 2` split into a head with trailing zero bits and a tail (fdlibm's constants), so
#: that :math:`k\ln 2` is exact in the head for the :math:`k \le 58` used here.
LN2_HI = 6.93147180369123816490e-01
LN2_LO = 1.90821492927058770002e-10
#: Degree of the Taylor polynomial of :math:`e^r - 1` on :math:`|r| \le \ln 2/2` (truncation
#: error :math:`(\ln 2/2)^{14}/14! < 10^{-17}`).
EXPM1_DEGREE = 13


def expm1_coefficients(degree: int = EXPM1_DEGREE) -> list[float]:
    r"""Taylor coefficients :math:`1/k!`, :math:`k = 1..` ``degree``, of :math:`e^r - 1` (from SymPy's series)."""
    r = sp.Symbol("r")
    series = sp.series(sp.exp(r) - 1, r, 0, degree + 1).removeO()
    return [float(series.coeff(r, k)) for k in range(1, degree + 1)]


#: Decorator of every generated function.  ``error_model="numpy"``: a float division by zero gives
#: inf/nan (caught as divergence) instead of raising, which lets LLVM vectorize loops with divisions.
_DECORATOR = '@numba.njit(cache=True, error_model="numpy")'


def _horner(coefficients: list[float], variable: str) -> str:
    r"""Source of :math:`r(c_1 + r(c_2 + \dots))` with literal coefficients (unrolled Horner)."""
    text = repr(coefficients[-1])
    for c in reversed(coefficients[:-1]):
        text = f"{c!r} + {variable} * ({text})"
    return f"{variable} * ({text})"


def fast_tanh_source() -> str:
    r"""Source of ``fast_tanh(x)``: :math:`\tanh x = -m/(2 + m)`, :math:`m = e^{-2|x|} - 1 =
    2^{-k}(1 + p(r)) - 1` with :math:`2|x| = k\ln 2 - r`, :math:`|r| \le \ln 2/2`, :math:`p` the
    Taylor polynomial of :math:`e^r - 1` (:func:`expm1_coefficients`, unrolled Horner) and
    :math:`2^{-k}` built from its exponent bits.  No libm call and no data-dependent branch, so loops over it
    vectorize; NaN propagates, :math:`\pm\infty \mapsto \pm 1`; error within 3 ulp
    (``tests/test_numerics_training_setup.py`` compares with mpmath)."""
    return (
        f"{_DECORATOR}\n"
        "def fast_tanh(x):\n"
        "    y = 2.0 * abs(x)\n"
        "    y = y if y < 40.0 else 40.0  # tanh(20) == 1.0 in double precision\n"
        "    k = int(y * 1.4426950408889634 + 0.5)\n"
        f"    r = (k * {LN2_HI!r} - y) + k * {LN2_LO!r}\n"
        f"    p = {_horner(expm1_coefficients(), 'r')}\n"
        "    scale = np.int64((1023 - k) << 52).view(np.float64)  # 2^-k, exact\n"
        "    m = (scale - 1.0) + scale * p\n"
        "    t = -m / (2.0 + m)\n"
        "    return x if x != x else math.copysign(t, x)\n"
    )


class _KernelPrinter(PythonCodePrinter):
    """SymPy's Python printer, with ``tanh`` printed as the generated :func:`fast_tanh`."""

    def _print_tanh(self, expr):
        return f"fast_tanh({self._print(expr.args[0])})"


def _kernel_print(expr: sp.Expr) -> str:
    return _KernelPrinter({"fully_qualified_modules": True}).doprint(expr)


def compile_fast_tanh():
    """:func:`fast_tanh` as a Numba function (from a generated module, for tests and benchmarks)."""
    return kernel_module("tanh", [], tag="fast_tanh").fast_tanh


def kernel_cache_dir() -> Path:
    """Directory for generated kernel modules: ``$CONDENSE_CACHE_DIR/kernels`` or
    ``~/.cache/condense/kernels`` (see :mod:`numerics._generated`)."""
    return _generated.cache_dir("kernels")




def kernel_module(
    activation,
    functions: list[Callable],
    tag: str,
    fastmath: frozenset[str] = frozenset(),
    fast_functions: bool = True,
) -> ModuleType:
    r"""A module in which ``sigma``, ``dsigma`` (compiled from ``activation``) and each of
    ``functions`` are ``@numba.njit(cache=True)`` functions.

    ``functions`` are plain Python functions (not jitted) that call ``sigma(z)`` /
    ``dsigma(z)`` as globals and may use ``math`` and ``np``; their source is copied into the
    generated file.  The file is rewritten only when its content changes, so Numba's on-disk
    cache stays valid across processes.  ``tag`` names the kernel family (part of the file name);
    ``fastmath`` is a set of LLVM fast-math flags for the kernels (e.g. ``{"reassoc", "contract"}``:
    reordered sums and fused multiply-adds change results only at round-off level; flags that
    assume finite values, ``nnan``/``ninf``, would break divergence detection and are refused).
    With ``fast_functions`` (default) SymPy's ``tanh`` is printed as :func:`fast_tanh` (a
    branch-free tanh accurate to 3 ulp, ~2–3x faster than libm's in the training loop).
    """
    if set(fastmath) & {"nnan", "ninf", "fast"}:
        raise ValueError("fastmath: 'nnan', 'ninf' and 'fast' would hide non-finite values; use reassoc/contract/arcp")
    compiled = compile_activation(activation)
    memo_key = (compiled.key, tag, tuple(f.__module__ + "." + f.__qualname__ for f in functions), frozenset(fastmath), fast_functions)
    if memo_key in _MEMO:
        return _MEMO[memo_key]
    module = _build_module(compiled, functions, tag, fastmath, fast_functions)
    _MEMO[memo_key] = module
    return module


_MEMO: dict[tuple, ModuleType] = {}


def kernel_module_layers(activations: tuple, functions: list[Callable], tag: str,
                         fastmath: frozenset[str] = frozenset()) -> ModuleType:
    r"""Like :func:`kernel_module` for networks with one activation per layer: the generated module
    has ``sigma_pair_<i>(z)`` for each of the distinct ``activations`` and
    ``activate_layer(kind, Z, H, DS)``, which sets ``H = sigma_kind(Z)``, ``DS = sigma_kind'(Z)``
    elementwise in one pass (``kind`` indexes ``activations``), for the caller's ``functions``."""
    if set(fastmath) & {"nnan", "ninf", "fast"}:
        raise ValueError("fastmath: 'nnan', 'ninf' and 'fast' would hide non-finite values; use reassoc/contract/arcp")
    compiled = [compile_activation(a) for a in activations]
    memo_key = (tuple(c.key for c in compiled), tag, tuple(f.__module__ + "." + f.__qualname__ for f in functions),
                frozenset(fastmath))
    if memo_key in _MEMO:
        return _MEMO[memo_key]
    flags = ", fastmath={" + ", ".join(repr(f) for f in sorted(fastmath)) + "}" if fastmath else ""
    decorator = _DECORATOR[:-1] + flags + ")\n"
    pairs = []
    for index, c in enumerate(compiled):
        pair = c.scalar_sources(_kernel_print)[2].replace("def sigma_pair(", f"def sigma_pair_{index}(")
        pairs.append(f"{_DECORATOR}\n" + pair)
    branches = "\n".join(
        f"    {'if' if i == 0 else 'elif'} kind == {i}:\n"
        "        for i in range(Z.shape[0]):\n"
        "            for j in range(Z.shape[1]):\n"
        f"                H[i, j], DS[i, j] = sigma_pair_{i}(Z[i, j])"
        for i in range(len(compiled)))
    dispatch = decorator + "def activate_layer(kind, Z, H, DS):\n" + branches + "\n"
    body = "\n\n".join(decorator + textwrap.dedent(inspect.getsource(f)) for f in functions)
    names = ", ".join(str(c.expr) for c in compiled)
    source = (f'"""Generated by numerics.activations.kernel_module_layers for sigma = {names}. Do not edit."""\n'
              "import math\n\nimport numba\nimport numpy as np\n\n" + fast_tanh_source() + "\n\n"
              + "\n\n".join(pairs) + "\n\n" + dispatch + "\n\n" + body)
    module = _generated.load_generated_module(source, prefix=f"condense_{tag}", kind="kernels")
    missing = [f.__name__ for f in functions if not hasattr(module, f.__name__)]
    if missing:
        raise RuntimeError(f"kernel_module_layers: the source of {missing} changed on disk since it was imported; restart Python")
    _MEMO[memo_key] = module
    return module


def _build_module(compiled, functions, tag, fastmath, fast_functions) -> ModuleType:
    flags = ", fastmath={" + ", ".join(repr(f) for f in sorted(fastmath)) + "}" if fastmath else ""
    decorator = _DECORATOR[:-1] + flags + ")\n"
    body = "\n\n".join(
        decorator + textwrap.dedent(inspect.getsource(function)) for function in functions
    )
    printer = _kernel_print if fast_functions else pycode
    header = fast_tanh_source() + "\n\n" if fast_functions else ""
    source = (
        f'"""Generated by numerics.activations.kernel_module for sigma(z) = {compiled.expr}. Do not edit."""\n'
        "import math\n\nimport numba\nimport numpy as np\n\n"
        + header
        + "\n\n".join(f"{_DECORATOR}\n" + part for part in compiled.scalar_sources(printer))
        + "\n\n"
        + body
    )
    module = _generated.load_generated_module(source, prefix=f"condense_{tag}", kind="kernels")
    missing = [f.__name__ for f in functions if not hasattr(module, f.__name__)]
    if missing:  # inspect.getsource read a file edited after import (stale line numbers)
        raise RuntimeError(
            f"kernel_module: the source of {missing} changed on disk since it was imported; restart Python"
        )
    return module
