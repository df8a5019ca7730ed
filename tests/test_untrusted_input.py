"""Untrusted text never runs as Python (issue 9 items 1 and 8).

Every entry point that takes an activation as text -- ``theory.activations.activation_expr``,
``theory.derive_effective_model``, ``numerics.train_network``, ``condense derive/stages/figure/
phase-diagram`` and report config files -- reads it with the whitelist parser. Each injection
shape below would create a marker file if any of them reached ``sympify``/``eval``; the test
requires a ``ValueError`` (API) or exit status 2 (command line) *and* that the marker is absent.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import numpy as np
import pytest
import sympy as sp

from condense.cli import main as _main


def main(argv: list[str]) -> int:
    """The command line's exit status, whether argparse (SystemExit) or the command refused."""
    try:
        return _main(argv)
    except SystemExit as exc:
        return int(exc.code)
from theory.activations import activation_expr, z


def _payloads(marker: str) -> list[str]:
    touch = f"__import__('os').system('touch {marker}')"
    return [
        touch,
        touch.replace("'", '"'),
        f"__import__('pathlib').Path('{marker}').touch()",
        "z.__class__.__mro__[-1].__subclasses__()",
        "getattr(z, '__class__')",
        "(lambda: " + touch + ")()",
        "[" + touch + " for _ in (1,)]",
        "{" + touch + ": 1}",
        "__builtins__",
        "__import__",
        f"exec(\"open('{marker}', 'w')\")",
        f"eval(\"open('{marker}', 'w')\")",
        f"open('{marker}', 'w')",
        "Symbol('x')",
        "Function('f')(z)",
        "z if 1 else z",
        "z; " + touch,
        "sin(z).func",
        "z[0]",
        "tanh(z) @ z",
        "9**9**9**9",
        "z" + "+z" * 5000,
        "(" * 500 + "z" + ")" * 500,
        "-" * 500 + "z",
        "sin(" * 200 + "z" + ")" * 200,
    ]


def _payload_ids() -> list[str]:
    return [f"{k}:{p[:30]}" for k, p in enumerate(_payloads("M"))]


PAYLOADS = list(enumerate(_payloads("MARKER")))


def _marker_payload(tmp_path, index: int) -> tuple[str, object]:
    marker = tmp_path / "PWNED"
    return _payloads(str(marker))[index], marker


@pytest.mark.parametrize("index", range(len(PAYLOADS)), ids=_payload_ids())
def test_activation_expr_refuses_injection(tmp_path, index):
    text, marker = _marker_payload(tmp_path, index)
    start = time.perf_counter()
    with pytest.raises(ValueError, match="activation"):
        activation_expr(text)
    assert time.perf_counter() - start < 5.0  # refused, not evaluated (9**9**9**9 would hang)
    assert not marker.exists()


@pytest.mark.parametrize("index", [0, 3, 5, 6, 9, 11, 20, 22])
def test_api_entry_points_refuse_injection(tmp_path, index):
    import numerics
    import theory
    from numerics.stages import small_init_run

    text, marker = _marker_payload(tmp_path, index)
    X, y = numerics.make_dataset("default", n=8, d=2, seed=0)
    weights = numerics.gaussian_init((2, 3, 1), scale=0.1, seed=0)
    calls = [
        lambda: theory.derive_effective_model(depth=2, activation=text),
        lambda: numerics.train_network(X, y, [weights[0], weights[1].ravel()], activation=text, steps=2),
        lambda: small_init_run(1e-3, m=4, steps=10, activation=text),
    ]
    for call in calls:
        with pytest.raises(ValueError, match="activation"):
            call()
    assert not marker.exists()


@pytest.mark.parametrize("index", [0, 1, 2, 5, 6, 10, 12])
def test_command_line_refuses_injection(tmp_path, capsys, index):
    text, marker = _marker_payload(tmp_path, index)
    out = tmp_path / "out"
    commands = [
        ["derive", "--activation", text, "--out", str(out / "d.md")],
        ["stages", "--quick", "--activation", text, "--out", str(out)],
        ["figure", "stages", "--quick", "--activation", text, "--out", str(out)],
        ["phase-diagram", "--quick", "--activations", "relu," + text, "--out", str(out)],
    ]
    for argv in commands:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert "activation" in err and "Traceback" not in err
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"derivation": {"activation": text}, "verify": False, "figures": []}))
    assert main(["report", "--out", str(out), "--config", str(config)]) == 2
    assert "derivation.activation" in capsys.readouterr().err
    config.write_text(json.dumps({"figure": {"stages": {"activation": text}}}))
    assert main(["report", "--out", str(out), "--config", str(config)]) == 2
    assert not marker.exists()
    assert not out.exists()  # refused before any folder was created


def test_the_reported_shell_injection_runs_nothing(tmp_path):
    """The report's exact command, in a fresh process: exit 2, one line, no 'PWNED', no file."""
    marker = tmp_path / "PWNED"
    payload = f'__import__("os").system("echo PWNED; touch {marker}")'
    proc = subprocess.run([sys.executable, "-m", "condense", "derive", "--activation", payload,
                           "--out", str(tmp_path / "d.md")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "PWNED\n" not in proc.stdout and not marker.exists()
    assert len(proc.stderr.strip().splitlines()) == 1 and "--activation" in proc.stderr
    assert not (tmp_path / "d.md").exists()


# -- one language: the same expression is accepted everywhere and means the same function ----------


def test_expression_text_means_the_sympy_expression():
    assert sp.simplify(activation_expr("z - z**3") - (z - z**3)) == 0
    assert sp.simplify(activation_expr("2*sigmoid(z) - 1") - activation_expr("sigmoid_shifted")) == 0
    with pytest.raises(ValueError, match="unknown name 'gelu'.*tanh"):
        activation_expr("gelu")


def test_derive_effective_model_takes_an_expression():
    import theory

    from_text = theory.derive_effective_model(depth=3, activation="z - z**3", widths=(1, 1), input_dim=1)
    from_sympy = theory.derive_effective_model(depth=3, activation=z - z**3, widths=(1, 1), input_dim=1)
    assert from_text.leading_order == from_sympy.leading_order == 3
    assert sp.simplify(from_text.energy - from_sympy.energy) == 0


def test_train_network_takes_an_expression():
    import numerics

    X, y = numerics.make_dataset("default", n=10, d=2, seed=1)
    weights = numerics.gaussian_init((2, 4, 3), scale=0.3, seed=1)
    text = numerics.train_network(X, y, weights, activation="sin(z) + z**3/10", lr=0.1, steps=20)
    numpy = numerics.train_network_numpy(X, y, weights, activation=sp.sin(z) + z**3 / 10, lr=0.1, steps=20)
    # an independent implementation (NumPy loop) of the same function agrees step by step
    np.testing.assert_allclose(text.loss, numpy.loss, rtol=1e-10)
    assert text.loss[-1] < text.loss[0]


def test_stages_and_config_take_an_expression(tmp_path):
    from condense.figures import discover_figures
    from condense.report.config import parse_config
    from numerics.stages import small_init_run

    run = small_init_run(1e-2, m=4, steps=50, activation="tanh(z)")
    same = small_init_run(1e-2, m=4, steps=50, activation="tanh")
    np.testing.assert_array_equal(run.losses, same.losses)
    figures, _ = discover_figures()
    config = parse_config({"derivation": {"activation": "z - z**3"},
                           "figure": {"stages": {"activation": "2*sigmoid(z) - 1"}}}, figures)
    assert config.derivation["activation"] == "z - z**3"
    with pytest.raises(ValueError, match="derivation.activation.*not smooth"):
        parse_config({"derivation": {"activation": "relu"}}, figures)
    with pytest.raises(ValueError, match="unknown name 'gelu'"):
        parse_config({"derivation": {"activation": "gelu"}}, figures)


def test_codegen_refuses_text_substitutions(tmp_path):
    import theory
    from numerics.codegen import generate_source

    marker = tmp_path / "PWNED"
    model = theory.reduced_model((1, 1))
    with pytest.raises(TypeError, match="subs"):
        generate_source(model, subs={f"__import__('os').system('touch {marker}')": 1})
    with pytest.raises(TypeError, match="subs"):
        generate_source(model, subs={model.state_symbols[0]: f"__import__('os').system('touch {marker}')"})
    assert not marker.exists()
