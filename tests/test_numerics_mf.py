"""Deep matrix factorization (numerics.matrix_factorization, docs/mathematics.md#matrix-factorization)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from numerics.matrix_factorization import (
    effective_blowup,
    effective_energy,
    effective_gradient,
    factorization_gradient,
    factorization_loss,
    init_factors,
    make_low_rank_matrix,
    product,
    random_mask,
    train_factorization,
    train_factorization_numpy,
)
from numerics.plateau import observed_escape_iteration


def _finite_difference(function, factors, j, index, h=1e-4):
    # central difference: truncation O(h^2), round-off O(eps |f| / h); the loss reaches a few
    # hundred at depth 4 (scale 0.8), where h = 1e-6 had a round-off error ~1e-7 relative.
    plus = [w.copy() for w in factors]
    minus = [w.copy() for w in factors]
    plus[j][index] += h
    minus[j][index] -= h
    return (function(plus) - function(minus)) / (2 * h)


@settings(max_examples=15)
@given(
    depth=st.integers(2, 4),
    rows=st.integers(1, 5),
    cols=st.integers(1, 5),
    inner=st.integers(1, 4),
    seed=st.integers(0, 2**16),
)
def test_gradients_match_finite_differences(depth, rows, cols, inner, seed):
    M = np.random.default_rng(seed).normal(size=(rows, cols))
    mask = random_mask((rows, cols), 0.6, seed)
    factors = init_factors((rows, cols), depth, scale=0.8, seed=seed, inner_dim=inner)
    target = np.where(mask, M, 0.0)
    loss_grad = factorization_gradient(factors, M, mask)
    energy_grad = effective_gradient(factors, target)
    for j, w in enumerate(factors):
        for index in np.ndindex(w.shape):
            fd_loss = _finite_difference(lambda f: factorization_loss(f, M, mask), factors, j, index)
            fd_energy = _finite_difference(lambda f: effective_energy(f, target), factors, j, index)
            assert loss_grad[j][index] == pytest.approx(fd_loss, rel=1e-6, abs=1e-8)
            assert energy_grad[j][index] == pytest.approx(fd_energy, rel=1e-6, abs=1e-8)
    # Euler's identity for the degree-L homogeneous energy
    euler = sum(float(np.sum(w * g)) for w, g in zip(factors, energy_grad))
    assert euler == pytest.approx(depth * effective_energy(factors, target), rel=1e-10, abs=1e-12)


@settings(max_examples=10)
@given(
    depth=st.integers(2, 4),
    rows=st.integers(1, 6),
    cols=st.integers(1, 6),
    inner=st.integers(1, 5),
    seed=st.integers(0, 2**16),
)
def test_numba_factorization_matches_numpy(depth, rows, cols, inner, seed):
    M = np.random.default_rng(seed).normal(size=(rows, cols))
    mask = random_mask((rows, cols), 0.7, seed)
    factors = init_factors((rows, cols), depth, scale=0.5, seed=seed, inner_dim=inner)
    fast = train_factorization(M, mask, factors, lr=0.02, steps=50, record_every=7)
    reference = train_factorization_numpy(M, mask, factors, lr=0.02, steps=50, record_every=7)
    assert np.allclose(fast.loss, reference.loss, rtol=1e-12, atol=1e-15)
    assert list(fast.record_steps) == list(reference.record_steps)
    assert np.allclose(fast.singular_values, reference.singular_values, rtol=1e-10, atol=1e-14)
    for a, b in zip(fast.factors, reference.factors):
        assert np.allclose(a, b, rtol=1e-12, atol=1e-15)


def test_low_rank_matrix_and_mask():
    M = make_low_rank_matrix((8, 6), rank=2, seed=3, singular_values=[5.0, 2.0])
    assert np.allclose(np.linalg.svd(M, compute_uv=False), [5, 2, 0, 0, 0, 0], atol=1e-12)
    mask = random_mask((200, 100), 0.3, seed=1)
    assert abs(mask.mean() - 0.3) < 0.01
    assert np.array_equal(mask, random_mask((200, 100), 0.3, seed=1))


def test_scalar_blowup_closed_form():
    """1x1 factors, depth 3, E = t a b c: balanced x0 blows up at T* = 1/(t x0) (docs/mathematics.md#blow-up)."""
    result = effective_blowup([np.array([[0.5]])] * 3, np.array([[2.0]]))
    assert result.blew_up
    assert result.t_star == pytest.approx(1.0, rel=1e-9)


@pytest.mark.parametrize("depth", [3, 4])
def test_effective_blowup_limit_is_rank_one_top_pair(depth):
    M = make_low_rank_matrix((8, 8), rank=3, seed=0)
    mask = random_mask((8, 8), 0.7, seed=0)
    target = np.where(mask, M, 0.0)
    factors = init_factors((8, 8), depth, scale=1.0, seed=4)
    result = effective_blowup(factors, target)
    s1 = np.linalg.svd(target, compute_uv=False)[0]
    assert result.blew_up
    assert result.rate == pytest.approx(depth ** (1 - depth / 2) * s1, rel=1e-8)
    assert min(result.alignment) > 1 - 1e-9
    for w in result.limit_factors:
        singular = np.linalg.svd(w, compute_uv=False)
        assert singular[1] < 1e-6 * singular[0]
        # balanced: every factor carries 1/L of the squared norm
        assert float(np.sum(w**2)) == pytest.approx(1 / depth, rel=1e-6)
    r0 = math.sqrt(sum(float(np.sum(w**2)) for w in factors))
    lower = 1 / ((depth - 2) * depth ** (1 - depth / 2) * s1 * r0 ** (depth - 2))
    assert result.t_star >= lower
    # homogeneity: T*(c W) = T*(W) / c^(L-2)
    scaled = effective_blowup([2.0 * w for w in factors], target)
    assert scaled.t_star == pytest.approx(result.t_star / 2.0 ** (depth - 2), rel=1e-7)


def test_gd_escapes_at_effective_blowup_time_aligned_with_top_pair():
    M = make_low_rank_matrix((10, 10), rank=2, seed=0)
    mask = random_mask((10, 10), 0.6, seed=1)
    target = np.where(mask, M, 0.0)
    eps, lr = 1e-3, 0.01
    factors = init_factors((10, 10), 3, eps, seed=0)
    blowup = effective_blowup([w / eps for w in factors], target)
    predicted = blowup.t_star / eps / lr
    history = train_factorization(M, mask, factors, lr=lr, steps=int(1.2 * predicted), record_every=20)
    observed = observed_escape_iteration(history.loss, fraction=0.9)
    assert abs(observed / predicted - 1) < 0.01
    at_escape = np.searchsorted(history.record_steps, observed)
    assert min(history.alignments[at_escape]) > 0.999
    singular = history.singular_values[at_escape]
    assert singular[1] < 1e-3 * singular[0]  # one singular value learned first
    assert history.singular_values[0][0] < 1e-6  # tiny product at initialization


def test_completion_recovers_low_rank_matrix_and_is_deterministic():
    M = make_low_rank_matrix((10, 10), rank=2, seed=0)
    mask = random_mask((10, 10), 0.6, seed=1)
    factors = init_factors((10, 10), 3, 1e-2, seed=0)
    copies = [w.copy() for w in factors]
    first = train_factorization(M, mask, factors, lr=0.01, steps=6000, record_every=500)
    second = train_factorization(M, mask, factors, lr=0.01, steps=6000, record_every=500)
    assert np.array_equal(first.loss, second.loss)
    assert all(np.array_equal(a, b) for a, b in zip(factors, copies))
    assert first.loss[-1] < 1e-6 * first.loss[0]
    X = product(first.factors)
    assert np.linalg.norm(X - M) < 0.05 * np.linalg.norm(M)  # completed the unobserved entries
    assert np.linalg.svd(X, compute_uv=False)[2] < 1e-2  # low-rank bias


def test_divergence_and_bad_input():
    M = make_low_rank_matrix((6, 6), rank=2, seed=0)
    mask = random_mask((6, 6), 0.8, seed=0)
    factors = init_factors((6, 6), 3, 1.0, seed=0)
    history = train_factorization(M, mask, factors, lr=5.0, steps=1000)
    assert history.diverged and "diverged" in history.message and not math.isfinite(history.loss[-1])
    assert np.all(np.isfinite(history.loss[:-1]))
    reference = train_factorization_numpy(M, mask, factors, lr=5.0, steps=1000)
    assert reference.diverged and len(reference.loss) == len(history.loss)
    with pytest.raises(ValueError, match="mask"):
        train_factorization(M, mask[:5], factors)
    with pytest.raises(ValueError, match="factors"):
        train_factorization(M, mask, factors[:1])
    with pytest.raises(ValueError, match="factors"):
        train_factorization(M[:5], mask[:5], factors)
    with pytest.raises(ValueError, match="lr"):
        train_factorization(M, mask, factors, lr=-1.0)
    with pytest.raises(ValueError, match="rank"):
        make_low_rank_matrix((3, 3), rank=4)
    with pytest.raises(ValueError, match="depth"):
        effective_blowup(init_factors((3, 3), 2, 1.0, 0), M[:3, :3])


def test_effective_blowup_zero_target_is_a_clear_error():
    # E = <0, W3 W2 W1> = 0: the effective model is degenerate (the analogue of v' = 0)
    factors = init_factors((4, 4), 3, 1e-2, seed=0)
    with pytest.raises(ValueError, match="target"):
        effective_blowup(factors, np.zeros((4, 4)))
