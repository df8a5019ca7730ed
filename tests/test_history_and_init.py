"""One history type for the three trainers, one Gaussian initialiser family, one state layout."""

import numpy as np
import pytest

import numerics
from numerics.history import TrainingHistory
from numerics.init import gaussian_arrays, gaussian_init, network_shapes, power_init
from numerics.matrix_factorization import init_factors, make_low_rank_matrix, product, random_mask, train_factorization
from numerics.two_layer import init_two_layer, phase_dataset, train_two_layer, two_layer_output

COMMON = ("loss", "record_steps", "snapshots", "weights", "diverged", "message", "lr", "activation", "steps",
          "final_loss", "wall_time", "status", "steps_done")


def _histories():
    X, y = numerics.make_dataset("default", n=20, d=3, seed=0)
    net = numerics.train_network(X, y, gaussian_init((3, 5, 4), 0.5, seed=1), lr=0.1, steps=30, record_every=10)
    Xp, yp = phase_dataset()
    a, W = init_two_layer(6, 1, 0.5, 0.5, seed=2)
    two = train_two_layer(Xp, yp, a, W, max_steps=40, record_every=10)
    M = make_low_rank_matrix((4, 4), rank=1, seed=0)
    mask = random_mask((4, 4), 0.8, seed=0)
    mf = train_factorization(M, mask, init_factors((4, 4), 3, 0.3, seed=3), lr=0.05, steps=30, record_every=10)
    return (X, y, net), (Xp, yp, two), (M, mask, mf)


def test_three_trainers_return_one_history_type_with_consistent_fields():
    (X, y, net), (Xp, yp, two), (M, mask, mf) = _histories()
    for history in (net, two, mf):
        assert isinstance(history, TrainingHistory)
        assert all(hasattr(history, name) for name in COMMON)
        assert history.wall_time > 0 and history.status in ("completed", "converged", "max_steps", "stalled")
        assert history.diverged is False and history.steps_done <= history.steps
        assert len(history.record_steps) == len(history.snapshots) or type(history).__name__ == "FactorizationHistory"
        assert history.record_steps[0] == 0 and history.record_steps[-1] == history.steps_done
    # final_loss is the loss of the final weights, recomputed independently for each model
    assert net.final_loss == pytest.approx(numerics.training.risk(X, y, net.weights), rel=1e-12)
    W, a = two.weights
    assert two.final_loss == pytest.approx(0.5 * np.mean((two_layer_output(Xp, a, W, two.alpha) - yp) ** 2), rel=1e-9)
    residual = np.where(mask, product(mf.weights) - M, 0.0)
    assert mf.final_loss == pytest.approx(0.5 * np.sum(residual**2), rel=1e-12)
    # and GD lowers the loss in each
    for history in (net, two, mf):
        assert history.final_loss < history.loss[0]


def test_history_rejects_an_unknown_status():
    with pytest.raises(ValueError, match="status"):
        TrainingHistory(np.ones(2), np.zeros(1), [], [], False, "", 0.1, "tanh", 2, status="finished")


def test_one_gaussian_family_same_numbers_and_the_stated_spread():
    dims = (3, 50, 40)
    assert all(np.array_equal(p, q) for p, q in
               zip(gaussian_init(dims, 0.01, seed=4), gaussian_arrays(network_shapes(dims), 0.01, seed=4)))
    assert all(np.array_equal(p, q) for p, q in
               zip(power_init(dims, 0.5, seed=4), gaussian_arrays(network_shapes(dims), 50 ** -0.5, seed=4)))
    # sample standard deviation within 5 standard errors of the scale (2000 + 150 entries)
    flat = np.concatenate([w.ravel() for w in gaussian_init(dims, 0.01, seed=5)])
    assert abs(flat.std() / 0.01 - 1) < 5 / np.sqrt(2 * flat.size)
    factors = init_factors((30, 20), depth=3, scale=0.2, seed=6)
    flat = np.concatenate([w.ravel() for w in factors])
    assert abs(flat.std() / 0.2 - 1) < 5 / np.sqrt(2 * flat.size)
    assert not np.array_equal(gaussian_init(dims, 1.0, seed=0)[0], gaussian_init(dims, 1.0, seed=1)[0])
    with pytest.raises(ValueError, match="scale"):
        gaussian_arrays([(2,)], -1.0, seed=0)
    with pytest.raises(ValueError, match="seed"):
        gaussian_arrays([(2,)], 1.0, seed=-1)


def test_verify_instances_draw_the_same_numbers_as_before_the_layout_change():
    """positive_energy_factors drew the flattened state block by block (a, W, u) from one generator;
    the one-draw-then-unflatten implementation must give the same numbers."""
    from verify.instances import positive_energy_factors

    for seed in range(5):
        u, W, a = positive_energy_factors((3, 4), seed, min_energy_ratio=0.0)
        rng = np.random.default_rng(seed)
        a0, W0, u0 = rng.standard_normal(4), rng.standard_normal((4, 3)), rng.standard_normal(3)
        if a0 @ W0 @ u0 < 0:
            a0 = -a0
        assert np.array_equal(a, a0) and np.array_equal(W, W0) and np.array_equal(u, u0)


def test_reference_module_lists_the_numpy_twins():
    import numerics.reference as reference
    from numerics.matrix_factorization import train_factorization_numpy
    from numerics.training import train_network_numpy

    assert reference.train_network_numpy is train_network_numpy
    assert reference.train_factorization_numpy is train_factorization_numpy
    assert all(callable(getattr(reference, name)) for name in reference.__all__)
