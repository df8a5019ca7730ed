"""Everything is checked before any work (issue 9 items 9 and 10): config values, activations,
negative numbers as option values (refused with the real reason), and the phase diagram's
defaults (the help and the run agree; the default run succeeds)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from condense.cli import build_parser, main as _main


def main(argv: list[str]) -> int:
    try:
        return _main(argv)
    except SystemExit as exc:  # refused by argparse (an option's type)
        return int(exc.code)


class Computed(AssertionError):
    pass


def _forbid(*_args, **_kwargs):
    raise Computed("work started before the arguments were checked")


@pytest.fixture
def no_work(monkeypatch):
    import condense.figures.phase_diagram
    import condense.figures.stages
    import condense.report.build
    import numerics.sweep
    import theory.report

    monkeypatch.setattr(theory.report, "write_derivation", _forbid)
    monkeypatch.setattr(condense.report.build, "_run_parts", _forbid)
    monkeypatch.setattr(condense.figures.stages, "make", _forbid)
    monkeypatch.setattr(numerics.sweep, "run_sweep", _forbid)
    monkeypatch.setattr(numerics.sweep.ResultStore, "__init__", _forbid)


@pytest.mark.parametrize(
    "argv, reason",
    [
        (["stages", "--epsilon", "-1e-3"], "--epsilon: must be in (0.0, 1.0), got -0.001"),
        (["stages", "--lr", "-0.5"], "--lr: must be in (0.0, inf], got -0.5"),
        (["stages", "--width", "-3"], "--width: must be an integer in [1, inf], got -3"),
        (["stages", "--seed", "-1"], "--seed"),
        (["phase-diagram", "--threshold", "-1e-2"], "--threshold"),
        (["phase-diagram", "--workers", "-2"], "--workers"),
        (["phase-diagram", "--connect-timeout", "-inf"], "--connect-timeout"),
        (["phase-diagram", "--worker-timeout", "-5"], "--worker-timeout"),
        (["report", "--seed", "-7"], "--seed"),
    ],
)
def test_negative_numbers_are_values_refused_with_the_real_reason(tmp_path, capsys, no_work, argv, reason):
    out = tmp_path / "out"
    assert main(argv + ["--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert reason in err and "expected one argument" not in err
    assert not out.exists()


def test_negative_values_that_are_allowed_are_accepted():
    args = build_parser().parse_args(["phase-diagram", "--gamma-primes", "-0.5,-0.25", "--gammas", "-1e-1"])
    assert args.gamma_primes == (-0.5, -0.25) and args.gammas == (-0.1,)


def test_unknown_activation_in_config_exits_2_before_any_work(tmp_path, capsys, no_work):
    config = tmp_path / "config.toml"
    config.write_text('[derivation]\nactivation = "gelu"\n')
    out = tmp_path / "report"
    assert main(["report", "--quick", "--config", str(config), "--out", str(out)]) == 2
    assert "config: derivation.activation: unknown name 'gelu'" in capsys.readouterr().err
    assert not out.exists()


def test_non_smooth_derivation_activation_in_config_exits_2(tmp_path, capsys, no_work):
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"derivation": {"activation": "relu"}}))
    assert main(["report", "--config", str(config), "--out", str(tmp_path / "r")]) == 2
    assert "not smooth" in capsys.readouterr().err


def test_unknown_activations_are_refused_before_the_sweep_folder_exists(tmp_path, capsys, no_work):
    out = tmp_path / "pd"
    assert main(["phase-diagram", "--quick", "--activations", "relu,gelu", "--out", str(out)]) == 2
    assert "unknown name 'gelu'" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize("widths", ["3,6", "100", "0,2", "-4,8"])
def test_bad_widths_are_refused_before_the_sweep_folder_exists(tmp_path, capsys, no_work, widths):
    out = tmp_path / "pd"
    assert main(["phase-diagram", "--widths", widths, "--out", str(out)]) == 2
    assert "widths" in capsys.readouterr().err
    assert not out.exists()


def test_phase_diagram_help_and_run_use_the_same_default_grid(tmp_path, monkeypatch, capsys):
    """The widths the help names are the widths a default run trains (and --grid full the others)."""
    import condense.figures.phase_diagram as figure
    from condense.figures._base import FigureResult

    seen = {}

    def fake_make(out_dir, **kwargs):
        seen.update(kwargs)
        return FigureResult(name="phase_diagram", title="", claim="", paths=[], passed=True, summary="")

    monkeypatch.setattr(figure, "make", fake_make)
    parser = build_parser()
    sub = parser._subparsers._group_actions[0].choices["phase-diagram"]
    text = " ".join(sub.format_help().split())
    default_widths = ",".join(str(m) for m in figure.GRIDS["default"]["widths"])
    assert f"widths {default_widths}" in text and f"(default {default_widths};" in text
    assert main(["phase-diagram", "--out", str(tmp_path)]) == 0
    assert seen["grid"] == "default" and seen["widths"] is None  # → GRIDS["default"], as the help says
    assert main(["phase-diagram", "--grid", "full", "--out", str(tmp_path)]) == 0
    assert seen["grid"] == "full"
    assert main(["phase-diagram", "--quick", "--grid", "full", "--out", str(tmp_path)]) == 2


@pytest.mark.slow
def test_default_phase_diagram_run_succeeds(tmp_path):
    """`condense phase-diagram` with no options: exit 0 (every point off the boundary as the
    theory says, both activations); about 50 s on 2 cores once the kernels are compiled."""
    proc = subprocess.run([sys.executable, "-m", "condense", "phase-diagram", "--no-progress", "--out",
                           str(tmp_path / "pd")], capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    data = json.loads((tmp_path / "pd" / "phase_diagram.json").read_text())
    for act in ("relu", "tanh"):
        agree, total = data[act]["agreement_far_from_boundary"]
        assert agree == total > 0


def test_plateau_scaling_depth_100_names_the_option(tmp_path, capsys):
    assert main(["figure", "plateau_scaling", "--depths", "100", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("condense: error: depths: no escape prediction for L = 100") and "predicted:" not in err
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    "table, message",
    [
        ({"stages": {"epsilon": -1e-3}}, "config: figure.stages: epsilon"),
        ({"stages": {"activation": "gelu"}}, "unknown name 'gelu'"),
        ({"phase_diagram": {"widths": [3, 6]}}, "config: figure.phase_diagram: widths"),
        ({"phase_diagram": {"activations": ["relu", "swish"]}}, "unknown name 'swish'"),
        ({"plateau_scaling": {"lr": -0.1}}, "config: figure.plateau_scaling: lr"),
        ({"matrix_factorization": {"rank": 20}}, "config: figure.matrix_factorization: rank"),
    ],
)
def test_config_figure_values_are_checked_before_any_work(tmp_path, capsys, no_work, table, message):
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"figure": table}))
    out = tmp_path / "report"
    assert main(["report", "--config", str(config), "--out", str(out)]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()
