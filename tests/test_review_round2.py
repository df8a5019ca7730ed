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
