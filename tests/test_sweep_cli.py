"""`condense phase-diagram` and `condense stages` on the command line: outputs and bad input."""

from __future__ import annotations

import json

import pytest

from condense.cli import main


def test_phase_diagram_quick_writes_outputs_and_resumes(tmp_path, capsys):
    out = tmp_path / "pd"
    args = ["phase-diagram", "--quick", "--activations", "relu", "--out", str(out), "--no-progress"]
    assert main(args) == 0
    data = json.loads((out / "phase_diagram.json").read_text())
    agree, total = data["relu"]["agreement_far_from_boundary"]
    assert agree == total > 0
    assert (out / "phase_diagram.png").stat().st_size > 0
    stored = sorted(p.name for p in (out / "sweeps" / "phase_diagram").glob("*.json"))
    assert len(stored) == 27  # 3 x 3 grid x 3 widths
    assert main(args) == 0  # rerun: everything cached, same answer
    assert json.loads((out / "phase_diagram.json").read_text())["relu"]["slope"] == data["relu"]["slope"]
    assert not list(out.glob(".*.tmp")), "no temporary files left behind"


def test_unreachable_scheduler_exits_2_with_a_clear_message(tmp_path, capsys):
    code = main(["phase-diagram", "--quick", "--out", str(tmp_path), "--scheduler", "tcp://127.0.0.1:9",
                 "--connect-timeout", "1", "--no-progress"])
    assert code == 2
    assert "scheduler: cannot reach the Dask scheduler" in capsys.readouterr().err
    assert not (tmp_path / "phase_diagram.json").exists()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["phase-diagram", "--quick", "--activations", "swish"], "activation"),
        (["phase-diagram", "--quick", "--widths", "10"], "widths"),
        (["phase-diagram", "--quick", "--workers", "0"], "workers"),
        (["stages", "--quick", "--epsilon", "3"], "epsilon"),
        (["stages", "--quick", "--steps", "5"], "steps"),
    ],
)
def test_bad_input_is_a_clear_error(tmp_path, capsys, argv, message):
    try:
        code = main(argv + ["--out", str(tmp_path)])
    except SystemExit as exc:  # refused by argparse (an option's type)
        code = exc.code
    assert code == 2
    assert message in capsys.readouterr().err
