r"""Incremental learning of a vector-output network (issue 12; Arora et al. 2019, Fig. 3 style).

A depth-3 tanh network ``d``–``width``–``width``–``outputs`` is trained by GD from weights
:math:`\mathcal N(0,\varepsilon^2)` on a rank-3 linear teacher with singular values
:math:`(3, 2, 1)` and whitened inputs (:mod:`numerics.incremental`). The effective energy of the
vector-output network is the deep matrix factorization energy :math:`\langle M', AW^2W^1\rangle`;
projected on each singular mode it predicts that mode :math:`j` is learnt at
:math:`k_j = T^*_j/(\varepsilon s_j\eta)`: the modes are learnt one after another, in the order of
the singular values.

Panels: (a) the loss with the stage onsets found by the stage detector and the predicted
:math:`k_j`; (b) the singular values of the end-to-end map :math:`AW^2W^1` over training against
those of :math:`M'`.

Check: the detector finds at least 3 descents, and each mode's half-learnt iteration is within
35% of its prediction (the modes couple through the shared :math:`W^2` with overlaps
:math:`O(1/\sqrt m)`, and more once the first modes are large; see docs/theory.md).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from condense.figures._base import FigureResult
from condense.figures._params import require_int, require_range, resolve_parameters

NAME = "incremental_learning"
TITLE = "Vector outputs: incremental learning of the singular modes"
CLAIM = (
    "A vector-output network from small initialization follows the deep matrix factorization energy "
    "⟨M', A W² W¹⟩ and learns the singular modes of M' one after another, mode j at about "
    "T*_j/(ε s_j η) (issue 12)."
)

#: Defaults of ``--quick`` (options given explicitly are kept).
QUICK = {"width": 100, "epsilon": 3e-3}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--epsilon", type=float, default=1e-3, help="init scale: entries N(0, eps^2)")
    parser.add_argument("--width", type=int, default=200, help="hidden width m")
    parser.add_argument("--lr", type=float, default=0.05, help="GD step size")
    parser.add_argument("--n", type=int, default=200, help="number of samples")


def make(out_dir: Path, *, quick: bool = False, seed: int = 0, **params) -> FigureResult:
    import matplotlib.pyplot as plt
    import numpy as np

    from condense.figures._base import apply_style, save_figure
    from numerics.incremental import incremental_learning

    p = resolve_parameters(add_arguments, params, quick=QUICK if quick else None)
    require_range(p, "epsilon", 0.0, 1.0)
    require_int(p, "width", 1)
    require_range(p, "lr", 0.0)
    require_int(p, "n", 6)
    apply_style()
    run = incremental_learning(p["epsilon"], width=p["width"], lr=p["lr"], n=p["n"], seed=seed)
    s = run.target_singular_values
    fig, (ax_loss, ax_sv) = plt.subplots(1, 2, figsize=(12.5, 4.8))
    ax_loss.semilogy(np.arange(len(run.loss)), run.loss, color="black", label="loss")
    colors = plt.cm.viridis(np.linspace(0, 0.8, len(s)))
    for j, onset in enumerate(run.onsets[: len(s)]):
        ax_loss.axvline(onset, color=colors[j], ls=":", lw=1.5,
                        label=f"stage {j + 1} onset (detector) = {onset}")
    for j, k in enumerate(run.predicted):
        ax_loss.axvline(k, color=colors[j], ls="-", lw=0.8,
                        label=f"predicted $k_{j + 1} = T^*_{j + 1}/(\\varepsilon s_{j + 1}\\eta)$ = {k:.0f}")
    ax_loss.set(title="(a) training loss and stages", xlabel="GD iteration", ylabel=r"$R = \frac{1}{2n}\sum\|f - y\|^2$")
    ax_loss.legend(loc="lower left", fontsize=7)
    for j in range(len(s)):
        ax_sv.plot(run.record_steps, run.singular_values[:, j], color=colors[j], lw=1.8,
                   label=f"$\\sigma_{j + 1}(AW^2W^1)$")
        ax_sv.axhline(s[j], color=colors[j], ls="--", lw=0.8)
        ax_sv.axvline(run.predicted[j], color=colors[j], lw=0.8)
    ax_sv.plot([], [], color="gray", ls="--", lw=0.8, label="singular values of $M'$")
    ax_sv.set(title="(b) singular values of the end-to-end map", xlabel="GD iteration", ylabel="singular value")
    ax_sv.legend(loc="center right", fontsize=8)
    fig.suptitle(f"Depth-3 tanh network {run.details['d']}–{p['width']}–{p['width']}–{run.details['outputs']}, "
                 f"rank-3 teacher s = (3, 2, 1), ε = {p['epsilon']:g}, η = {p['lr']:g}")
    paths = save_figure(fig, out_dir, NAME)
    ratios = run.ratios
    checks = {
        "three stages detected": len(run.onsets) >= len(s),
        "each mode within 35% of its prediction": bool(np.all(np.abs(ratios - 1) <= 0.35)),
    }
    rows = "; ".join(f"mode {j + 1} (s = {s[j]:g}): onset {run.onsets[j] if j < len(run.onsets) else 'none'}, "
                     f"half-learnt {run.learnt_at[j]:.0f}, predicted {run.predicted[j]:.0f}, ratio {ratios[j]:.3f}"
                     for j in range(len(s)))
    summary = (f"{rows}. Checks: " + ", ".join(f"{k}: {'yes' if v else 'NO'}" for k, v in checks.items()) + ".")
    return FigureResult(NAME, TITLE, CLAIM, paths, passed=all(checks.values()), summary=summary,
                        params={**p, "steps": run.details["steps"]})
