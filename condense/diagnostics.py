r"""Measures of condensation for any training run: arrays in, numbers out (no training).

Applied to the snapshots of a run (:mod:`condense.runs`), layer by layer; the *input weights* of
the neurons of hidden layer :math:`k` are the rows of :math:`W^k` (shape :math:`(m_k, m_{k-1})`).

* **Cosine similarity** :math:`D_{ij} = w_i^\top w_j/(\|w_i\|\|w_j\|)` of the rows
  (docs/mathematics.md#final-stage), shown with the neurons ordered by the leading eigenvector of :math:`D`, the order of the
  report's heatmaps (:func:`condense.figures._plotting.leading_eigenvector_order`).
* **Condensed orientations** (:func:`condensed_orientations`): neurons are grouped by
  complete-linkage agglomerative clustering with the distance :math:`1 - |D_{ij}|`, cut at
  :math:`\delta`: two neurons share an orientation when they lie on one line through the origin
  (:math:`w` and :math:`-w` count as one orientation, as in the :math:`\pm1` blocks of a condensed
  heatmap) and **every** pair in a group has :math:`|D_{ij}| \ge 1 - \delta` (default
  :math:`\delta = 0.05`, i.e. within about 18°).  A random layer in dimension :math:`d \gg 1`
  has :math:`|D_{ij}| \approx d^{-1/2}` and counts :math:`m` orientations; a layer condensed on
  :math:`p` lines counts :math:`p`.  Zero rows are left out.
* **Effective rank** (Roy & Vetterli 2007): with the singular values :math:`s_1, \dots, s_r > 0`
  and :math:`p_i = s_i/\sum_j s_j`, :math:`\operatorname{erank} = \exp(-\sum_i p_i\log p_i)
  \in [1, \operatorname{rank}]`, equal to :math:`r` when the :math:`r` non-zero singular values are
  equal and to 1 for rank one.
* **Relative distance** :math:`\mathrm{RD}_k(t) = \|W^k(t) - W^k(0)\|_F/\|W^k(0)\|_F` from the first
  snapshot (:func:`numerics.two_layer.relative_distance`).
* Depth 3: the **final-stage closeness** of docs/mathematics.md#final-stage along the run, the fraction of
  positive terms :math:`a_iW_{ij}u_j` and :math:`\rho` (:mod:`verify.measures`), with
  :math:`u = W^1 v`, :math:`v = v'/\|v'\|`.
* **Plateau escape**: when the first snapshot is a small initialization (its output is at most
  :data:`SMALL_OUTPUT` of the targets' RMS, so the loss starts on the plateau
  :math:`R_0 \approx \frac12\overline{y^2}`) and the learning rate is known, the escape iteration
  predicted by the effective model (:func:`numerics.predict_escape`) against the observed one
  (:func:`numerics.observed_escape_iteration`: the loss first below half its initial value), from
  the stored loss or else the loss recomputed at the snapshots.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from condense.figures._plotting import cosine_matrix, leading_eigenvector_order
from verify.measures import row_concentration

__all__ = [
    "DEFAULT_DELTA",
    "SMALL_OUTPUT",
    "OrientationClusters",
    "cosine_matrix",
    "ordered_cosine_matrix",
    "condensed_orientations",
    "effective_rank",
    "layer_measures",
    "final_stage_closeness",
    "escape_measures",
    "network_with_biases",
    "snapshot_losses",
    "diagnose",
]

#: Default cut of the orientation clustering: one orientation when :math:`|\cos| \ge 1 - \delta`.
DEFAULT_DELTA = 0.05
#: The first snapshot counts as a small initialization when RMS(f) <= SMALL_OUTPUT * RMS(y).
SMALL_OUTPUT = 0.01


@dataclass
class OrientationClusters:
    """``count`` orientations; ``labels[k]`` the orientation of neuron ``k`` (``-1`` for a zero row);
    ``sizes`` neurons per orientation, largest first (labels follow that order); ``largest_share``
    the largest orientation's share of :math:`\\sum_k\\|w_k\\|^2`."""

    count: int
    labels: np.ndarray
    sizes: list[int]
    largest_share: float


def ordered_cosine_matrix(rows) -> tuple[np.ndarray, np.ndarray]:
    """``(D[order][:, order], order)``: the cosine matrix of the rows, neurons in heatmap order."""
    D = cosine_matrix(rows)
    order = leading_eigenvector_order(D)
    return D[np.ix_(order, order)], order


def condensed_orientations(rows, delta: float = DEFAULT_DELTA) -> OrientationClusters:
    r"""Group the rows (neurons' input weights) into orientations (module docstring): complete
    linkage on :math:`1 - |\cos|`, cut at ``delta`` in ``(0, 1)``."""
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    if isinstance(delta, bool) or not isinstance(delta, (int, float)) or not 0 < delta < 1:
        raise ValueError(f"delta: must be a number in (0, 1), got {delta!r}")
    rows = np.atleast_2d(np.asarray(rows, dtype=float))
    if rows.ndim != 2 or not np.all(np.isfinite(rows)):
        raise ValueError(f"rows: expected a finite matrix (one row per neuron), got shape {rows.shape}")
    norms2 = np.sum(rows**2, axis=1)
    alive = np.flatnonzero(norms2 > 0)
    labels = np.full(rows.shape[0], -1, dtype=np.int64)
    if alive.size == 0:
        return OrientationClusters(0, labels, [], 0.0)
    if alive.size == 1:
        labels[alive] = 0
        return OrientationClusters(1, labels, [1], 1.0)
    distance = 1.0 - np.abs(cosine_matrix(rows[alive]))
    np.fill_diagonal(distance, 0.0)
    tree = linkage(squareform(np.clip(distance, 0.0, None), checks=False), method="complete")
    raw = fcluster(tree, t=delta, criterion="distance")
    groups = sorted(set(raw), key=lambda g: (-np.sum(raw == g), -np.sum(norms2[alive][raw == g])))
    for new, g in enumerate(groups):
        labels[alive[raw == g]] = new
    sizes = [int(np.sum(raw == g)) for g in groups]
    shares = [float(np.sum(norms2[alive][raw == g]) / np.sum(norms2)) for g in groups]
    return OrientationClusters(len(groups), labels, sizes, max(shares))


def effective_rank(matrix) -> float:
    r"""Roy & Vetterli's effective rank :math:`\exp(-\sum_i p_i\log p_i)`,
    :math:`p_i = s_i/\sum_j s_j` over the non-zero singular values (module docstring); 0 for the
    zero matrix."""
    M = np.asarray(matrix, dtype=float)
    if M.ndim == 1:
        M = M[None, :]
    if M.ndim != 2 or not np.all(np.isfinite(M)):
        raise ValueError(f"matrix: expected a finite matrix, got shape {M.shape}")
    s = np.linalg.svd(M, compute_uv=False)
    if s.size == 0 or s[0] == 0:
        return 0.0
    s = s[s > s[0] * np.finfo(float).eps * max(M.shape)]
    p = s / s.sum()
    return float(np.exp(-np.sum(p * np.log(p))))


def layer_measures(snapshots: Sequence[Sequence[np.ndarray]], *, delta: float = DEFAULT_DELTA, progress=None) -> list[dict]:
    r"""Per layer (input to output) the measures along the snapshots: ``"orientations"``,
    ``"largest_share"``, ``"mean_abs_cos"`` (mean :math:`|D_{ij}|`, :math:`i \ne j`,
    :func:`verify.measures.row_concentration`; hidden layers
    only, ``None`` for the output layer), ``"effective_rank"`` and ``"rd"`` (lists, one per snapshot)."""
    from numerics.two_layer import relative_distance

    first = snapshots[0]
    out = []
    for k in range(len(first)):
        out.append({"layer": k + 1, "shape": list(np.shape(first[k])), "hidden": bool(k < len(first) - 1),
                    "orientations": [], "largest_share": [], "mean_abs_cos": [], "effective_rank": [], "rd": []})
    for snapshot in snapshots:
        for k, (entry, w) in enumerate(zip(out, snapshot)):
            w = np.asarray(w, dtype=float)
            if entry["hidden"]:
                clusters = condensed_orientations(w, delta)
                entry["orientations"].append(clusters.count)
                entry["largest_share"].append(clusters.largest_share)
                entry["mean_abs_cos"].append(row_concentration(w))
            else:
                entry["orientations"].append(None)
                entry["largest_share"].append(None)
                entry["mean_abs_cos"].append(None)
            entry["effective_rank"].append(effective_rank(w))
            entry["rd"].append(relative_distance(first[k], w) if np.any(first[k] != 0) else None)
        if progress is not None:
            progress.advance()
    return out


def final_stage_closeness(snapshots: Sequence[Sequence[np.ndarray]], v: np.ndarray) -> dict:
    r"""Depth 3, one output: ``{"fraction": [...], "rho": [...], "holds": [...], "first_holding": index}``
    of the final-stage condition along the snapshots (docs/mathematics.md#final-stage, :mod:`verify.measures`),
    with :math:`u = W^1 v`."""
    from verify.measures import final_stage_fraction, final_stage_holds, final_stage_weighted, first_index_holding

    fraction, rho, holds = [], [], []
    for W1, W2, a in snapshots:
        u = np.asarray(W1) @ v
        fraction.append(final_stage_fraction(a, W2, u))
        rho.append(final_stage_weighted(a, W2, u))
        holds.append(final_stage_holds(a, W2, u))
    return {"fraction": fraction, "rho": rho, "holds": holds, "first_holding": first_index_holding(holds)}


def escape_measures(X, y, steps, snapshots, *, activation, lr: float | None, loss: np.ndarray | None,
                    snapshot_loss: np.ndarray | None) -> dict:
    r"""Predicted against observed plateau escape (module docstring). Returns a dict with
    ``"applies"`` (and ``"reason"`` when not), ``"predicted"``, ``"observed"``, ``"observed_after"``
    (the last snapshot step still on the plateau when the escape is read from snapshots),
    ``"ratio"`` (observed/predicted), ``"ratio_after"`` (observed_after/predicted when read from
    snapshots: the true ratio lies in ``(ratio_after, ratio]``) and ``"loss_source"``."""
    from numerics import observed_escape_iteration, predict_escape
    from numerics.training import network_output

    first = snapshots[0]
    f0 = network_output(X, first, activation)
    small = float(np.sqrt(np.mean(f0**2))) <= SMALL_OUTPUT * float(np.sqrt(np.mean(y**2)))
    result: dict[str, Any] = {"applies": False, "small_initialization": bool(small), "lr": lr}
    if not small:
        result["reason"] = f"the first snapshot is not a small initialization (RMS of its output > {SMALL_OUTPUT:g}·RMS(y))"
        return result
    if lr is None:
        result["reason"] = "the learning rate is not known (give --lr or run.json 'lr')"
        return result
    if steps[0] != 0:
        result["reason"] = f"the first snapshot is at step {int(steps[0])}, not at the initialization (step 0)"
        return result
    try:
        prediction = predict_escape(X, y, list(first), lr, activation=activation)
    except ValueError as exc:  # e.g. a non-smooth activation or sigma'(0) = 0: no effective model here
        result["reason"] = f"no prediction: {exc}"
        return result
    result.update(applies=True, predicted=float(prediction.iteration), t_star=float(prediction.t_star),
                  epsilon=float(prediction.epsilon), v_prime_norm=float(prediction.v_prime_norm),
                  method=prediction.method)
    if loss is not None:
        observed = observed_escape_iteration(loss)
        result.update(observed=observed, observed_after=None if observed is None else observed - 1,
                      loss_source="stored loss per iteration (run.json)")
    else:
        values = snapshot_loss
        source = "loss stored in the snapshots"
        if values is None:
            from numerics.training import risk

            values = np.array([risk(X, y, list(s), activation) for s in snapshots])
            source = "loss recomputed from the snapshots and the data"
        j = observed_escape_iteration(values)
        observed = None if j is None else int(steps[j])
        result.update(observed=observed, observed_after=None if j is None else int(steps[j - 1]), loss_source=source,
                      snapshot_loss=[float(v) for v in values])
    predicted = result["predicted"]
    known = result["observed"] is not None and math.isfinite(predicted) and predicted > 0
    result["ratio"] = result["observed"] / predicted if known else None
    # read from snapshots, the escape lies in (observed_after, observed]: so does the ratio, times predicted
    result["ratio_after"] = result["observed_after"] / predicted if known and loss is None else None
    return result


def network_with_biases(weights: Sequence[np.ndarray], biases: Sequence[np.ndarray | None] | None, y) -> tuple[list, np.ndarray]:
    r"""``(weights, y)`` in the general layout of :func:`numerics.training.parse_network`
    (``[W1, b1, W2, ..., A, bL]``, each bias after its matrix): an output bias with one output
    needs ``A`` as a ``(1, m)`` matrix and ``y`` as ``(n, 1)``."""
    y = np.asarray(y, dtype=float)
    if biases is None or all(b is None for b in biases):
        return list(weights), y
    out: list[np.ndarray] = []
    for k, (w, b) in enumerate(zip(weights, biases)):
        last = k == len(weights) - 1
        if last and b is not None and np.ndim(w) == 1:
            w, y = np.asarray(w)[None, :], (y[:, None] if y.ndim == 1 else y)
        out.append(np.asarray(w))
        if b is not None:
            out.append(np.asarray(b))
    return out, y


def snapshot_losses(X, y, snapshots, biases, activation) -> np.ndarray:
    r""":math:`R = \frac1{2n}\sum_i\|f(x_i) - y_i\|^2` at every snapshot (:func:`numerics.training.risk`,
    biases and vector outputs included)."""
    from numerics.training import risk

    values = []
    for k, snapshot in enumerate(snapshots):
        weights, targets = network_with_biases(snapshot, None if biases is None else biases[k], y)
        values.append(risk(X, targets, weights, activation))
    return np.asarray(values)


def diagnose(steps, snapshots, X=None, y=None, *, activation: str | None = None, lr: float | None = None,
             loss: np.ndarray | None = None, snapshot_loss: np.ndarray | None = None, has_bias: bool = False,
             biases=None, delta: float = DEFAULT_DELTA, progress=None) -> dict:
    """Every measure of the module docstring for one run, as a JSON-ready dict: ``"layers"``
    (:func:`layer_measures`), ``"final_stage"`` (depth 3, one output, with data; else ``None``),
    ``"escape"`` (:func:`escape_measures`; ``None`` without data and activation, or for a network
    with biases or vector outputs, where ``"loss"`` then holds the loss at the snapshots and its
    first halving) and ``"notes"`` (why a part was left out). ``biases``: per snapshot, the
    layers' biases (``None`` entries for none), as :attr:`condense.runs.Run.biases`."""
    steps = np.asarray(steps, dtype=np.int64)
    notes: list[str] = []
    result: dict[str, Any] = {"steps": [int(s) for s in steps], "delta": delta, "depth": len(snapshots[0]),
                              "layers": layer_measures(snapshots, delta=delta, progress=progress),
                              "final_stage": None, "escape": None, "loss": None, "notes": notes}
    scalar = np.ndim(snapshots[0][-1]) == 1
    if X is None:
        notes.append("no data: the loss, the final-stage closeness and the plateau escape need the data (give --data)")
        return result
    if X.shape[1] != np.shape(snapshots[0][0])[1]:
        raise ValueError(f"--data: the data have d = {X.shape[1]} inputs, the run's first layer takes {np.shape(snapshots[0][0])[1]}")
    if scalar and np.ndim(y) == 2 and np.shape(y)[1] == 1:
        y = np.asarray(y)[:, 0]  # one output: y of shape (n, 1), as PyTorch's MSE targets are, is y of shape (n,)
    plain = scalar and np.ndim(y) == 1 and not has_bias
    if scalar and np.ndim(y) == 1 and len(snapshots[0]) == 3:
        from numerics.data import data_direction

        _, v = data_direction(X, y)
        result["final_stage"] = final_stage_closeness(snapshots, v)
    if activation is None:
        notes.append("no activation: the loss and the plateau escape need it (give --activation or run.json 'activation')")
    elif plain:
        result["escape"] = escape_measures(X, y, steps, snapshots, activation=activation, lr=lr, loss=loss,
                                           snapshot_loss=snapshot_loss)
    else:
        from numerics import observed_escape_iteration

        what = "non-zero biases" if has_bias else "vector outputs"
        notes.append(f"the run has {what}: the plateau-escape prediction is for one output without biases; "
                     "the loss and its first halving are reported")
        if loss is not None:
            observed = observed_escape_iteration(loss)
            result["loss"] = {"source": "stored loss per iteration (run.json)", "observed": observed,
                              "observed_after": None if observed is None else observed - 1, "values": None}
        else:
            values = snapshot_loss if snapshot_loss is not None else snapshot_losses(X, y, snapshots, biases, activation)
            j = observed_escape_iteration(values)
            result["loss"] = {"source": "loss stored in the snapshots" if snapshot_loss is not None
                              else "loss recomputed from the snapshots and the data",
                              "observed": None if j is None else int(steps[j]),
                              "observed_after": None if j is None else int(steps[j - 1]),
                              "values": [float(x) for x in values]}
    if not scalar and np.ndim(y) == 1:
        notes.append("the final-stage closeness is for one output")
    return result
