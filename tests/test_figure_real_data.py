"""The real-data figure: plateau escape and condensation on scikit-learn's digits and breast cancer."""

import pytest

from condense.figures import real_data


def test_quick_figure_passes_its_checks(tmp_path):
    result = real_data.make(tmp_path, quick=True)
    assert result.passed, result.summary
    ratios = result.params["ratios"]
    assert abs(ratios["0.001"] - 1) <= 0.02  # the goal: within 2% at epsilon = 1e-3
    assert abs(ratios["0.001"] - 1) < abs(ratios["0.01"] - 1)  # closer to 1 as epsilon shrinks
    assert all(path.stat().st_size > 1000 for path in result.paths)


@pytest.mark.parametrize("params, word", [
    ({"epsilon": 1.5}, "epsilon"),
    ({"epsilons": [0.0]}, "epsilons"),
    ({"widths": [20, 1]}, "widths"),
    ({"two_layer_drop": 1.0}, "two_layer_drop"),
    ({"two_layer_width": 1}, "two_layer_width"),
])
def test_bad_parameters_name_the_parameter(tmp_path, params, word):
    with pytest.raises(ValueError, match=word):
        real_data.make(tmp_path, quick=True, **params)
    assert not any(tmp_path.iterdir())
