"""``condense check``: claims, conservation, sharpness; exit codes 0 / 1 / 2; JSON."""

import json
import math

import pytest

from condense.cli import main


def test_true_bound_survives_exit_0(capsys):
    code = main(["check", "t_star <= E0**(-1/3)", "--widths", "1..3", "--examples", "60"])
    out = capsys.readouterr().out
    assert code == 0 and out.startswith("survived 60 examples")


def test_false_bound_refuted_exit_1_with_a_reproducible_shrunk_counterexample(capsys):
    args = ["check", "t_star <= 0.9*E0**(-1/3)", "--seed", "4", "--json"]
    assert main(args) == 1
    first = json.loads(capsys.readouterr().out)
    assert main(args) == 1
    again = json.loads(capsys.readouterr().out)
    assert first == again  # same seed, same counterexample
    assert first["status"] == "refuted"
    case = first["counterexample"]
    assert case["widths"] == [1, 1]
    # balanced scalar data a = w = u = x0 blow up at T* = 1/x0 = E0^(-1/3) > 0.9 E0^(-1/3)
    u, w, a = case["factors"]["u"][0], case["factors"]["W"][0][0], case["factors"]["a"][0]
    assert first["lhs"] > first["rhs"] == pytest.approx(0.9 * (a * w * u) ** (-1 / 3), rel=1e-12)


def test_conserved_proved_and_refuted(capsys):
    assert main(["check", "--conserved", "norm(a)**2 - norm(W)**2", "--widths", "1..3"]) == 0
    assert capsys.readouterr().out.count("proved at widths") == 3
    assert main(["check", "--conserved", "norm(a)**2 - 2*norm(u)**2", "--widths", "1..2", "--examples", "5"]) == 1
    assert "refuted at widths (1, 1)" in capsys.readouterr().out


def test_sharp_reports_the_supremum(capsys):
    code = main(["check", "--sharp", "t_star", "E0**(-1/3)", "--widths", "1..2", "--examples", "60", "--json"])
    payload = json.loads(capsys.readouterr().out)
    assert code == 0 and abs(payload["sup lhs/rhs"] - 1) < 1e-9 and payload["looks"] == "attained"


def test_depth_four_wrong_exponent_refuted(capsys):
    assert main(["check", "t_star <= E0**(-1/3)", "--depth", "4"]) == 1
    assert capsys.readouterr().out.startswith("refuted")


@pytest.mark.parametrize("args, fragment", [
    (["check", "t_star <= bogus"], "allowed names: t_star, r0, E0"),
    (["check", "t_star <= (E0"], "claim"),
    (["check", "t_star"], "exactly one comparison"),
    (["check", "--conserved", "norm(q)"], "conserved"),
    (["check", "t_star <= upper", "--widths", "0..3"], "--widths"),
    (["check", "t_star <= upper", "--depth", "2"], "--depth"),
    (["check"], "exactly one of"),
])
def test_bad_input_exit_2_with_one_line(capsys, args, fragment):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert fragment in err and err.count("\n") == 1


def test_network_cases_from_the_command_line(capsys):
    code = main(["check", "observed_escape >= 0.9*predicted_escape", "--network", "--widths", "2..3",
                 "--examples", "3", "--json"])
    payload = json.loads(capsys.readouterr().out)
    assert code == 0 and payload["status"] == "survived" and payload["skipped (undefined side)"] == 0
    assert 0.9 <= payload["largest lhs/rhs"] <= 1.0 / 0.9 + 1e-12
