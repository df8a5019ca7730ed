"""Inputs a new user or an attacker tries on the newest features (``condense check``,
``condense diagnose``/``condense.runs``, general networks, notebook displays, every CLI error)."""

import json

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
