"""The whitelist expression parser: what it accepts equals SymPy's meaning; everything else is
refused with a ValueError naming the argument and the token, and nothing is executed."""

import time

import pytest
import sympy as sp

from theory.expressions import MAX_DEPTH, MAX_LENGTH, parse_expression, parse_relation

z = sp.Symbol("z", real=True)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("z - z**3", z - z**3),
        ("tanh(z)", sp.tanh(z)),
        ("z*tanh(z)", z * sp.tanh(z)),
        ("2/(1+exp(-z)) - 1", 2 / (1 + sp.exp(-z)) - 1),
        ("-z^2 + 0.5*z", -(z**2) + sp.Rational(1, 2) * z),
        ("1e-3*sin(z)", sp.Rational(1, 1000) * sp.sin(z)),
        ("2**-1*z", z / 2),
        ("-2**2", -4),  # ** binds tighter than unary minus, as in Python
        ("2**3**2", 512),  # right associative
        ("log(1+exp(z)) - log(2)", sp.log(1 + sp.exp(z)) - sp.log(2)),
        ("sigmoid(z)", 1 / (1 + sp.exp(-z))),
        ("max(0, z)", sp.Max(0, z)),
        ("pi*z", sp.pi * z),
    ],
)
def test_accepted_expressions_mean_what_sympy_means(text, expected):
    assert sp.simplify(parse_expression(text) - expected) == 0


@pytest.mark.parametrize(
    "text, token",
    [
        ('__import__("os").system("echo PWNED")', "__import__"),
        ("z.real", "."),
        ("(1).__class__", "."),
        ("lambda z: z", "lambda"),
        ("[z for z in range(3)]", "["),
        ("z if z else z", "if"),
        ("open('x')", "open"),
        ("'abc'", "'"),
        ("z; z", ";"),
        ("exec", "exec"),
        ("__builtins__", "__builtins__"),
        ("sin", "sin"),
        ("sin(z, z)", "sin"),
        ("z +", "end"),
        ("(z", "end"),
        ("z)", ")"),
        ("9**9**9**9", "**"),
        ("1/0", "0"),
        ("w", "w"),
        ("z < 1", "<"),
    ],
)
def test_refused_inputs_name_the_argument_and_the_token(text, token):
    with pytest.raises(ValueError) as info:
        parse_expression(text, argument="--activation")
    message = str(info.value)
    assert message.startswith("--activation:")
    assert (token in message) if token != "end" else ("at the end" in message)


def test_nothing_is_executed(tmp_path):
    marker = tmp_path / "pwned"
    text = f'__import__("pathlib").Path("{marker}").touch()'
    with pytest.raises(ValueError):
        parse_expression(text)
    assert not marker.exists()


def test_long_and_deep_inputs_are_refused_quickly():
    start = time.monotonic()
    with pytest.raises(ValueError, match="longer than"):
        parse_expression("z+" * MAX_LENGTH + "z")
    with pytest.raises(ValueError, match="nested deeper"):
        parse_expression("(" * (MAX_DEPTH + 5) + "z" + ")" * (MAX_DEPTH + 5))
    with pytest.raises(ValueError, match="nested deeper"):
        parse_expression("-" * (MAX_DEPTH + 5) + "z")
    with pytest.raises(ValueError, match="literal"):
        parse_expression("1" * 500)
    assert time.monotonic() - start < 5.0


def test_non_string_is_a_type_error():
    with pytest.raises(TypeError, match="activation"):
        parse_expression(3)


def test_variables_and_extensions():
    expr = parse_expression("t_star*r0", variables=("t_star", "r0"), argument="claim")
    assert expr == sp.Symbol("t_star", real=True) * sp.Symbol("r0", real=True)
    n = sp.Symbol("norm_a", positive=True)
    expr = parse_expression("norm(a)**2", variables={}, functions={"norm": (1, lambda x: n)},
                            constants={"a": sp.Symbol("a")})
    assert expr == n**2
    with pytest.raises(ValueError, match="allowed names: t_star, r0"):
        parse_expression("E0", variables=("t_star", "r0"), argument="claim")


def test_relations():
    lhs, op, rhs = parse_relation("t_star <= E0**(-1/3)", variables=("t_star", "E0"))
    assert op == "<=" and lhs == sp.Symbol("t_star", real=True)
    assert rhs == sp.Symbol("E0", real=True) ** sp.Rational(-1, 3)
    with pytest.raises(ValueError, match="exactly one comparison"):
        parse_relation("t_star", variables=("t_star",))
    with pytest.raises(ValueError, match="exactly one comparison"):
        parse_relation("1 < t_star < 2", variables=("t_star",))


def test_refused_names_give_their_reason_and_leave_the_listing():
    with pytest.raises(ValueError, match=r"claim: 'E' is ambiguous here; write E0: 'E' at position 0"):
        parse_expression("E + 1", variables=("E0",), argument="claim", refused={"E": "ambiguous here; write E0"})
    with pytest.raises(ValueError) as info:
        parse_expression("x", variables=("E0",), argument="claim", refused={"E": "ambiguous"})
    assert "allowed names: E0, pi" in str(info.value) and ", E" not in str(info.value)
    assert parse_expression("E", variables=()) == sp.E  # the constant where nothing refuses it
