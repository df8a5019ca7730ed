r"""Activation functions as SymPy expressions, and their multiplicity (docs/mathematics.md#multiplicity).

An activation is a smooth scalar function :math:`\sigma(z)` with :math:`\sigma(0) = 0`.
Its *multiplicity* is the smallest :math:`p \ge 1` with :math:`\sigma^{(p)}(0) \ne 0`.
"""

from __future__ import annotations

import sympy as sp

#: The variable every activation expression is written in.
z = sp.Symbol("z", real=True)

_BUILTIN = {
    "tanh": sp.tanh(z),
    "sin": sp.sin(z),
    "xtanh": z * sp.tanh(z),
    "x2tanh": z**2 * sp.tanh(z),
    "softplus_shifted": sp.log(1 + sp.exp(z)) - sp.log(2),
    "sigmoid_shifted": 2 / (1 + sp.exp(-z)) - 1,
    "relu": sp.Max(0, z),
}

#: Names accepted wherever an activation is asked for.
ACTIVATION_NAMES: tuple[str, ...] = tuple(_BUILTIN)

#: Activations that are not smooth at 0 and so have no expansion in the initialization scale.
NON_SMOOTH: frozenset[str] = frozenset({"relu"})


def activation_expr(activation: str | sp.Expr | sp.Lambda) -> sp.Expr:
    r"""Return :math:`\sigma(z)` as a SymPy expression in :data:`z`.

    ``activation`` is one of (the same language at every entry point: the API, ``condense derive``
    and ``stages``, figure options and config files):

    * a name from :data:`ACTIVATION_NAMES`;
    * an expression in the variable ``z`` as a string, e.g. ``"z - z**3"`` or
      ``"2*sigmoid(z) - 1"``, read by the whitelist parser
      :func:`theory.expressions.parse_expression` (numbers, ``z``, ``+ - * / **``, parentheses
      and a fixed table of functions; never ``sympify``/``eval``, so no Python is run);
    * a SymPy expression in one free symbol (renamed to :data:`z`), or a one-argument
      ``sympy.Lambda``.

    Raises ``ValueError`` naming ``activation`` (and the offending token) for anything else.
    """
    if isinstance(activation, str):
        return parse_activation(activation)
    if isinstance(activation, sp.Lambda):
        if len(activation.variables) != 1:
            raise ValueError("activation: a Lambda must take exactly one argument")
        return activation(z)
    if isinstance(activation, sp.Expr):
        free = activation.free_symbols
        if len(free) > 1:
            raise ValueError(
                f"activation: expression must have one free variable, got {sorted(map(str, free))}"
            )
        return activation.subs(free.pop(), z) if free else activation
    raise TypeError(
        f"activation: expected a name ({', '.join(ACTIVATION_NAMES)}), an expression in z such as "
        f"'z - z**3', or a SymPy expression, got {type(activation).__name__}"
    )


def parse_activation(text: str, argument: str = "activation") -> sp.Expr:
    r"""Read a string activation: a name from :data:`ACTIVATION_NAMES` or an expression in ``z``
    (:func:`theory.expressions.parse_expression`, whitelist grammar; no Python is evaluated).

    Raises ``ValueError`` naming ``argument``: for an unknown name it lists the allowed names, for
    anything outside the grammar (attribute access, lambdas, ``__import__``, ...) it names the
    offending token.
    """
    from theory.expressions import parse_expression

    if not isinstance(text, str):
        raise TypeError(f"{argument}: expected a string, got {type(text).__name__}")
    builtin = _BUILTIN.get(text.strip())
    if builtin is not None:
        return builtin
    stripped = text.strip()
    if stripped.isidentifier() and stripped != "z":
        # a misspelt name ('Tanh', 'gelu') is neither a built-in nor an expression in z
        raise ValueError(
            f"{argument}: unknown name {stripped!r}; allowed: {', '.join(ACTIVATION_NAMES)}, or an "
            "expression in the variable z such as 'z - z**3' or 'sin(z) + z**3/10' ('z' alone is the identity)"
        )
    try:
        return parse_expression(text, variables={"z": z}, argument=argument)
    except ValueError as error:
        raise ValueError(
            f"{error} (an activation is one of {', '.join(ACTIVATION_NAMES)} or an expression in z)"
        ) from None


def activation_name(activation: str | sp.Expr | sp.Lambda) -> str:
    """A printable name: the built-in name, or the expression's string."""
    if isinstance(activation, str) and activation.strip() in _BUILTIN:
        return activation.strip()
    return str(activation_expr(activation))


def check_smooth_activation(activation: str | sp.Expr | sp.Lambda) -> sp.Expr:
    r"""Return :math:`\sigma(z)` after checking it can be expanded at 0.

    Raises ``ValueError`` (naming ``activation``) for non-smooth activations (ReLU) and for
    :math:`\sigma(0) \ne 0`.
    """
    if isinstance(activation, str) and activation.strip() in NON_SMOOTH:
        raise ValueError(
            f"activation: {activation!r} is not smooth at 0, so the network output has no Taylor "
            "expansion in the initialization scale; use a smooth activation "
            f"({', '.join(n for n in ACTIVATION_NAMES if n not in NON_SMOOTH)})"
        )
    expr = activation_expr(activation)
    if expr.has(sp.Max, sp.Min, sp.Abs, sp.Heaviside, sp.Piecewise, sp.sign, sp.floor, sp.ceiling, sp.frac,
                sp.Mod, sp.DiracDelta):
        raise ValueError(f"activation: {expr} is not smooth at 0 (no Taylor expansion)")
    expansion = sp.series(expr, z, 0, 4).removeO()
    if not expansion.is_polynomial(z):
        raise ValueError(
            f"activation: {expr} is not analytic at 0 (its expansion {expansion} has non-integer or "
            "negative powers), so there is no Taylor expansion in the initialization scale"
        )
    value = sp.simplify(expr.subs(z, 0))
    if value != 0:
        shown = str(value) if len(str(value)) <= 40 else f"{sp.N(value, 6)}"
        raise ValueError(f"activation: sigma(0) must be 0 for the small-initialization expansion, got {shown}")
    return expr


def multiplicity(activation: str | sp.Expr | sp.Lambda, max_order: int = 12) -> int:
    r"""Multiplicity :math:`p` of :math:`\sigma`: the least :math:`p\ge1` with :math:`\sigma^{(p)}(0)\ne0`
    (docs/mathematics.md#multiplicity). ``tanh``, ``sin``, ``softplus_shifted``, ``sigmoid_shifted``: 1;
    ``xtanh``: 2; ``x2tanh``: 3.
    """
    expr = check_smooth_activation(activation)
    derivative = expr
    for order in range(1, max_order + 1):
        derivative = sp.diff(derivative, z)
        value = sp.simplify(derivative.subs(z, 0))
        if value.is_finite is False or value.has(sp.nan, sp.zoo):
            raise ValueError(f"activation: the derivative of order {order} of {expr} at 0 is {value}; "
                             "the activation is not smooth at 0")
        if value != 0:
            return order
    raise ValueError(f"activation: all derivatives up to order {max_order} vanish at 0")
