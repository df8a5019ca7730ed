"""General networks in numerics: gradient descent with vector targets, biases and per-layer
activations (finite-difference gradients, agreement with the NumPy loop), the weights layout,
and predict_escape's leading order against the symbolic expansion."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from numerics.training import parse_network, risk, train_network, train_network_numpy

rng = np.random.default_rng(0)
X = rng.standard_normal((12, 3))
Y3 = np.stack([np.sin(X[:, 0]), X[:, 1] * X[:, 2], np.cos(X[:, 2])], axis=1)
y1 = np.sin(X.sum(axis=1))


def _w(*shapes, seed=1, scale=0.5):
    r = np.random.default_rng(seed)
    return [scale * r.standard_normal(s) for s in shapes]


CASES = {
    "vector output": (Y3, _w((5, 3), (4, 5), (3, 4)), "tanh"),
    "biases everywhere, vector": (Y3, _w((5, 3), (5,), (4, 5), (4,), (3, 4), (3,)), "tanh"),
    "first-layer bias": (y1, _w((5, 3), (5,), (4, 5), (4,)), "tanh"),
    "tanh then sin": (y1, _w((5, 3), (4, 5), (4,)), ("tanh", "sin")),
    "sin then tanh, output bias": (y1[:, None], _w((5, 3), (4, 5), (1, 4), (1,)), ("sin", "tanh")),
}


@pytest.mark.parametrize("name", list(CASES))
def test_one_gd_step_is_minus_lr_times_the_finite_difference_gradient(name):
    """theta_1 = theta_0 - lr grad R(theta_0), grad R by central differences of risk() (h = 1e-6)."""
    y, weights, activation = CASES[name]
    lr = 0.05
    history = train_network(X, y, weights, activation=activation, lr=lr, steps=1)
    h = 1e-6
    for k, w in enumerate(weights):
        fd = np.zeros_like(w)
        for index in np.ndindex(w.shape):
            plus = [v.copy() for v in weights]
            minus = [v.copy() for v in weights]
            plus[k][index] += h
            minus[k][index] -= h
            fd[index] = (risk(X, y, plus, activation) - risk(X, y, minus, activation)) / (2 * h)
        step = (weights[k] - history.weights[k]) / lr
        assert np.allclose(step, fd, rtol=1e-6, atol=1e-8), (name, k)
    assert history.loss[0] == pytest.approx(risk(X, y, weights, activation), rel=1e-13)


@pytest.mark.parametrize("name", list(CASES))
def test_compiled_losses_agree_with_numpy(name):
    y, weights, activation = CASES[name]
    a = train_network(X, y, weights, activation=activation, lr=0.1, steps=300, record_every=100)
    b = train_network_numpy(X, y, weights, activation=activation, lr=0.1, steps=300, record_every=100)
    assert np.max(np.abs(a.loss / b.loss - 1)) < 1e-12
    assert a.loss[-1] < 0.9 * a.loss[0]  # it trains
    assert [w.shape for w in a.weights] == [np.shape(w) for w in weights]
    assert list(a.record_steps) == [0, 100, 200, 300]


def test_wide_layers_take_the_blas_kernel_and_agree():
    y, weights = y1, _w((130, 3), (130, 130), (130,), scale=0.05)
    a = train_network(X, y, weights, lr=0.1, steps=50)
    b = train_network_numpy(X, y, weights, lr=0.1, steps=50)
    assert np.max(np.abs(a.loss / b.loss - 1)) < 1e-12


@pytest.mark.parametrize(("weights", "y", "match"), [
    (_w((5, 3), (4, 4), (4,)), y1, r"weights\[1\]"),
    (_w((5, 3), (6,), (4, 5), (4,)), y1, r"weights\[1\]"),
    (_w((5, 3), (4, 5), (2, 4)), Y3, "y"),
    (_w((5, 3), (4, 5), (3, 4)), y1, "y"),
    (_w((5, 3), (5,), (5,), (4,)), y1, r"weights\[2\]"),
])
def test_bad_layouts_name_the_argument(weights, y, match):
    with pytest.raises(ValueError, match=match):
        train_network(X, y, weights, steps=1)


def test_activation_tuple_of_the_wrong_length():
    with pytest.raises(ValueError, match="activation"):
        train_network(X, y1, _w((5, 3), (4, 5), (4,)), activation=("tanh",), steps=1)


def test_layout_reads_a_final_vector_as_a_unless_targets_are_2d():
    _, layout = parse_network(_w((5, 3), (3, 5), (3,)))
    assert layout.vector_a and layout.depth == 3 and layout.output_dim == 1
    _, layout = parse_network(_w((5, 3), (3, 5), (3,)), targets=3)
    assert not layout.vector_a and layout.depth == 2 and layout.biases[-1] == 2


@pytest.mark.parametrize(("shapes", "y_kind", "bias"), [
    ([(6, 3), (6, 6), (3, 6)], "vector", (False, False, False)),
    ([(6, 3), (6,), (6, 6), (6,)], "shifted", (True, False, False)),
    ([(6, 3), (6, 6), (6,), (6,)], "shifted", (False, True, False)),
    ([(6, 3), (6, 6), (1, 6), (1,)], "shifted column", (False, False, True)),
    ([(6, 3), (6, 6), (6,), (6, 6), (6,)], "shifted", (False, True, False, False)),
    ([(6, 3), (4, 6)], "vector", (False, False)),
])
def test_predicted_leading_order_agrees_with_the_symbolic_expansion(shapes, y_kind, bias):
    """numerics' path rule on the linearized network and theory's expansion give the same order
    (an output bias: theory's p = 1 fits the mean, then its x-dependent order governs)."""
    from numerics.plateau import predict_escape
    from theory.effective import derive_effective_model
    from theory.network import Network

    y = {"vector": Y3 if shapes[-1][0] == 3 else np.hstack([Y3, Y3[:, :1]]), "shifted": 1.0 + 0.3 * y1, "shifted column": (1.0 + 0.3 * y1)[:, None]}[y_kind]
    k = shapes[-1][0] if y_kind == "vector" else 1
    prediction = predict_escape(X, y, [1e-3 * w for w in _w(*shapes)], 0.1)
    model = derive_effective_model(network=Network(3, (2,) * (len(bias) - 1), k, "tanh", bias))
    expected = model.centred_order if model.leading_order == 1 else model.leading_order
    assert prediction.details["leading_order"] == expected
    assert ("output_bias" in prediction.details) == (model.leading_order == 1)
    assert prediction.method == ("linear" if expected == 2 else "blow-up")


def test_vector_output_escape_within_two_percent():
    from verify.checks.general_networks import check_general_escape

    result = check_general_escape("vector_output", epsilons=(1e-2, 1e-3))
    assert result.passed, result.details


def test_training_does_not_import_sympy():
    code = "import sys, numerics.training; assert 'sympy' not in sys.modules, 'sympy imported'"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("bias", [(False, False, False), (True, False, False)])
def test_symbolic_flow_of_the_derived_model_blows_up_at_the_factorization_time(bias):
    """The effective flow of the derived vector-output model (SymPy field -> generated code ->
    the project's integrator) reaches |y| = 1e8 at the T* that the matrix-factorization blow-up code
    computes for the chain [[W1|b1], W2, A] and the target M'/|M'|_2 (two independent codes)."""
    from numerics.integrate import integrate_model
    from numerics.matrix_factorization import effective_blowup
    from theory.effective import derive_effective_model
    from theory.network import Network

    model = derive_effective_model(network=Network(3, (2, 2), 2, "tanh", bias))
    r = np.random.default_rng(5)
    Xd, Yd = r.standard_normal((9, 3)), r.standard_normal((9, 2))
    values, norm = model.data_moments(Xd, Yd)
    state = r.standard_normal(len(model.state_symbols))
    by_symbol = dict(zip(model.state_symbols, state))
    W1, W2, A = (np.array(m.subs(by_symbol), dtype=float) for m in model.weights)
    features = Xd
    if bias[0]:
        W1 = np.hstack([W1, np.array(model.biases[0].subs(by_symbol), dtype=float)])
        features = np.hstack([Xd, np.ones((9, 1))])
    M = Yd.T @ features / 9
    assert norm == pytest.approx(np.linalg.norm(M, 2), rel=1e-12)
    reference = effective_blowup([W1, W2, A], M / norm, rtol=1e-11)
    assert reference.blew_up
    trajectory = integrate_model(model, state, 3 * reference.t_star, max_norm=1e8, subs=values, rtol=1e-11)
    assert trajectory.status == 2
    assert trajectory.t[-1] == pytest.approx(reference.t_star, rel=1e-6)


def test_incremental_problem_is_whitened_with_the_teacher_as_first_moment():
    from numerics.incremental import incremental_problem

    X, Y, T = incremental_problem((3.0, 2.0, 1.0), n=50, d=5, outputs=4, seed=2)
    assert np.allclose(X.T @ X / 50, np.eye(5), atol=1e-12)
    assert np.allclose(Y.T @ X / 50, T, atol=1e-12)
    assert np.allclose(np.linalg.svd(T, compute_uv=False)[:3], [3.0, 2.0, 1.0], rtol=1e-12)
    with pytest.raises(ValueError, match="singular_values"):
        incremental_problem((1.0, 2.0))
    with pytest.raises(ValueError, match="n"):
        incremental_problem(n=5, d=5)


def test_stages_come_in_the_order_of_the_singular_values_as_predicted():
    """Width 100, eps = 3e-3: three descents detected, and each mode is half learnt within 5% of
    T*_j/(eps s_j lr) (measured 1.003, 1.033, 1.006)."""
    from numerics.incremental import incremental_learning

    run = incremental_learning(3e-3, width=100)
    assert len(run.onsets) >= 3
    assert np.all(np.diff(run.learnt_at) > 0) and np.all(np.diff(run.predicted) > 0)
    assert np.all(np.abs(run.ratios - 1) < 0.05), run.ratios
    assert all(o <= k for o, k in zip(run.onsets, run.learnt_at))
