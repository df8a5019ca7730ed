"""One criterion per theorem: the figures' verdicts are verify's evaluate_* results."""

import numpy as np
import pytest

from verify.checks.final_stage import CONDENSED_CONCENTRATION, evaluate_condensation
from verify.measures import row_concentration
from verify.result import CheckResult


def test_row_concentration_is_one_on_a_line_and_small_for_orthogonal_rows():
    rng = np.random.default_rng(0)
    direction = rng.standard_normal(5)
    line = np.outer(rng.choice([-1.0, 1.0], 7) * rng.uniform(0.1, 2, 7), direction)
    assert row_concentration(line) == pytest.approx(1.0, abs=1e-12)
    assert row_concentration(np.eye(4)) == 0.0
    result = evaluate_condensation({"line": line, "eye": np.eye(4)})
    assert not result.passed and result.measured == 0.0 and result.tolerance == CONDENSED_CONCENTRATION
    assert evaluate_condensation({"line": line}).passed


def _failing(name):
    def evaluate(*args, **kwargs):
        return CheckResult(name, False, 1.0, 0.0, {"fitted_slope": float("nan")})
    return evaluate


@pytest.mark.parametrize("which", ["evaluate_plateau_escape", "evaluate_plateau_scaling"])
def test_plateau_scaling_figure_reports_verifys_verdict(tmp_path, monkeypatch, which):
    import verify.checks.plateau as plateau
    from condense.figures import plateau_scaling

    params = dict(depths=[3], epsilons=[0.01, 0.003], max_iterations=3000)
    honest = plateau_scaling.make(tmp_path, **params)
    assert honest.passed  # k_esc = T*/(eps |v'| lr) within verify's 2% at eps = 0.003
    assert "plateau_escape PASS" in honest.summary and "plateau_scaling_depth3 PASS" in honest.summary
    monkeypatch.setattr(plateau, which, _failing(which.replace("evaluate_", "")))
    judged = plateau_scaling.make(tmp_path, **params)
    assert judged.passed is False and "FAIL" in judged.summary


def test_loss_condensation_figure_reports_verifys_verdicts(tmp_path, monkeypatch):
    import verify.checks.final_stage as final_stage
    from condense.figures import loss_condensation

    params = dict(epsilon=3e-3, widths=[8, 8], steps_factor=1.3)
    honest = loss_condensation.make(tmp_path, **params)
    assert honest.params["verdicts"] == {"plateau_escape": True, "condensation": True}
    monkeypatch.setattr(final_stage, "CONDENSED_CONCENTRATION", 1.01)  # unreachable: the verdict must follow
    monkeypatch.setattr(final_stage.evaluate_condensation, "__defaults__", (1.01, None))
    judged = loss_condensation.make(tmp_path, **params)
    assert judged.params["verdicts"]["condensation"] is False and judged.passed is False
