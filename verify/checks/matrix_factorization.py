r"""Deep matrix factorization from small initialization (docs/mathematics.md#matrix-factorization).

Gradient descent on :math:`\tfrac12\|P_\Omega(W^3W^2W^1 - M)\|_F^2` from
:math:`W^j = \varepsilon\bar W^j` follows, to leading order, the gradient flow of
:math:`E = \langle P_\Omega(M), W^3W^2W^1\rangle`, which blows up with every factor becoming rank
one and the product aligned with the top singular pair of :math:`P_\Omega(M)` (the low-rank bias
of deep factorization is the condensation mechanism). At the end of the plateau (loss first
below 90% of its initial value) we measure

.. math:: g = \max\Bigl(1 - |\langle u_1(X), u_1(P_\Omega M)\rangle|,\ 1 - |\langle v_1(X), v_1(P_\Omega M)\rangle|,\
          \max_j \sigma_2(W^j)/\sigma_1(W^j)\Bigr),

which must be small at the smallest :math:`\varepsilon` and shrink as :math:`\varepsilon \to 0`.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from verify.progress import as_progress
from verify.result import CheckResult

#: Largest alignment / rank-one gap allowed at the smallest :math:`\varepsilon`.
FACTORIZATION_TOLERANCE = 5e-2


def rank_one_gap(factors: Sequence[np.ndarray], product_alignment: Sequence[float]) -> float:
    r""":math:`g` of the module docstring from the factors and the two top-singular-vector cosines."""
    ratios = []
    for w in factors:
        s = np.linalg.svd(np.asarray(w, dtype=float), compute_uv=False)
        ratios.append(s[1] / s[0] if s.size > 1 and s[0] > 0 else 0.0)
    return float(max(1.0 - min(product_alignment), max(ratios)))


def evaluate_matrix_factorization(epsilons: Sequence[float], gaps: Sequence[float],
                                  tolerance: float = FACTORIZATION_TOLERANCE,
                                  details: dict | None = None) -> CheckResult:
    """Passes when the gap at the smallest epsilon is at most ``tolerance`` and the gap decreases
    as epsilon decreases."""
    order = np.argsort(np.asarray(epsilons, dtype=float))[::-1]
    g = np.asarray(gaps, dtype=float)[order]
    finite = bool(np.all(np.isfinite(g)))
    worst = float(g[-1]) if finite else float("inf")
    shrinking = finite and bool(np.all(np.diff(g) < 0))
    info = dict(details or {})
    info.update(criterion="rank-one/alignment gap at the smallest eps <= tolerance, decreasing as eps decreases",
                epsilons=np.asarray(epsilons, dtype=float)[order], gap=g, gap_shrinks=shrinking)
    return CheckResult("matrix_factorization_rank_one", bool(finite and worst <= tolerance and shrinking),
                       worst, tolerance, info)


def check_matrix_factorization(epsilons: Sequence[float] = (1e-2, 1e-3, 3e-4), shape: tuple[int, int] = (10, 10),
                               rank: int = 2, observed_fraction: float = 0.5, lr: float = 0.01, seed: int = 0,
                               tolerance: float = FACTORIZATION_TOLERANCE, progress=False) -> CheckResult:
    r"""Depth-3 factorization of a rank-``rank`` matrix observed on a random ``observed_fraction``
    of entries (``numerics.matrix_factorization``): factors rank one and aligned with the top
    singular pair of :math:`P_\Omega(M)` at the end of the plateau; the plateau length is compared
    with :math:`T^*(\bar W_0)/(\varepsilon\eta)` (reported)."""
    from numerics import matrix_factorization as mf

    say = as_progress(progress)
    M = mf.make_low_rank_matrix(shape, rank, seed)
    mask = mf.random_mask(shape, observed_fraction, seed)
    target = np.where(mask, M, 0.0)
    base = mf.init_factors(shape, 3, 1.0, seed)
    t_star = mf.effective_blowup(base, target).t_star
    gaps, table = [], []
    for eps in epsilons:
        predicted = t_star / (eps * lr)
        history = mf.train_factorization(M, mask, [eps * w for w in base], lr=lr, steps=int(1.1 * predicted) + 10,
                                         record_every=max(1, int(predicted) // 400), keep_snapshots=True)
        loss = np.asarray(history.loss)
        below = np.nonzero(loss <= 0.9 * loss[0])[0]
        if history.diverged or below.size == 0:
            gaps.append(float("inf"))
            table.append({"epsilon": eps, "message": history.message, "plateau_end": None})
            continue
        index = int(np.searchsorted(history.record_steps, below[0], side="right") - 1)
        gaps.append(rank_one_gap(history.snapshots[index], history.alignments[index]))
        half = np.nonzero(loss <= 0.5 * loss[0])[0]
        table.append({"epsilon": eps, "plateau_end": int(below[0]),
                      "measured_at_step": int(history.record_steps[index]),
                      "gap": gaps[-1], "alignment": list(map(float, history.alignments[index])),
                      "escape_over_prediction": float(half[0] / predicted) if half.size else None})
        say(f"matrix factorization: eps = {eps:g}, gap {gaps[-1]:.3e} at step {table[-1]['measured_at_step']}")
    return evaluate_matrix_factorization(
        epsilons, gaps, tolerance,
        {"shape": list(shape), "rank": rank, "observed_fraction": observed_fraction, "lr": lr, "seed": seed,
         "effective_t_star": t_star, "table": table},
    )
