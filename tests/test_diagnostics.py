"""condense.diagnostics: orientation clustering on planted clusters, effective rank against closed forms."""

import math

import numpy as np
import pytest

from condense.diagnostics import (
    DEFAULT_DELTA,
    condensed_orientations,
    effective_rank,
    final_stage_closeness,
    ordered_cosine_matrix,
)
from condense.figures._plotting import cosine_matrix


def planted(k: int, per: int, d: int, angle: float, seed: int):
    """``k`` orthonormal centres; ``per`` neurons on each line, random signs and norms, tilted by ``angle``."""
    rng = np.random.default_rng(seed)
    centres = np.linalg.qr(rng.standard_normal((d, k)))[0].T
    rows, truth = [], []
    for c, centre in enumerate(centres):
        for _ in range(per):
            tilt = rng.standard_normal(d)
            tilt -= (tilt @ centre) * centre
            tilt /= np.linalg.norm(tilt)
            direction = math.cos(angle) * centre + math.sin(angle) * tilt
            rows.append(rng.choice([-1.0, 1.0]) * rng.uniform(0.1, 10.0) * direction)
            truth.append(c)
    order = rng.permutation(len(rows))
    return np.array(rows)[order], np.array(truth)[order]


@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_planted_clusters_are_found(k):
    rows, truth = planted(k, per=7, d=12, angle=0.05, seed=k)
    result = condensed_orientations(rows)
    assert result.count == k
    # the partition found is the planted one (up to the names of the groups)
    for c in range(k):
        assert len(set(result.labels[truth == c])) == 1
    assert len(set(result.labels)) == k
    assert sorted(result.sizes) == [7] * k


def test_random_layer_has_one_orientation_per_neuron_and_groups_are_tight():
    rng = np.random.default_rng(0)
    rows = rng.standard_normal((30, 64))
    D = np.abs(cosine_matrix(rows))
    assert np.max(D - np.eye(30)) < 1 - DEFAULT_DELTA  # precondition: no two rows on one line
    assert condensed_orientations(rows).count == 30
    # mixed case: complete linkage never puts two neurons with |cos| < 1 - delta in one group
    mixed = np.vstack([planted(3, 5, 64, 0.2, seed=1)[0], rows[:10]])
    result = condensed_orientations(mixed, delta=0.1)
    Dm = np.abs(cosine_matrix(mixed))
    for label in set(result.labels):
        members = np.flatnonzero(result.labels == label)
        assert np.min(Dm[np.ix_(members, members)]) >= 1 - 0.1 - 1e-12


def test_zero_rows_and_bad_delta():
    rows = np.vstack([np.zeros(4), np.eye(4)[0], -3 * np.eye(4)[0]])
    result = condensed_orientations(rows)
    assert result.count == 1 and result.labels[0] == -1 and result.largest_share == 1.0
    for bad in (0, 1, -0.5, True):
        with pytest.raises(ValueError, match="^delta:"):
            condensed_orientations(rows, delta=bad)


def _with_singular_values(s, shape, seed):
    rng = np.random.default_rng(seed)
    U = np.linalg.qr(rng.standard_normal((shape[0], shape[0])))[0][:, : len(s)]
    V = np.linalg.qr(rng.standard_normal((shape[1], shape[1])))[0][:, : len(s)]
    return U @ np.diag(s) @ V.T


def test_effective_rank_closed_forms():
    assert effective_rank(np.eye(7)) == pytest.approx(7, rel=1e-12)
    assert effective_rank(_with_singular_values([2.0, 2.0, 2.0], (6, 5), 0)) == pytest.approx(3, rel=1e-10)
    assert effective_rank(np.outer([1.0, 2.0, 3.0], [1.0, -1.0])) == pytest.approx(1, rel=1e-12)
    a, b = 3.0, 1.0
    p = np.array([a, b]) / (a + b)
    closed = math.exp(-np.sum(p * np.log(p)))  # exp of the Shannon entropy of (3/4, 1/4)
    M = _with_singular_values([a, b], (5, 4), 1)
    assert effective_rank(M) == pytest.approx(closed, rel=1e-10)
    assert effective_rank(17.0 * M) == pytest.approx(closed, rel=1e-10)  # scale invariant
    assert effective_rank(np.zeros((3, 3))) == 0.0
    rng = np.random.default_rng(2)
    R = rng.standard_normal((8, 5))
    assert 1.0 <= effective_rank(R) <= 5.0


def test_final_stage_closeness_on_a_sign_consistent_state():
    v = np.array([1.0, 0.0, 0.0])
    W1 = np.array([[2.0, 0.3, 0.0], [1.0, -0.1, 0.2]])  # u = W1 v = (2, 1) > 0
    good = [W1, np.ones((3, 2)), np.ones(3)]
    bad = [W1, -np.ones((3, 2)), np.ones(3)]
    result = final_stage_closeness([bad, good], v)
    assert result["fraction"] == [0.0, 1.0] and result["rho"] == [0.0, 1.0]
    assert result["first_holding"] == 1


def test_ordered_cosine_matrix_is_the_permuted_cosine_matrix():
    rows, truth = planted(1, 6, 10, 0.3, seed=3)
    rows = np.vstack([rows, np.random.default_rng(3).standard_normal((4, 10))])
    D, order = ordered_cosine_matrix(rows)
    assert sorted(order.tolist()) == list(range(10))
    full = cosine_matrix(rows)
    np.testing.assert_array_equal(D, full[np.ix_(order, order)])
    np.testing.assert_allclose(np.diag(D), 1.0)


def test_diagnose_explains_what_it_leaves_out():
    import numerics
    from condense.diagnostics import diagnose

    X, y = numerics.make_dataset("default", n=30, seed=1)
    small = numerics.gaussian_init((3, 6, 5), 1e-3, seed=1)
    large = numerics.gaussian_init((3, 6, 5), 1.0, seed=1)
    relu = diagnose([0, 10], [small, small], X, y, activation="relu", lr=0.1)
    assert not relu["escape"]["applies"] and "relu" in relu["escape"]["reason"].lower()
    not_small = diagnose([0, 10], [large, large], X, y, activation="tanh", lr=0.1)
    assert not not_small["escape"]["small_initialization"] and not not_small["escape"]["applies"]
    no_lr = diagnose([0, 10], [small, small], X, y, activation="tanh")
    assert "learning rate" in no_lr["escape"]["reason"]
    no_data = diagnose([0, 10], [small, small])
    assert no_data["escape"] is None and no_data["final_stage"] is None and no_data["notes"]
    with pytest.raises(ValueError, match="^--data: the data have d = 3"):
        diagnose([0], [numerics.gaussian_init((4, 6, 5), 1e-3, seed=1)], X, y)
