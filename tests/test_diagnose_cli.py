"""`condense diagnose` on runs of condense's own trainer saved in PyTorch and Flax naming: the
measures read back from the files equal those computed directly from the in-memory weights."""

import json
import re

import numpy as np
import pytest
from safetensors.numpy import save_file

import numerics
from condense.cli import main
from condense.diagnostics import condensed_orientations, effective_rank
from numerics.data import data_direction, make_dataset
from verify.measures import final_stage_fraction, final_stage_weighted, row_concentration

LR = 0.05
EPSILON = 1e-3


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    X, y = make_dataset("digits", target="binary", classes=(0, 1))
    weights = numerics.gaussian_init((64, 12, 10), EPSILON, seed=0)
    history = numerics.train_network(X, y, weights, activation="tanh", lr=LR, steps=3000, record_every=100)
    assert not history.diverged
    root = tmp_path_factory.mktemp("runs")
    torch_dir, flax_dir = root / "torch", root / "flax"
    torch_dir.mkdir()
    flax_dir.mkdir()
    for step, (W1, W2, a) in zip(history.record_steps, history.snapshots):
        save_file({"0.weight": W1, "0.bias": np.zeros(12), "2.weight": W2, "4.weight": a[None, :].copy()},
                  str(torch_dir / f"step_{step:06d}.safetensors"))
        save_file({"params/Dense_0/kernel": W1.T.copy(), "params/Dense_1/kernel": W2.T.copy(),
                   "params/Dense_2/kernel": a[:, None].copy()}, str(flax_dir / f"checkpoint_{step}.safetensors"))
    (torch_dir / "run.json").write_text(json.dumps({
        "lr": LR, "activation": "tanh", "loss": history.loss.tolist(),
        "data": {"name": "digits", "target": "binary", "classes": [0, 1]}}))
    return X, y, history, root


def diagnose(folder, out, *extra):
    code = main(["diagnose", str(folder), "--out", str(out), *extra])
    assert code == 0
    return json.loads((out / "diagnosis.json").read_text())


@pytest.fixture(scope="module")
def diagnoses(trained):
    _, _, _, root = trained
    torch = diagnose(root / "torch", root / "out_torch", "--heatmaps", "2")
    flax = diagnose(root / "flax", root / "out_flax", "--data", "digits", "--classes", "0,1",
                    "--activation", "tanh", "--lr", str(LR), "--heatmaps", "1")
    return torch, flax


def test_layer_measures_equal_those_of_the_in_memory_weights(trained, diagnoses):
    _, _, history, _ = trained
    for result in diagnoses:
        assert result["steps"] == history.record_steps.tolist()
        layers = result["layers"]
        assert [entry["shape"] for entry in layers] == [[12, 64], [10, 12], [10]]
        for j, snapshot in enumerate(history.snapshots):
            for k in (0, 1):
                W, W0 = snapshot[k], history.snapshots[0][k]
                assert layers[k]["orientations"][j] == condensed_orientations(W).count
                assert layers[k]["effective_rank"][j] == pytest.approx(effective_rank(W), rel=1e-12)
                assert layers[k]["mean_abs_cos"][j] == pytest.approx(row_concentration(W), rel=1e-12)
                assert layers[k]["rd"][j] == pytest.approx(np.linalg.norm(W - W0) / np.linalg.norm(W0), rel=1e-12, abs=1e-15)
            a, a0 = snapshot[2], history.snapshots[0][2]
            assert layers[2]["rd"][j] == pytest.approx(np.linalg.norm(a - a0) / np.linalg.norm(a0), rel=1e-12, abs=1e-15)


def test_condensation_after_escape(trained, diagnoses):
    """After the escape both hidden layers have condensed to a few orientations (docs/mathematics.md#final-stage)."""
    for result in diagnoses:
        first, last = result["layers"][0]["orientations"][0], result["layers"][0]["orientations"][-1]
        assert first == 12 and last <= 6
        assert result["layers"][1]["orientations"][-1] <= 3
        assert result["layers"][0]["effective_rank"][-1] < 0.5 * result["layers"][0]["effective_rank"][0]


def test_final_stage_closeness_matches_verify_measures(trained, diagnoses):
    X, y, history, _ = trained
    _, v = data_direction(X, y)
    for result in diagnoses:
        final = result["final_stage"]
        for j, (W1, W2, a) in enumerate(history.snapshots):
            assert final["fraction"][j] == pytest.approx(final_stage_fraction(a, W2, W1 @ v), abs=1e-15)
            assert final["rho"][j] == pytest.approx(final_stage_weighted(a, W2, W1 @ v), rel=1e-12)


def test_escape_prediction_and_observation(trained, diagnoses):
    X, y, history, _ = trained
    prediction = numerics.predict_escape(X, y, history.snapshots[0], LR, activation="tanh")
    true_escape = numerics.observed_escape_iteration(history.loss)
    torch, flax = diagnoses
    for result in diagnoses:
        assert result["escape"]["applies"]
        assert result["escape"]["predicted"] == pytest.approx(prediction.iteration, rel=1e-12)
    assert torch["escape"]["observed"] == true_escape  # from the stored per-iteration loss
    # from the loss recomputed at the snapshots: bracketed by two consecutive snapshot steps
    assert flax["escape"]["observed_after"] < true_escape <= flax["escape"]["observed"]
    assert flax["escape"]["observed"] - flax["escape"]["observed_after"] == 100
    true_ratio = true_escape / prediction.iteration
    assert flax["escape"]["ratio_after"] < true_ratio <= flax["escape"]["ratio"]
    assert torch["escape"]["ratio_after"] is None  # exact from the stored per-iteration loss
    # the theorem: observed/predicted = 1 + O(epsilon)
    assert abs(torch["escape"]["ratio"] - 1) < 0.02


def test_outputs_are_complete_and_the_html_stands_alone(trained, diagnoses):
    _, _, _, root = trained
    out = root / "out_torch"
    md = (out / "diagnosis.md").read_text()
    assert "## Plateau escape" in md and "## Per-layer measures" in md
    for name in ("heatmaps_layer1.png", "heatmaps_layer2.png", "measures.png"):
        assert (out / "figures" / name).stat().st_size > 1000
        assert f"figures/{name}" in md
    page = (out / "diagnosis.html").read_text()
    assert page.count("data:image/png;base64,") == 3
    # no resource from the network: outside the inlined MathJax code (whose strings mention its
    # home page in an about box) no element loads an http(s) URL
    markup = re.sub(r"<script>.*?</script>", "<script></script>", page, flags=re.S)
    assert 'src="http' not in markup and "href=\"http" not in markup
    assert "<script src=" not in markup


def test_bad_input_exits_2_with_one_line(trained, tmp_path, capsys):
    _, _, _, root = trained
    blocker = tmp_path / "file"
    blocker.write_text("x")
    cases = [
        [str(root / "torch"), "--out", str(blocker)],
        [str(root / "flax"), "--out", str(tmp_path / "o1"), "--data", "mnist"],
        [str(root / "flax"), "--out", str(tmp_path / "o2"), "--data", "iris"],
        [str(root / "flax"), "--out", str(tmp_path / "o3"), "--activation", "tanhh", "--data", "digits"],
        [str(root / "flax"), "--out", str(tmp_path / "o4"), "--heatmaps", "0"],
        [str(tmp_path / "missing"), "--out", str(tmp_path / "o5")],
    ]
    for argv in cases:
        capsys.readouterr()
        assert main(["diagnose", *argv]) == 2, argv
        err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("condense: error")]
        assert len(err) == 1, argv
    corrupt = tmp_path / "run"
    corrupt.mkdir()
    (corrupt / "step_0.safetensors").write_bytes(b"garbage")
    assert main(["diagnose", str(corrupt), "--out", str(tmp_path / "o6")]) == 2
    assert "step_0.safetensors" in capsys.readouterr().err
    assert not (tmp_path / "o1").exists() and not (tmp_path / "o6").exists()


def test_biases_and_vector_outputs_loss_equals_the_trainers(tmp_path):
    """A run with biases and three outputs (condense's trainer, general layout) saved in PyTorch naming:
    the loss diagnose recomputes at the snapshots is the trainer's loss at those steps."""
    X, Y = make_dataset("wine", target="onehot")
    rng = np.random.default_rng(3)
    weights = [0.3 * rng.standard_normal((8, 13)), 0.1 * rng.standard_normal(8),
               0.3 * rng.standard_normal((3, 8)), 0.1 * rng.standard_normal(3)]
    history = numerics.train_network(X, Y, weights, activation="tanh", lr=0.1, steps=200, record_every=50)
    assert not history.diverged
    for step, (W1, b1, A, b2) in zip(history.record_steps, history.snapshots):
        save_file({"fc1.weight": W1, "fc1.bias": b1, "fc2.weight": A, "fc2.bias": b2},
                  str(tmp_path / f"step_{step}.safetensors"))
    result = diagnose(tmp_path, tmp_path / "out", "--data", "wine", "--target", "onehot", "--activation", "tanh")
    recorded = history.record_steps[history.record_steps < len(history.loss)]
    assert result["steps"][: len(recorded)] == recorded.tolist()
    np.testing.assert_allclose(result["loss"]["values"][: len(recorded)], history.loss[recorded], rtol=1e-12)
    assert result["escape"] is None and any("biases" in note for note in result["notes"])
    assert result["loss"]["values"][-1] < result["loss"]["values"][0]  # it trained
