"""``condense verify``: table, JSON, exit codes."""

import json

import pytest

from condense.cli import main
from verify.result import CheckResult


def test_cli_json_single_check(capsys):
    code = main(["verify", "--only", "blowup_bounds", "--json", "--no-progress"])
    out = capsys.readouterr().out
    payload = json.loads(out)
    assert code == 0 and payload["passed"] is True
    assert [r["name"] for r in payload["results"]] == ["blowup_bounds"]
    assert payload["results"][0]["measured"] >= payload["results"][0]["tolerance"]


def test_cli_table_and_progress(capsys):
    code = main(["verify", "--only", "conservation_laws", "--quick"])
    captured = capsys.readouterr()
    assert code == 0
    assert "conservation_laws" in captured.out and "PASS" in captured.out
    assert "running conservation_laws" in captured.err


def test_cli_exit_code_nonzero_on_failure(monkeypatch, capsys):
    import verify.checks.blowup as blowup

    monkeypatch.setattr(blowup, "check_blowup_bounds",
                        lambda **kwargs: CheckResult("blowup_bounds", False, 0.5, 1.0, {}))
    code = main(["verify", "--only", "blowup_bounds", "--no-progress"])
    assert code == 1 and "FAIL" in capsys.readouterr().out


def test_cli_crashing_check_is_a_failure_with_reason(monkeypatch, capsys):
    import verify.checks.blowup as blowup

    def boom(**kwargs):
        raise RuntimeError("solver exploded")

    monkeypatch.setattr(blowup, "check_blowup_bounds", boom)
    code = main(["verify", "--only", "blowup_bounds", "--json", "--no-progress"])
    payload = json.loads(capsys.readouterr().out)
    assert code == 1 and "solver exploded" in payload["results"][0]["details"]["error"]


def test_cli_rejects_unknown_check_and_negative_seed(capsys):
    assert main(["verify", "--only", "nonsense", "--no-progress"]) == 2
    assert "nonsense" in capsys.readouterr().err
    assert main(["verify", "--seed", "-1", "--no-progress"]) == 2


@pytest.mark.slow
def test_quick_run_all_passes():
    from verify import run_all

    results = run_all(quick=True, progress=False)
    failed = [(r.name, r.measured, r.details.get("error")) for r in results if not r.passed]
    assert not failed


@pytest.mark.parametrize(
    "kwargs, error, name",
    [
        ({"seed": -1}, ValueError, "seed"),
        ({"seed": 1.5}, TypeError, "seed"),
        ({"only": "plateau_escape"}, TypeError, "only"),  # a string would be read letter by letter
    ],
)
def test_run_all_bad_input_before_running_anything(kwargs, error, name):
    from verify.runner import run_all

    with pytest.raises(error, match=name):
        run_all(quick=True, progress=False, **({"only": ["conservation_laws"]} | kwargs))
