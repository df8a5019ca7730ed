r"""A whitelist parser for expressions typed by users (activations, claims, conjectures).

Every string expression that reaches condense from the command line, a configuration file or
the API goes through :func:`parse_expression`, never through ``sympify``/``eval`` (which run
arbitrary Python). The grammar is deliberately small::

    expression := term (("+" | "-") term)*
    term       := unary (("*" | "/") unary)*
    unary      := ("+" | "-") unary | power
    power      := atom (("**" | "^") unary)?          # right associative
    atom       := NUMBER | NAME | NAME "(" expression ("," expression)* ")" | "(" expression ")"

``NUMBER`` is a decimal literal (``2``, ``0.5``, ``1e-3``), converted *exactly* to a SymPy
rational; ``NAME`` is a variable given by the caller, a constant (``pi``, ``E``) or a function of
the fixed table :data:`FUNCTIONS` (name → SymPy, in the spirit of PySR's ``export_sympy``
table). Anything else — attribute access, subscripts, keywords, lambdas, comprehensions, strings,
dunder names, unknown names — is a ``ValueError`` that names the argument and the offending token
with its position. Size limits (:data:`MAX_LENGTH`, :data:`MAX_DEPTH`, :data:`MAX_EXPONENT`)
keep a hostile input from hanging the process (``9**9**9**9`` would otherwise be evaluated).
"""

from __future__ import annotations

import re
from typing import Callable, Iterable, Mapping, NamedTuple

import sympy as sp

__all__ = ["FUNCTIONS", "CONSTANTS", "parse_expression", "parse_relation", "MAX_LENGTH", "MAX_DEPTH"]

#: Longest accepted input, in characters.
MAX_LENGTH = 2000
#: Deepest accepted nesting of parentheses, unary signs and powers.
MAX_DEPTH = 60
#: Largest accepted absolute value of a numeric exponent, and longest numeric literal.
MAX_EXPONENT = 1000
MAX_LITERAL_DIGITS = 60


def _sigmoid(x):
    return 1 / (1 + sp.exp(-x))


def _softplus(x):
    return sp.log(1 + sp.exp(x))


#: Function names accepted in expressions, each with its arity and SymPy meaning.
FUNCTIONS: Mapping[str, tuple[int, Callable[..., sp.Expr]]] = {
    "sin": (1, sp.sin), "cos": (1, sp.cos), "tan": (1, sp.tan),
    "sinh": (1, sp.sinh), "cosh": (1, sp.cosh), "tanh": (1, sp.tanh),
    "asin": (1, sp.asin), "acos": (1, sp.acos), "atan": (1, sp.atan),
    "asinh": (1, sp.asinh), "acosh": (1, sp.acosh), "atanh": (1, sp.atanh),
    "exp": (1, sp.exp), "log": (1, sp.log), "sqrt": (1, sp.sqrt),
    "abs": (1, sp.Abs), "Abs": (1, sp.Abs), "sign": (1, sp.sign),
    "erf": (1, sp.erf), "Heaviside": (1, sp.Heaviside),
    "sigmoid": (1, _sigmoid), "softplus": (1, _softplus),
    "relu": (1, lambda x: sp.Max(0, x)),
    "max": (2, sp.Max), "min": (2, sp.Min), "Max": (2, sp.Max), "Min": (2, sp.Min),
}

#: Named constants accepted in expressions.
CONSTANTS: Mapping[str, sp.Expr] = {"pi": sp.pi, "E": sp.E}

_TOKEN = re.compile(
    r"\s*(?:(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>\*\*|<=|>=|==|[-+*/^(),<>]))"
)


class _Token(NamedTuple):
    kind: str  # "number", "name", "op", "end"
    text: str
    position: int


def _tokenize(text: str, argument: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(text):
        if text[position].isspace():
            position += 1
            continue
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise ValueError(
                f"{argument}: unexpected character {text[position]!r} at position {position} in "
                f"{_excerpt(text)}; allowed: numbers, names, + - * / ** ( ) and ','"
            )
        kind = match.lastgroup or "op"
        start = match.start(kind)
        tokens.append(_Token(kind, match.group(kind), start))
        position = match.end()
    tokens.append(_Token("end", "", len(text)))
    return tokens


def _excerpt(text: str) -> str:
    return repr(text if len(text) <= 60 else text[:57] + "...")


class _Parser:
    def __init__(self, text, tokens, variables, functions, constants, argument, refused):
        self.text = text
        self.refused = refused
        self.tokens = tokens
        self.index = 0
        self.depth = 0
        self.variables = variables
        self.functions = functions
        self.constants = constants
        self.argument = argument

    # -- helpers -----------------------------------------------------------------------------
    @property
    def token(self) -> _Token:
        return self.tokens[self.index]

    def advance(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def error(self, message: str, token: _Token | None = None) -> ValueError:
        token = token or self.token
        where = "at the end" if token.kind == "end" else f"{token.text!r} at position {token.position}"
        return ValueError(f"{self.argument}: {message}: {where} in {_excerpt(self.text)}")

    def expect(self, text: str) -> None:
        if self.token.text != text or self.token.kind != "op":
            raise self.error(f"expected {text!r}")
        self.advance()

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"expression nested deeper than {MAX_DEPTH} levels")

    # -- grammar -----------------------------------------------------------------------------
    def expression(self) -> sp.Expr:
        value = self.term()
        while self.token.kind == "op" and self.token.text in ("+", "-"):
            op = self.advance().text
            right = self.term()
            value = value + right if op == "+" else value - right
        return value

    def term(self) -> sp.Expr:
        value = self.unary()
        while self.token.kind == "op" and self.token.text in ("*", "/"):
            op = self.advance().text
            right = self.unary()
            if op == "/" and right == 0:
                raise self.error("division by zero", self.tokens[self.index - 1])
            value = value * right if op == "*" else value / right
        return value

    def unary(self) -> sp.Expr:
        if self.token.kind == "op" and self.token.text in ("+", "-"):
            op = self.advance().text
            self.enter()
            value = self.unary()
            self.depth -= 1
            return -value if op == "-" else value
        return self.power()

    def power(self) -> sp.Expr:
        base = self.atom()
        if self.token.kind == "op" and self.token.text in ("**", "^"):
            operator = self.advance()
            self.enter()
            exponent = self.unary()
            self.depth -= 1
            if exponent.is_number:
                if exponent.is_real is False or abs(float(sp.re(exponent))) > MAX_EXPONENT:
                    raise self.error(f"exponent {exponent} outside [-{MAX_EXPONENT}, {MAX_EXPONENT}]", operator)
                if base.is_number and base != 0 and abs(float(exponent)) * abs(float(sp.log(abs(base), 10))) > MAX_EXPONENT:
                    raise self.error(f"number {base}**{exponent} has more than {MAX_EXPONENT} digits", operator)
            if base == 0 and exponent.is_number and exponent.is_negative:
                raise self.error("zero to a negative power", operator)
            return base**exponent
        return base

    def atom(self) -> sp.Expr:
        token = self.token
        if token.kind == "number":
            self.advance()
            if len(token.text) > MAX_LITERAL_DIGITS:
                raise self.error(f"numeric literal longer than {MAX_LITERAL_DIGITS} characters", token)
            return sp.Rational(token.text)
        if token.kind == "name":
            self.advance()
            name = token.text
            if name in self.refused:
                raise self.error(f"{name!r} is {self.refused[name]}", token)
            if self.token.kind == "op" and self.token.text == "(":
                return self.call(token)
            if name in self.variables:
                return self.variables[name]
            if name in self.constants:
                return self.constants[name]
            if name in self.functions:
                raise self.error(f"function {name!r} needs an argument in parentheses", token)
            raise self.error(f"unknown name; allowed names: {self.allowed_names()}", token)
        if token.kind == "op" and token.text == "(":
            self.advance()
            self.enter()
            value = self.expression()
            self.depth -= 1
            self.expect(")")
            return value
        if token.kind == "end":
            raise self.error("incomplete expression")
        raise self.error("unexpected token")

    def call(self, name_token: _Token) -> sp.Expr:
        name = name_token.text
        if name not in self.functions:
            raise self.error(f"unknown function; allowed functions: {', '.join(sorted(self.functions))}",
                             name_token)
        arity, function = self.functions[name]
        self.expect("(")
        self.enter()
        args = [self.expression()]
        while self.token.kind == "op" and self.token.text == ",":
            self.advance()
            args.append(self.expression())
        self.depth -= 1
        self.expect(")")
        if len(args) != arity:
            raise self.error(f"function {name!r} takes {arity} argument(s), got {len(args)}", name_token)
        return function(*args)

    def allowed_names(self) -> str:
        names = list(self.variables) + list(self.constants)
        return ", ".join(names) if names else "(none)"


def _variable_table(variables: Iterable[str] | Mapping[str, sp.Expr], argument: str) -> dict[str, sp.Expr]:
    if isinstance(variables, Mapping):
        table = dict(variables)
    else:
        table = {name: sp.Symbol(name, real=True) for name in variables}
    for name in table:
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name):
            raise ValueError(f"{argument}: variable name {name!r} must be an identifier not starting with '_'")
    return table


def parse_expression(
    text: str,
    *,
    variables: Iterable[str] | Mapping[str, sp.Expr] = ("z",),
    argument: str = "activation",
    functions: Mapping[str, tuple[int, Callable[..., sp.Expr]]] | None = None,
    constants: Mapping[str, sp.Expr] | None = None,
    refused: Mapping[str, str] | None = None,
) -> sp.Expr:
    """Parse ``text`` into a SymPy expression without evaluating any Python.

    ``variables``: the names allowed as variables — a sequence of names (each becomes a real
    ``Symbol``) or a mapping name → SymPy expression. ``functions``/``constants`` *extend* the
    fixed tables :data:`FUNCTIONS` and :data:`CONSTANTS` (name → ``(arity, callable)`` and
    name → expression). ``refused`` maps names that must not be used here to the reason given
    in the error (e.g. ``{"E": "ambiguous here; write E0"}``: they leave the constant table and
    the listing of allowed names). ``argument`` names the user-facing argument in error messages.

    Raises ``TypeError`` when ``text`` is not a string and ``ValueError`` naming ``argument`` and
    the offending token for anything outside the grammar of this module's docstring.
    """
    if not isinstance(text, str):
        raise TypeError(f"{argument}: expected a string expression, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ValueError(f"{argument}: expression longer than {MAX_LENGTH} characters ({len(text)})")
    if not text.strip():
        raise ValueError(f"{argument}: empty expression")
    table = _variable_table(variables, argument)
    function_table = dict(FUNCTIONS)
    function_table.update(functions or {})
    refused = dict(refused or {})
    constant_table = {name: value for name, value in {**CONSTANTS, **(constants or {})}.items()
                      if name not in refused}
    parser = _Parser(text, _tokenize(text, argument), table, function_table, constant_table, argument, refused)
    value = parser.expression()
    if parser.token.kind != "end":
        raise parser.error("unexpected token")
    return sp.sympify(value) if not isinstance(value, sp.Basic) else value


#: Comparison operators accepted by :func:`parse_relation`.
RELATIONS = ("<=", ">=", "<", ">", "==")


def parse_relation(
    text: str,
    *,
    variables: Iterable[str] | Mapping[str, sp.Expr],
    argument: str = "claim",
    functions: Mapping[str, tuple[int, Callable[..., sp.Expr]]] | None = None,
    constants: Mapping[str, sp.Expr] | None = None,
    refused: Mapping[str, str] | None = None,
) -> tuple[sp.Expr, str, sp.Expr]:
    """Parse ``"lhs OP rhs"`` with exactly one ``OP`` in :data:`RELATIONS`; returns
    ``(lhs, OP, rhs)``, each side parsed by :func:`parse_expression`."""
    if not isinstance(text, str):
        raise TypeError(f"{argument}: expected a string like 't_star <= E0**(-1/3)', got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ValueError(f"{argument}: expression longer than {MAX_LENGTH} characters ({len(text)})")
    tokens = _tokenize(text, argument)
    found = [t for t in tokens if t.kind == "op" and t.text in RELATIONS]
    if len(found) != 1:
        raise ValueError(
            f"{argument}: expected exactly one comparison ({', '.join(RELATIONS)}) in {_excerpt(text)}, "
            f"found {len(found)}"
        )
    op = found[0]
    kwargs = dict(variables=variables, argument=argument, functions=functions, constants=constants, refused=refused)
    lhs = parse_expression(text[: op.position], **kwargs)
    rhs = parse_expression(text[op.position + len(op.text):], **kwargs)
    return lhs, op.text, rhs
