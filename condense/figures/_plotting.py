r"""Plotting and measuring helpers shared by the report's figure modules (not a figure itself).

* :func:`cosine_matrix`, :func:`leading_eigenvector_order`, :func:`draw_cosine_heatmap`: the
  condensation picture of docs/mathematics.md#final-stage, :math:`D(u, v) = u^\top v/(\|u\|\|v\|)`;
* :func:`count_orientation_lines`: the number of lines the input weights of a two-layer
  network condense on (docs/mathematics.md#multiplicity, #one-dimensional-features);
* :func:`loglog_slope`: least-squares slope in log–log coordinates.
"""

from __future__ import annotations

import numpy as np


def cosine_matrix(rows: np.ndarray) -> np.ndarray:
    r"""Cosine similarity of the rows of ``rows``: :math:`D_{kl} = r_k^\top r_l/(\|r_k\|\|r_l\|)`
    (a zero row has cosine 0 with everything)."""
    rows = np.atleast_2d(np.asarray(rows, dtype=float))
    norms = np.linalg.norm(rows, axis=1)
    unit = np.divide(rows, norms[:, None], out=np.zeros_like(rows), where=norms[:, None] > 0)
    return np.clip(unit @ unit.T, -1.0, 1.0)


def leading_eigenvector_order(D: np.ndarray) -> np.ndarray:
    r"""Permutation sorting the neurons by their entry in the leading eigenvector of the symmetric
    matrix ``D`` (largest :math:`|\lambda|`), sign fixed so the sum of entries is :math:`\ge 0`: a
    condensed layer (blocks of :math:`\pm1`) then shows as contiguous blocks."""
    values, vectors = np.linalg.eigh(np.asarray(D, dtype=float))
    lead = vectors[:, int(np.argmax(np.abs(values)))]
    if lead.sum() < 0:
        lead = -lead
    return np.argsort(-lead, kind="stable")


def mean_abs_offdiagonal(D: np.ndarray) -> float:
    r""":math:`\frac{1}{m(m-1)}\sum_{k\ne l}|D_{kl}|`: 1 for a layer condensed on one line."""
    D = np.asarray(D, dtype=float)
    m = D.shape[0]
    if m < 2:
        return 1.0
    return float((np.abs(D).sum() - np.abs(np.diag(D)).sum()) / (m * (m - 1)))


def draw_cosine_heatmap(ax, rows: np.ndarray, title: str, *, order: np.ndarray | None = None):
    """Heatmap of :func:`cosine_matrix` of ``rows`` on ``ax`` (colour range −1..1), neurons ordered by
    ``order`` (default: :func:`leading_eigenvector_order`). Returns the image (for a colorbar)."""
    D = cosine_matrix(rows)
    order = leading_eigenvector_order(D) if order is None else order
    image = ax.imshow(D[np.ix_(order, order)], vmin=-1.0, vmax=1.0, cmap="RdBu_r", interpolation="nearest")
    ax.set_title(title)
    ax.set_xlabel("neuron (sorted)")
    ax.set_ylabel("neuron (sorted)")
    ax.grid(False)
    return image


def count_orientation_lines(
    angles: np.ndarray,
    weights: np.ndarray | None = None,
    *,
    gap: float = 0.25,
    min_share: float = 0.05,
    max_spread: float = 0.3,
) -> tuple[int, list[float]]:
    r"""Number of lines (orientations modulo :math:`\pi`) the neurons gather on, and their angles.

    The angles :math:`\theta_k \bmod \pi` are sorted around the circle of lines and split wherever
    two neighbours are more than ``gap`` radians apart; a cluster counts when it holds at least
    ``min_share`` of the total ``weights`` (default: every neuron weighs 1) and its weighted
    circular standard deviation (of the lines) is at most ``max_spread`` radians, so an
    uncondensed, spread-out layer counts 0 lines.  Returns
    ``(count, centres)`` with the weighted circular mean angle of every counted cluster, in
    :math:`[0, \pi)`.
    """
    angles = np.mod(np.asarray(angles, dtype=float).ravel(), np.pi)
    weights = np.ones_like(angles) if weights is None else np.asarray(weights, dtype=float).ravel()
    if angles.size == 0:
        return 0, []
    if weights.shape != angles.shape or np.any(weights < 0):
        raise ValueError("weights: need one non-negative weight per angle")
    order = np.argsort(angles)
    angles, weights = angles[order], weights[order]
    gaps = np.diff(np.concatenate([angles, [angles[0] + np.pi]]))
    cuts = np.flatnonzero(gaps > gap)  # a cluster ends at every cut (cyclically)
    n = angles.size
    if cuts.size == 0:
        groups = [np.arange(n)]
    else:  # rotate so that position 0 starts a cluster, then split after every cut
        shift = (cuts[0] + 1) % n
        ends = np.sort((cuts - shift) % n) + 1
        groups = [(g + shift) % n for g in np.split(np.arange(n), ends[ends < n])]
    total = weights.sum()
    centres = []
    for group in groups:
        share = weights[group].sum() / total if total > 0 else len(group) / angles.size
        w = weights[group] if weights[group].sum() > 0 else np.ones(len(group))
        resultant = np.sum(w * np.exp(2j * angles[group])) / w.sum()  # lines: doubled angles
        spread = np.sqrt(-2.0 * np.log(max(abs(resultant), 1e-300))) / 2.0  # circular std
        if share >= min_share and spread <= max_spread:
            centres.append(float(np.mod(np.angle(resultant) / 2.0, np.pi)))
    return len(centres), sorted(centres)


def loglog_slope(x, y) -> float:
    """Least-squares slope of ``log y`` against ``log x`` (positive, finite values;
    :func:`numerics.fit.fit_power`, the project's one line fit)."""
    from numerics.fit import fit_power

    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.size < 2 or np.any(x <= 0) or np.any(y <= 0):
        raise ValueError("x, y: need at least two positive points for a log-log slope")
    return fit_power(x, y).slope


class EscapeRun:
    r"""GD of a tanh network from ``weights`` past its predicted plateau escape, as the loss and
    real-data figures show it: ``prediction`` (:func:`numerics.predict_escape`), ``history``
    (:func:`numerics.train_network`, ``steps_factor`` × the predicted escape iteration, about
    400 snapshots), ``observed`` (the iteration where the loss has halved, or ``None``), ``ratio``
    (observed/predicted, NaN when not observed), ``k_after`` (the snapshot nearest to the iteration
    where the loss fell to 10% — the condensed state — or the last one) and ``before``/``after``
    (the weights at the first snapshot and at ``k_after``)."""

    def __init__(self, X, y, weights, lr: float, steps_factor: float):
        import math

        from numerics import observed_escape_iteration, predict_escape, train_network

        self.prediction = predict_escape(X, y, weights, lr, activation="tanh")
        if not math.isfinite(self.prediction.iteration):
            raise RuntimeError("the effective flow does not blow up from this initialization: no escape to predict")
        self.steps = max(10, int(math.ceil(steps_factor * self.prediction.iteration)))
        self.history = train_network(X, y, weights, activation="tanh", lr=lr, steps=self.steps,
                                     record_every=max(1, self.steps // 400))
        if self.history.diverged:
            raise RuntimeError(f"training: {self.history.message}")
        self.loss = self.history.loss
        self.observed = observed_escape_iteration(self.loss)
        self.ratio = self.observed / self.prediction.iteration if self.observed is not None else math.nan
        condensed_at = observed_escape_iteration(self.loss, 0.1)
        target = condensed_at if condensed_at is not None else self.steps
        self.k_after = int(np.argmin(np.abs(self.history.record_steps - target)))
        self.before = self.history.snapshots[0]
        self.after = self.history.snapshots[self.k_after]
