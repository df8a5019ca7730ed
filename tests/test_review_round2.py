"""Inputs a new user or an attacker tries on the newest features (``condense check``,
``condense diagnose``/``condense.runs``, general networks, notebook displays, every CLI error)."""

import json
import re

import numpy as np
import pytest

from condense.cli import main


# ------------------------------------------------------------------ condense check / verify.conjecture


def test_claim_undefined_on_every_case_is_not_survived(capsys):
    """rhs = 1e400 is +inf on every case: nothing is checked, so the verdict must not be
    'survived' (API) and the CLI must exit 2 with one line, not 0."""
    from verify import conjecture as cj

    r = cj.inequality("norm(u) <= 1e400", examples=5, seed=0)
    assert r.status == "undefined" and not r
    assert r.skipped == r.examples == 5
    assert main(["check", "norm(u) <= 1e400", "--examples", "5"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("condense: error:") and "\n" not in err and "nothing was checked" in err


def test_sharpness_undefined_on_every_case_exits_2_not_fails(capsys):
    assert main(["check", "--sharp", "t_star", "1e400", "--examples", "5", "--json"]) == 2
    captured = capsys.readouterr()
    assert json.loads(captured.out)["status"] == "undefined"
    assert "fails" not in captured.out + captured.err
    assert captured.err.strip().count("\n") == 0


# ------------------------------------------------------------------ condense diagnose / condense.runs


def _small_run(seed=0, d=3, widths=(4, 3), eps=1e-2, steps=(0, 5, 10)):
    rng = np.random.default_rng(seed)
    shapes = [(widths[0], d), (widths[1], widths[0])]
    weights = [eps * rng.standard_normal(s) for s in shapes] + [eps * rng.standard_normal(widths[-1])]
    snapshots = [[w * (1 + 0.01 * s) for w in weights] for s in steps]
    X = rng.standard_normal((20, d))
    y = np.tanh(X[:, 0]) + 0.1
    return np.asarray(steps), snapshots, X, y


def test_diagnose_one_output_with_targets_of_shape_n_by_1_is_the_scalar_case():
    """A one-output run with y of shape (n, 1) (how PyTorch stores MSE targets) is the same
    problem as y of shape (n,): the plateau-escape prediction and final-stage closeness must be
    the same, not dropped with a note that the run 'has vector outputs'."""
    from condense.diagnostics import diagnose

    steps, snapshots, X, y = _small_run()
    flat = diagnose(steps, snapshots, X, y, activation="tanh", lr=0.1)
    column = diagnose(steps, snapshots, X, y[:, None], activation="tanh", lr=0.1)
    assert flat["escape"] is not None and flat["final_stage"] is not None
    assert column["escape"] == flat["escape"] and column["final_stage"] == flat["final_stage"]
    assert not any("vector outputs" in note for note in column["notes"])


@pytest.mark.parametrize("activation", ["1e400", "z + 1e400*z**3", "exp(1000)*z"])
def test_activation_beyond_double_precision_is_refused_not_an_overflow(activation, tmp_path, capsys):
    """'1e400' parses to the exact integer 10**400: evaluating it raised OverflowError (a
    traceback from condense diagnose) or gave inf/nan values; now a ValueError naming the
    activation, and the CLI exits 2 with one line."""
    from numerics.activations import compile_activation
    from numerics.training import train_network

    with pytest.raises(ValueError, match="activation"):
        compile_activation(activation)
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((6, 2)), rng.standard_normal(6)
    weights = [0.1 * rng.standard_normal((3, 2)), 0.1 * rng.standard_normal(3)]
    with pytest.raises(ValueError, match="activation"):
        train_network(X, y, weights, activation=activation, lr=0.1, steps=2)
    steps, snapshots, X, y = _small_run()
    folder = tmp_path / "run"
    folder.mkdir()
    for step, snapshot in zip(steps, snapshots):
        np.savez(folder / f"step_{step}.npz", W1=snapshot[0], W2=snapshot[1], a=snapshot[2])
    np.savez(tmp_path / "data.npz", X=X, y=y)
    code = main(["diagnose", str(folder), "--data", str(tmp_path / "data.npz"), "--activation", activation,
                 "--out", str(tmp_path / "out")])
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("condense")]
    assert code == 2 and len(err) == 1 and "activation" in err[0]


# ------------------------------------------------------------------ every CLI error: exit 2, one line


@pytest.mark.parametrize("argv", [
    ["check", "t_star <= 1", "--seed", "x"],
    ["check", "--sharp", "t_star"],
    ["diagnose", "run", "--delta", "x"],
    ["diagnose", "run", "--target", "nope"],
    ["nosuch"],
    ["derive", "--depth", "three"],
])
def test_refused_arguments_print_one_line(argv, capsys):
    """argparse's refusals (bad type, bad choice, wrong count) printed a usage block and then the
    error; the rule is exit 2 and one line naming the option."""
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "error:" in err[0] and "--help" in err[0]


# ------------------------------------------------------------------ condense derive: general networks


def test_derive_report_says_what_an_x_independent_leading_order_p_3_does(tmp_path):
    """Depth 3, a bias in the second hidden layer with xtanh there: the x-independent term
    a*sigma2(b2) ~ a*b2**2 leads at p = 3 (xtanh has multiplicity 2). The report explained p = 1
    and p = 2 only and printed '... mean target. after the mean is fitted' for p >= 3."""
    out = tmp_path / "d.md"
    assert main(["derive", "--activation", "tanh,xtanh", "--bias", "2", "--out", str(out)]) == 0
    text = out.read_text()
    assert "the leading order is $p=3$" in text
    sentence = text[text.index("The leading terms do not depend"):].split("\n")[0]
    assert "With $p=3$" in sentence and "\\varepsilon^{-1}" in sentence and ". after" not in sentence


# ------------------------------------------------------------------ numerics.train_network: bad shapes


def _net(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((8, 3))
    weights = [0.1 * rng.standard_normal((4, 3)), 0.1 * rng.standard_normal((5, 4))]
    return rng, X, weights


@pytest.mark.parametrize("shape", [(8, 2, 1), (7, 2), (7,)])
def test_train_network_targets_of_a_wrong_shape_are_named_as_given(shape):
    """y of shape (8, 2, 1) or (7, 2) was raveled before the check, so the error claimed a shape
    (16,) or (14,) the user never passed, and asked for (n,) although (n, k) is allowed."""
    from numerics.training import train_network

    rng, X, weights = _net()
    weights = weights + [0.1 * rng.standard_normal((2, 5))]
    with pytest.raises(ValueError, match=r"^y: .*" + re.escape(str(shape))) as error:
        train_network(X, rng.standard_normal(shape), weights, lr=0.1, steps=2)
    assert "(8, 2)" in str(error.value)  # what is expected for this network


def test_train_network_refuses_complex_weights_and_data():
    """np.array(complex, dtype=float) drops the imaginary part with only a warning: a silent wrong
    network. Now a TypeError naming the argument."""
    from numerics.training import train_network

    rng, X, weights = _net()
    y = rng.standard_normal(8)
    a = 0.1 * rng.standard_normal(5)
    with pytest.raises(TypeError, match=r"^weights\[0\]: .*complex"):
        train_network(X, y, [weights[0] + 1e-3j, weights[1], a], lr=0.1, steps=2)
    with pytest.raises(TypeError, match=r"^y: .*complex"):
        train_network(X, y + 0j, [*weights, a], lr=0.1, steps=2)
    with pytest.raises(TypeError, match=r"^X: .*complex"):
        train_network(X + 0j, y, [*weights, a], lr=0.1, steps=2)


def test_output_bias_after_a_vector_a_says_how_to_write_it():
    from numerics.training import train_network

    rng, X, weights = _net()
    with pytest.raises(ValueError, match=r"output bias needs the output layer as a \(k, m\) matrix A, e.g. shape \(1, 5\)"):
        train_network(X, rng.standard_normal(8), [*weights, 0.1 * rng.standard_normal(5), np.zeros(1)], lr=0.1, steps=2)


def test_sigma0_message_stays_one_short_line(tmp_path, capsys):
    """derive --activation 1e400 printed all 401 digits of sigma(0)."""
    assert main(["derive", "--activation", "1e400", "--out", str(tmp_path / "x.md")]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and len(err) < 300 and "sigma(0) must be 0" in err


@pytest.mark.parametrize("argv", [["check", "--conserved", "E", "--widths", "1"], ["check", "E <= 1", "--examples", "3"],
                                  ["check", "--sharp", "t_star", "E**2", "--examples", "3"]])
def test_bare_E_is_not_silently_eulers_number(argv, capsys):
    """'E' was SymPy's Euler number e: `condense check --conserved E` printed 'proved' (d/dtau of
    the constant 2.718... is 0) for a user who meant the energy, which grows along the flow."""
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "'E' is ambiguous" in err and "exp(1)" in err


def test_exp_1_and_the_energy_written_out_still_work():
    from theory import reduced_model
    from verify import conjecture as cj

    model = reduced_model((1, 1))
    assert cj.conserved("exp(1)", model).status == "proved"
    assert cj.conserved("a_1*W2_1_1*u_1", model, examples=3).status == "refuted"  # E grows: dE/dtau = |grad E|^2
