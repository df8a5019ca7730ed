"""Notebook display: blow-up results, trajectories, training histories and check results render as
an HTML/Markdown table of their numbers, with an inline PNG plot where one helps."""

import base64
import io
import re

import numpy as np
import pytest

import numerics
from verify.result import CheckResult

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _png(html_text: str):
    match = re.search(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html_text)
    assert match, "no inline PNG"
    data = base64.b64decode(match.group(1))
    assert data[:8] == PNG_SIGNATURE
    import matplotlib.image

    return matplotlib.image.imread(io.BytesIO(data), format="png")


def _cells(markdown: str) -> dict:
    rows = [line.split("|")[1:3] for line in markdown.splitlines() if line.startswith("| ") and "---" not in line]
    return {label.strip(): value.strip() for label, value in rows[1:]}


def test_blowup_result_shows_t_star_between_its_bounds():
    a, W, u = np.array([1.0, 0.5]), np.array([[1.0, 0.2], [0.3, 1.0]]), np.array([0.8, 1.0])
    result = numerics.blowup_time(a, W, u)
    cells = _cells(result._repr_markdown_())
    assert float(cells["T*"]) == pytest.approx(result.t_star, rel=1e-5)
    where = float(cells["(T* - lower)/(upper - lower)"])
    assert 0.0 <= where <= 1.0  # the theorem: lower <= T* <= upper
    assert f"{result.t_star:.12g}" in result._repr_html_() and "<table>" in result._repr_html_()
    none = numerics.blowup_time(np.zeros(2), np.zeros((2, 2)), np.zeros(2))
    assert "no blow-up" in none._repr_markdown_() and "FAIL" in _cells(none._repr_markdown_())["blew up"]


def test_trajectory_plots_the_growing_norm():
    a, W, u = np.array([1.0]), np.array([[1.0]]), np.array([1.0])  # scalar case: |y| grows monotonically
    traj = numerics.integrate_effective(a, W, u, 0.5, t_eval=np.linspace(0, 0.5, 20))
    cells = _cells(traj._repr_markdown_())
    assert float(cells["‖y‖ last"]) > float(cells["‖y‖ first"]) == pytest.approx(np.sqrt(3))
    image = _png(traj._repr_html_())
    assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 200


def test_training_history_shows_its_loss_curve():
    X, y = numerics.make_dataset("default", n=20, d=3, seed=0)
    history = numerics.train_network(X, y, numerics.gaussian_init((3, 5, 4), 0.5, seed=1), lr=0.1, steps=50)
    cells = _cells(history._repr_markdown_())
    assert cells["status"] == "completed" and cells["steps done / requested"] == "50 / 50"
    assert float(cells["final loss"]) == pytest.approx(history.final_loss, rel=1e-5)
    assert float(cells["final loss"]) < float(cells["initial loss"])
    _png(history._repr_html_())


def test_check_result_shows_its_verdict_and_escapes_html():
    good = CheckResult("blowup_bounds", True, 0.99, 0.9, {"criterion": "T* <= upper & <b>", "seed": 3, "big": [1, 2]})
    bad = CheckResult("blowup_bounds", False, 0.5, 0.9, {})
    assert "PASS" in good._repr_markdown_() and "FAIL" in bad._repr_markdown_()
    html_text = good._repr_html_()
    assert "&lt;b&gt;" in html_text and "<b>T*" not in html_text  # user text is escaped
    assert _cells(good._repr_markdown_())["seed"] == "3" and "big" not in _cells(good._repr_markdown_())
