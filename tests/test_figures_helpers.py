"""Measures behind the figures' checks, tested against independent closed forms."""


import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from condense.figures._plotting import (
    cosine_matrix, count_orientation_lines, leading_eigenvector_order, loglog_slope, mean_abs_offdiagonal,
)
from condense.figures.feature_maps import circle_data, equal_norm_init, predicted_lines, top_neurons


@given(st.integers(0, 2**31 - 1), st.integers(2, 12), st.integers(1, 5))
def test_cosine_matrix_matches_pairwise_formula(seed, m, d):
    rows = np.random.default_rng(seed).standard_normal((m, d))
    D = cosine_matrix(rows)
    for k in range(m):
        for l in range(m):
            expected = rows[k] @ rows[l] / (np.linalg.norm(rows[k]) * np.linalg.norm(rows[l]))
            assert D[k, l] == pytest.approx(expected, abs=1e-12)
    assert np.allclose(D, D.T) and np.all(np.abs(D) <= 1)


@given(st.integers(0, 2**31 - 1), st.integers(1, 10), st.integers(1, 10))
def test_leading_eigenvector_order_makes_contiguous_blocks(seed, plus, minus):
    """Rows on one line (signs ±) give D = s sᵀ; after ordering the signs form two blocks."""
    rng = np.random.default_rng(seed)
    signs = rng.permutation(np.r_[np.ones(plus), -np.ones(minus)])
    rows = signs[:, None] * np.array([[0.6, 0.8]]) * rng.uniform(0.5, 2.0, (plus + minus, 1))
    order = leading_eigenvector_order(cosine_matrix(rows))
    ordered = signs[order]
    assert np.count_nonzero(np.diff(ordered)) <= 1
    assert mean_abs_offdiagonal(cosine_matrix(rows)) == pytest.approx(1.0)


@settings(max_examples=30)
@given(st.integers(0, 2**31 - 1), st.integers(1, 4))
def test_count_orientation_lines_finds_separated_clusters(seed, k):
    rng = np.random.default_rng(seed)
    centres = np.sort(rng.uniform(0, np.pi / k, 1) + np.arange(k) * np.pi / k)  # spacing pi/k >= 0.78
    angles = np.concatenate([c + rng.normal(0, 0.02, 30) + np.pi * rng.integers(0, 2, 30) for c in centres])
    count, found = count_orientation_lines(angles)
    assert count == k
    for c in centres:
        assert min(min(abs(f - c) % np.pi, np.pi - abs(f - c) % np.pi) for f in found) < 0.03


def test_spread_out_neurons_are_not_a_line():
    angles = np.random.default_rng(0).uniform(0, 2 * np.pi, 500)
    assert count_orientation_lines(angles) == (0, [])
    # a small cluster below the weight share does not count
    rng = np.random.default_rng(1)
    angles = np.r_[rng.normal(0.5, 0.01, 100), rng.normal(2.0, 0.01, 2)]
    assert count_orientation_lines(angles, min_share=0.05)[0] == 1


@pytest.mark.parametrize("p", [1, 2, 3, 4])
def test_predicted_lines_closed_form(p):
    r"""For y = cos(pψ) on the circle, g_p(φ) ∝ cos(pφ): lines at jπ/p, j = 0..p-1."""
    X, y = circle_data(p, 36)
    lines = predicted_lines(X, y, p)
    expected = [j * np.pi / p for j in range(p)]
    assert len(lines) == p
    assert np.allclose(sorted(lines), expected, atol=2e-3)


def test_equal_norm_init_and_top_neurons():
    W, a = equal_norm_init(50, 0.01, seed=3)
    assert np.allclose(np.linalg.norm(W, axis=1), 0.01) and np.allclose(np.abs(a), 0.01)
    amplitude = np.r_[10.0, 9.0, np.full(20, 0.1)]
    top = top_neurons(amplitude, share=0.9)
    assert set(top) == {0, 1}  # 181/181.2 of the sum of squares


def test_loglog_slope():
    x = np.geomspace(1e-3, 1e-1, 5)
    assert loglog_slope(x, 3 * x**-2) == pytest.approx(-2)
    with pytest.raises(ValueError, match="positive"):
        loglog_slope([1, 2], [0, 1])
