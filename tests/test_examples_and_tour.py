"""The examples/ scripts run and print what the theory predicts; the README's Python tour runs as written."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(script: str, *args: str) -> str:
    result = subprocess.run([sys.executable, str(ROOT / "examples" / script), *args], capture_output=True,
                            text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def _numbers(text: str) -> list[float]:
    return [float(x) for x in re.findall(r"-?\d+\.\d+(?:e[-+]?\d+)?", text)]


def test_every_example_is_tested():
    assert sorted(p.name for p in (ROOT / "examples").glob("*.py")) == sorted(
        ["blowup_time.py", "plateau_escape.py", "final_stage.py", "matrix_factorization.py"])


def test_blowup_example_lies_within_the_bounds():
    lower, t_star, upper, rate, reference = _numbers(_run("blowup_time.py", "--seed", "3"))
    assert lower <= t_star <= upper and abs(rate - reference) < 1e-9


def test_plateau_example_predicts_the_escape():
    out = _run("plateau_escape.py")
    ratio = float(re.search(r"ratio (\d+\.\d+)", out).group(1))
    assert abs(ratio - 1) < 0.02


def test_final_stage_example_is_proved_and_invariant():
    out = _run("final_stage.py")
    assert "NOT proved" not in out and "proved" in out
    assert re.search(r"first holds at tau/T\* = 0\.\d+; stays afterwards: True", out)


def test_matrix_factorization_example_escapes_rank_one_and_aligned():
    out = _run("matrix_factorization.py")
    ratio = float(re.search(r"s2/s1 = ([0-9.e+-]+)", out).group(1))
    alignment = [float(x) for x in re.search(r"pair = \[([^\]]+)\]", out).group(1).split(",")]
    assert ratio < 1e-3 and min(alignment) > 0.99


def _tour() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## A tour in Python", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_readme_tour_runs_and_its_comments_hold(capsys):
    namespace: dict = {}
    exec(compile(_tour(), "README.md tour", "exec"), namespace)
    res, pred, hist = namespace["res"], namespace["pred"], namespace["hist"]
    assert namespace["model"].leading_order == 3
    assert res.lower <= res.t_star and (res.upper is None or res.t_star <= res.upper)
    ratio = namespace["numerics"].observed_escape_iteration(hist.loss) / pred.iteration
    assert ratio == pytest.approx(0.998, abs=0.01)  # the value the tour's comment states
    assert "checks passed" in capsys.readouterr().out
