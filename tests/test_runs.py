"""condense.runs: PyTorch/Flax/condense snapshot naming to [W1, ..., a], and one test per error path."""

import json

import numpy as np
import pytest
from safetensors.numpy import save_file

from condense.runs import load_data, load_run, read_snapshot, snapshot_to_weights


def network(seed=0, widths=(5, 4, 3)):
    rng = np.random.default_rng(seed)
    d, m1, m2 = widths
    return [rng.standard_normal((m1, d)), rng.standard_normal((m2, m1)), rng.standard_normal(m2)]


def pytorch_names(weights, prefix=""):
    """nn.Sequential(Linear, Tanh, Linear, Tanh, Linear): modules 0, 2, 4; weight (out, in)."""
    W1, W2, a = weights
    return {f"{prefix}0.weight": W1, f"{prefix}0.bias": np.zeros(W1.shape[0]), f"{prefix}2.weight": W2,
            f"{prefix}4.weight": a[None, :].copy()}


def flax_names(weights, prefix="params/"):
    """Dense_0, Dense_1, Dense_2 with kernels (in, out)."""
    W1, W2, a = weights
    return {f"{prefix}Dense_0/kernel": W1.T.copy(), f"{prefix}Dense_0/bias": np.zeros(W1.shape[0]),
            f"{prefix}Dense_1/kernel": W2.T.copy(), f"{prefix}Dense_2/kernel": a[:, None].copy()}


def same(weights, expected):
    return len(weights) == len(expected) and all(w.shape == e.shape and np.array_equal(w, e) for w, e in zip(weights, expected))


@pytest.mark.parametrize("naming, tensors", [
    ("pytorch", pytorch_names(network())),
    ("pytorch", pytorch_names(network(), prefix="net.")),
    ("flax", flax_names(network())),
    ("flax", flax_names(network(), prefix="")),
    ("condense", {"W1": network()[0], "W2": network()[1], "a": network()[2]}),
])
def test_naming_conventions_map_to_weights(naming, tensors):
    weights, biases, order, convention, _ = snapshot_to_weights(tensors, where="x")
    assert convention == naming and same(weights, network())
    assert biases[0] is None or np.all(biases[0] == 0)


def test_named_modules_order_by_number_and_vector_output():
    W1, W2, a = network(widths=(3, 4, 5))
    A = np.random.default_rng(1).standard_normal((2, 5))
    tensors = {"fc10.weight": A, "fc2.weight": W2, "fc1.weight": W1}  # fc2 < fc10 (natural order)
    weights, _, order, _, _ = snapshot_to_weights(tensors, where="x")
    assert order == ["fc1", "fc2", "fc10"] and same(weights, [W1, W2, A])


def test_explicit_order_resolves_unnumbered_names():
    W1, W2, a = network()
    tensors = {"encoder.weight": W1, "hidden.weight": W2, "head.weight": a[None, :]}
    with pytest.raises(ValueError, match="cannot order the layers.*give the order"):
        snapshot_to_weights(tensors, where="f.safetensors")
    weights, _, _, _, _ = snapshot_to_weights(tensors, where="x", layers=["encoder", "hidden", "head"])
    assert same(weights, [W1, W2, a])


def test_folder_with_run_json_and_steps_from_names(tmp_path):
    snaps = [network(seed=s) for s in range(3)]
    for step, weights in zip((0, 50, 100), snaps):
        save_file(pytorch_names(weights), str(tmp_path / f"step_{step:04d}.safetensors"))
    (tmp_path / "run.json").write_text(json.dumps({"lr": 0.1, "activation": "tanh", "data": "digits"}))
    run = load_run(tmp_path)
    assert list(run.steps) == [0, 50, 100] and run.steps_from == "names"
    assert all(same(w, e) for w, e in zip(run.snapshots, snaps))
    assert run.lr == 0.1 and run.activation == "tanh" and run.data == "digits" and not run.has_bias
    assert run.widths == (5, 4, 3, 1)


def test_npz_snapshots_with_step_inside_and_a_list_of_files(tmp_path):
    files = []
    for k, step in enumerate((30, 10, 20)):
        path = tmp_path / f"snap_{chr(97 + k)}.npz"
        np.savez(path, step=np.array(step), loss=np.array(0.5 / (k + 1)), **{"W1": network(k)[0], "W2": network(k)[1], "a": network(k)[2]})
        files.append(path)
    run = load_run(files)
    assert list(run.steps) == [10, 20, 30] and run.steps_from == "files"
    assert same(run.snapshots[0], network(1)) and run.snapshot_loss.tolist() == [0.25, 0.5 / 3, 0.5]


# ---------------------------------------------------------------------------- error paths


def write(path, tensors):
    if str(path).endswith(".npz"):
        np.savez(path, **tensors)
    else:
        save_file(tensors, str(path))
    return path


def test_corrupt_safetensors_names_the_file(tmp_path):
    path = tmp_path / "step_1.safetensors"
    path.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json}garbage")
    with pytest.raises(ValueError, match=r"step_1\.safetensors: cannot read it as a safetensors file"):
        read_snapshot(path)


def test_truncated_safetensors_names_the_file(tmp_path):
    good = write(tmp_path / "good.safetensors", pytorch_names(network()))
    path = tmp_path / "cut.safetensors"
    path.write_bytes(good.read_bytes()[:-40])
    with pytest.raises(ValueError, match=r"cut\.safetensors: cannot read it"):
        read_snapshot(path)


def test_corrupt_npz_names_the_file(tmp_path):
    path = tmp_path / "step_2.npz"
    path.write_bytes(b"PK\x03\x04 this is not a zip archive")
    with pytest.raises(ValueError, match=r"step_2\.npz: cannot read it as a NumPy \.npz file"):
        read_snapshot(path)


def test_wrong_suffix_and_missing_file(tmp_path):
    with pytest.raises(ValueError, match=r"model\.pt: not a snapshot file"):
        read_snapshot(tmp_path / "model.pt")
    with pytest.raises(ValueError, match=r"gone\.npz: no such file"):
        read_snapshot(tmp_path / "gone.npz")


def test_nan_names_file_and_tensor(tmp_path):
    tensors = pytorch_names(network())
    tensors["2.weight"][1, 1] = np.nan
    path = write(tmp_path / "step_3.safetensors", tensors)
    with pytest.raises(ValueError, match=r"step_3\.safetensors: tensor '2\.weight' contains 1 NaN"):
        load_run(path)


def test_shapes_that_do_not_chain(tmp_path):
    tensors = pytorch_names(network())
    tensors["2.weight"] = np.ones((3, 7))
    path = write(tmp_path / "s.safetensors", tensors)
    with pytest.raises(ValueError, match=r"s\.safetensors: tensor '2\.weight' of shape \(3, 7\) does not chain"):
        load_run(path)


def test_flax_kernel_not_transposed_does_not_chain(tmp_path):
    tensors = flax_names(network())
    tensors["params/Dense_1/kernel"] = tensors["params/Dense_1/kernel"].T.copy()  # stored (out, in) by mistake
    with pytest.raises(ValueError, match=r"tensor 'params/Dense_1/kernel'.*does not chain"):
        snapshot_to_weights(tensors, where="f.safetensors")


def test_missing_flax_layer(tmp_path):
    tensors = flax_names(network())
    tensors["params/Dense_3/kernel"] = tensors.pop("params/Dense_2/kernel")
    with pytest.raises(ValueError, match=r"f\.safetensors: missing layer"):
        snapshot_to_weights(tensors, where="f.safetensors")


def test_bias_without_weight():
    tensors = pytorch_names(network())
    tensors["6.bias"] = np.zeros(1)
    with pytest.raises(ValueError, match=r"f\.npz: tensor '6\.bias': missing layer"):
        snapshot_to_weights(tensors, where="f.npz")


def test_layer_missing_from_one_snapshot(tmp_path):
    write(tmp_path / "step_0.safetensors", pytorch_names(network()))
    tensors = pytorch_names(network())
    W2 = tensors.pop("2.weight")
    tensors["4.weight"] = np.ones((1, 4))  # still chains: a two-layer file among three-layer ones
    del W2
    write(tmp_path / "step_5.safetensors", tensors)
    with pytest.raises(ValueError, match=r"step_5\.safetensors: missing layer"):
        load_run(tmp_path)


def test_shapes_differ_between_snapshots(tmp_path):
    write(tmp_path / "step_0.npz", {"W1": network()[0], "W2": network()[1], "a": network()[2]})
    other = network(widths=(5, 6, 3))
    write(tmp_path / "step_9.npz", {"W1": other[0], "W2": other[1], "a": other[2]})
    with pytest.raises(ValueError, match=r"step_9\.npz: layer 'W1' has shape \(6, 5\)"):
        load_run(tmp_path)


def test_mixed_conventions_are_ambiguous():
    tensors = pytorch_names(network())
    tensors["Dense_9/kernel"] = np.ones((3, 1))
    with pytest.raises(ValueError, match=r"f\.safetensors: tensor names mix conventions.*ambiguous"):
        snapshot_to_weights(tensors, where="f.safetensors")


def test_two_tensors_for_one_layer_are_ambiguous():
    tensors = pytorch_names(network())
    tensors["0/weight"] = tensors["0.weight"]
    with pytest.raises(ValueError, match=r"f\.npz: tensors '0\.weight' and '0/weight' are both the weight"):
        snapshot_to_weights(tensors, where="f.npz")


def test_unknown_tensor_name():
    tensors = pytorch_names(network())
    tensors["0.running_mean"] = np.zeros(4)
    with pytest.raises(ValueError, match=r"f\.npz: tensor '0\.running_mean' is not a layer weight"):
        snapshot_to_weights(tensors, where="f.npz")


def test_duplicate_steps_and_run_json_errors(tmp_path):
    write(tmp_path / "a_step_7.npz", {"W1": network()[0], "W2": network()[1], "a": network()[2]})
    write(tmp_path / "b_step_7.npz", {"W1": network()[0], "W2": network()[1], "a": network()[2]})
    with pytest.raises(ValueError, match=r"b_step_7\.npz: step 7 is also the step of .*a_step_7\.npz"):
        load_run(tmp_path)
    (tmp_path / "run.json").write_text(json.dumps({"step": [0, 1]}))
    with pytest.raises(ValueError, match=r"run\.json: unknown key\(s\) \['step'\]"):
        load_run(tmp_path)
    (tmp_path / "run.json").write_text(json.dumps({"steps": [0, 1], "lr": -1}))
    with pytest.raises(ValueError, match=r"run\.json: 'lr' must be a finite number > 0"):
        load_run(tmp_path)
    (tmp_path / "run.json").write_text("{broken")
    with pytest.raises(ValueError, match=r"run\.json: not a readable JSON file"):
        load_run(tmp_path)


def test_empty_folder_and_bad_source(tmp_path):
    with pytest.raises(ValueError, match="holds no snapshot files"):
        load_run(tmp_path)
    with pytest.raises(ValueError, match="no such file or folder"):
        load_run(tmp_path / "nothing")
    with pytest.raises(TypeError, match="^run:"):
        load_run(3)


def test_load_data_from_npz_and_errors(tmp_path):
    X = np.random.default_rng(0).standard_normal((6, 2))
    np.savez(tmp_path / "data.npz", X=X, y=X[:, 0])
    X2, y2, _ = load_data(str(tmp_path / "data.npz"))
    assert np.array_equal(X2, X) and np.array_equal(y2, X[:, 0])
    np.savez(tmp_path / "bad.npz", X=X)
    with pytest.raises(ValueError, match=r"--data: .*bad\.npz: missing array\(s\) \['y'\]"):
        load_data(str(tmp_path / "bad.npz"))
    with pytest.raises(ValueError, match="--data: 'mnist' is neither a data set"):
        load_data("mnist")
    X3, y3, _ = load_data({"name": "iris", "target": "binary", "classes": [0, 1]})
    assert X3.shape == (100, 4) and set(y3) == {-1.0, 1.0}


# ---------------------------------------------------------------------------- any depth, any widths

from hypothesis import given, settings
from hypothesis import strategies as st


@st.composite
def networks(draw):
    """Weights [W1, ..., a] of depth 2..5, input dimension 1..6, hidden widths 1..6, seeded normal entries."""
    depth = draw(st.integers(2, 5))
    dims = [draw(st.integers(1, 6)) for _ in range(depth)]
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return [rng.standard_normal((dims[k + 1], dims[k])) for k in range(depth - 1)] + [rng.standard_normal(dims[-1])]


def _save_all_conventions(weights, folder, step):
    """The same network in PyTorch nn.Sequential, Flax and condense naming."""
    *hidden, a = weights
    torch = {f"{2 * k}.weight": W for k, W in enumerate(hidden)} | {f"{2 * len(hidden)}.weight": a[None, :].copy()}
    flax = {f"params/Dense_{k}/kernel": W.T.copy() for k, W in enumerate(hidden)}
    flax[f"params/Dense_{len(hidden)}/kernel"] = a[:, None].copy()
    native = {f"W{k + 1}": W for k, W in enumerate(hidden)} | {"a": a}
    for name, tensors in (("torch", torch), ("flax", flax), ("native", native)):
        (folder / name).mkdir(exist_ok=True)
        if name == "native":
            np.savez(folder / name / f"step_{step}.npz", **tensors)
        else:
            save_file(tensors, str(folder / name / f"step_{step}.safetensors"))


@settings(max_examples=15)
@given(networks(), st.integers(0, 10**6))
def test_every_convention_reads_back_the_same_network(tmp_path_factory, weights, step):
    folder = tmp_path_factory.mktemp("conventions")
    _save_all_conventions(weights, folder, step)
    for name in ("torch", "flax", "native"):
        run = load_run(folder / name)
        assert list(run.steps) == [step]
        assert same(run.snapshots[0], [np.asarray(w, dtype=float) for w in weights]), name
