r"""Figure 3: deep matrix completion from small initialization (docs/mathematics.md#matrix-factorization).

A rank-``--rank`` matrix :math:`M` (:func:`numerics.matrix_factorization.make_low_rank_matrix`) is
observed on a random mask :math:`\Omega`; the depth-:math:`L` factorization
:math:`X = W^L\cdots W^1` with entries :math:`\mathcal N(0,\varepsilon^2)` is trained by GD on
:math:`\frac12\|P_\Omega(X - M)\|_F^2`.  The effective energy
:math:`E = \langle P_\Omega(M), W^L\cdots W^1\rangle` blows up at :math:`T^*(\bar W_0)`
(:func:`numerics.matrix_factorization.effective_blowup`), predicting the escape at iteration
:math:`T^*/(\varepsilon^{L-2}\eta)`, with every factor rank one and the product aligned with the top
singular pair of :math:`P_\Omega(M)`: the low-rank bias is the condensation mechanism.

Panels: loss with predicted/observed escape; the singular values of :math:`X` over training (the
largest one jumps first, the next ones one by one); the spectrum at initialization, at the first
escape and at the end, against the singular values of :math:`M`.

Check: observed/predicted escape within 20%; at the first escape the product is rank one
(:math:`\sigma_2/\sigma_1 < 0.01`) and aligned with the top singular pair of :math:`P_\Omega(M)`
(both cosines :math:`> 0.95`); at the end its numerical rank (:math:`\sigma_k > 10^{-2}\sigma_1`)
equals the rank of :math:`M`.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path


from condense.figures._base import FigureResult
from condense.figures._params import require_int, require_range, resolve_parameters

NAME = "matrix_factorization"
TITLE = "Deep matrix completion: plateau, rank-one escape and low-rank bias"
CLAIM = (
    "Deep matrix factorization from small initialization follows the effective energy ⟨P_Ω(M), W^L⋯W^1⟩, "
    "which blows up at T* with every factor rank one and the product aligned with the top singular pair "
    "of P_Ω(M): training escapes at T*/(ε^(L−2)η) and learns a low-rank matrix (docs/mathematics.md#matrix-factorization)."
)


#: Defaults of ``--quick`` (options given explicitly are kept).
QUICK = {"epsilon": 1e-2}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--size", type=int, default=10, help="M is size x size")
    parser.add_argument("--rank", type=int, default=2, help="rank of M")
    parser.add_argument("--observed", type=float, default=0.6, help="fraction of observed entries")
    parser.add_argument("--depth", type=int, default=3, help="number of factors L >= 3")
    parser.add_argument("--epsilon", type=float, default=1e-3, help="init scale: entries N(0, eps^2)")
    parser.add_argument("--lr", type=float, default=0.05, help="GD step size")
    parser.add_argument("--steps-factor", type=float, default=6.0,
                        help="train for this multiple of the predicted escape iteration")


def make(out_dir: Path, *, quick: bool = False, seed: int = 0, **params) -> FigureResult:
    import numpy as np
    import matplotlib.pyplot as plt

    from condense.figures._base import apply_style, save_figure
    from numerics import observed_escape_iteration
    from numerics.matrix_factorization import (
        effective_blowup, init_factors, make_low_rank_matrix, random_mask, train_factorization,
    )

    p = resolve_parameters(add_arguments, params, quick=QUICK if quick else None)
    _validate(p)
    apply_style()
    shape = (p["size"], p["size"])
    M = make_low_rank_matrix(shape, rank=p["rank"], seed=seed)
    mask = random_mask(shape, p["observed"], seed=seed)
    target = np.where(mask, M, 0.0)
    factors = init_factors(shape, p["depth"], p["epsilon"], seed=seed)
    blowup = effective_blowup([f / p["epsilon"] for f in factors], target)
    if not blowup.blew_up:
        raise RuntimeError(f"effective flow: {blowup.message}")
    predicted = blowup.t_star / (p["epsilon"] ** (p["depth"] - 2) * p["lr"])
    steps = int(math.ceil(p["steps_factor"] * predicted))
    history = train_factorization(M, mask, factors, lr=p["lr"], steps=steps, record_every=max(1, steps // 400))
    if history.diverged:
        raise RuntimeError(f"training: {history.message}")
    loss = history.loss
    observed = observed_escape_iteration(loss)
    ratio = observed / predicted if observed is not None else math.nan
    k_escape = int(np.argmin(np.abs(history.record_steps - (observed if observed is not None else steps))))
    sv = history.singular_values
    sv_escape, sv_end = sv[k_escape], sv[-1]
    cosines = history.alignments[k_escape]
    rank_one_ratio = sv_escape[1] / sv_escape[0]
    numerical_rank = int(np.sum(sv_end > 1e-2 * sv_end[0]))
    unobserved = ~mask
    completion_error = (np.linalg.norm((history_product(history) - M)[unobserved]) / np.linalg.norm(M[unobserved])
                        if unobserved.any() else math.nan)
    checks = {
        "escape ratio within 20%": math.isfinite(ratio) and abs(ratio - 1) <= 0.2,
        "rank one at escape": rank_one_ratio < 1e-2,
        "aligned at escape": min(cosines) > 0.95,
        "final rank = rank M": numerical_rank == p["rank"],
    }
    sv_M = np.linalg.svd(M, compute_uv=False)

    fig, (ax_loss, ax_sv, ax_spec) = plt.subplots(1, 3, figsize=(15.0, 4.8))
    ax_loss.semilogy(np.arange(len(loss)), loss, color="black", label=r"loss $\frac{1}{2}\|P_\Omega(X - M)\|_F^2$")
    ax_loss.axvline(predicted, color="tab:red", label=f"predicted escape $T^*/(\\varepsilon^{{{p['depth'] - 2}}}\\eta)$ = {predicted:.0f}")
    if observed is not None:
        ax_loss.axvline(observed, color="tab:blue", ls=":", label=f"observed (loss halved) = {observed}")
    ax_loss.set(title="(a) training loss", xlabel="GD iteration", ylabel="loss")
    ax_loss.legend(loc="lower left")
    show = min(sv.shape[1], p["rank"] + 3)
    colors = plt.cm.viridis(np.linspace(0, 0.9, show))
    for j in range(show):
        ax_sv.semilogy(history.record_steps, sv[:, j], color=colors[j], lw=2.0 if j == 0 else 1.2,
                       label=f"$\\sigma_{j + 1}(X)$" + (" (largest)" if j == 0 else ""))
    for j, value in enumerate(sv_M[: p["rank"]]):
        ax_sv.axhline(value, color="gray", ls="--", lw=1, label="singular values of M" if j == 0 else None)
    ax_sv.axvline(predicted, color="tab:red", lw=1)
    ax_sv.set(title=r"(b) singular values of $X = W^L\cdots W^1$", xlabel="GD iteration", ylabel="singular value")
    ax_sv.legend(loc="lower right", fontsize=7)
    index = np.arange(1, sv.shape[1] + 1)
    ax_spec.semilogy(index, sv[0], "o", color="0.5", mfc="none", label="initialization")
    ax_spec.semilogy(index, sv_escape, "s", color="tab:orange", label=f"first escape (iteration {history.record_steps[k_escape]})")
    ax_spec.semilogy(index, sv_end, "o", color="tab:blue", label=f"end (iteration {history.record_steps[-1]})")
    # M as large hollow diamonds: the end spectrum, which should match it, stays visible inside
    ax_spec.semilogy(index[: p["rank"]], sv_M[: p["rank"]], "D", color="black", mfc="none", ms=13, mew=1.5,
                     label="M", zorder=1)
    ax_spec.set(title="(c) spectrum before and after", xlabel="index k", ylabel=r"$\sigma_k$")
    ax_spec.set_xticks(index)
    legend = ax_spec.legend(loc="upper right", fontsize=7)
    legend.legend_handles[-1].set_markersize(8)  # M's marker at the size of the others in the legend
    fig.suptitle(f"Depth-{p['depth']} completion of a rank-{p['rank']} {p['size']}×{p['size']} matrix from "
                 f"{p['observed']:.0%} of its entries, ε = {p['epsilon']:g}, η = {p['lr']:g}")
    paths = save_figure(fig, out_dir, NAME)
    summary = (
        f"Predicted escape {predicted:.1f} (T* = {blowup.t_star:.6g}), observed {observed}, ratio {ratio:.4f}. "
        f"At the first escape σ₂/σ₁ = {rank_one_ratio:.2e} and the cosines with the top singular pair of P_Ω(M) are "
        f"{cosines[0]:.4f}, {cosines[1]:.4f} (the limit direction of the effective flow: "
        f"{blowup.alignment[0]:.6f}, {blowup.alignment[1]:.6f}). Final numerical rank {numerical_rank} "
        f"(rank M = {p['rank']}), final loss {loss[-1]:.3g}, relative error on the unobserved entries "
        f"{completion_error:.3g}. Checks: " + ", ".join(f"{k}: {'yes' if v else 'NO'}" for k, v in checks.items()) + "."
    )
    return FigureResult(NAME, TITLE, CLAIM, paths, passed=all(checks.values()), summary=summary,
                        params={**p, "steps": steps})


def history_product(history) -> np.ndarray:
    """The final product :math:`W^L\\cdots W^1` of a factorization history."""
    from numerics.matrix_factorization import product

    return product(history.factors)



def _validate(p: dict) -> None:
    require_int(p, "size", 2)
    require_int(p, "rank", 1)
    if p["rank"] > p["size"]:
        raise ValueError(f"rank: must be <= size = {p['size']}, got {p['rank']!r}")
    require_range(p, "observed", 0.0, 1.0, closed_high=True)
    require_int(p, "depth", 3)  # depth 2 has a linear effective flow: no blow-up
    require_range(p, "epsilon", 0.0, 1.0)
    require_range(p, "lr", 0.0)
    require_range(p, "steps_factor", 1.0)
