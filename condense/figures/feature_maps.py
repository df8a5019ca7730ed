r"""Figure 6: two-layer feature maps :math:`(\theta_k, A_k)` over training, and the multiplicity demo.

(a) Two-layer tanh network on one-dimensional data with a bias, :math:`h(x) = \sum_k a_k
\tanh(w_k x + b_k)` (the input is augmented with a constant 1, so the first layer is
:math:`W^1 = [w\;b]`), trained by GD from small initialization.  Each neuron is drawn at its
orientation :math:`\theta_k = \operatorname{sign}(b_k)\arccos(w_k/\sqrt{w_k^2+b_k^2})` and
amplitude :math:`A_k = |a_k|\sqrt{w_k^2+b_k^2}` (docs/mathematics.md#one-dimensional-features) at four moments of training.

(b) Multiplicity (docs/mathematics.md#multiplicity): for an activation of multiplicity :math:`p` the leading-order
dynamics of a neuron is the gradient flow of :math:`a_k\,r_k^p\,g_p(\phi_k)` with

.. math:: g_p(\phi) = \frac{1}{n}\sum_i y_i\,(\hat w(\phi)^\top x_i)^p, \qquad \hat w(\phi) = (\cos\phi, \sin\phi),

so the input weights that grow condense on the directions of the positive maxima of
:math:`g_p` (and their antipodes, :math:`a_k < 0`): at most :math:`p` lines, i.e. :math:`2p`
orientations.  The demo trains tanh (:math:`p = 1`), :math:`x\tanh x` (:math:`p = 2`) and
:math:`x^2\tanh x` (:math:`p = 3`) networks on inputs on the unit circle with target
:math:`y = \cos(p\psi)`, for which :math:`g_p \propto \cos(p\phi)` has exactly :math:`p` lines of
maxima; the check counts the lines the largest neurons occupy and compares count and angles with
the maxima of :math:`g_p` computed from the data.
"""

from __future__ import annotations

import argparse
from pathlib import Path


from condense.figures._base import FigureResult
from condense.figures._params import require_int, require_range, resolve_parameters

NAME = "feature_maps"
TITLE = "Two-layer feature maps and the multiplicity of the activation"
CLAIM = (
    "Small initialization makes the input weights of a two-layer network condense on isolated "
    "orientations (docs/mathematics.md#one-dimensional-features); an activation of multiplicity p condenses them on at most p lines "
    "(2p orientations) at the initial stage, here attained: tanh 1 line, x·tanh 2, x²·tanh 3 (docs/mathematics.md#multiplicity)."
)

MULTIPLICITY_ACTIVATIONS = (("tanh", 1), ("xtanh", 2), ("x2tanh", 3))
#: How the activations above are written in the figure and the table (their registry names are terse).
DISPLAY_NAMES = {"tanh": "tanh(x)", "xtanh": "x·tanh(x)", "x2tanh": "x²·tanh(x)"}


#: Defaults of ``--quick`` (options given explicitly are kept).
QUICK = {"width": 60, "n": 24, "steps": 3000}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--width", type=int, default=200, help="hidden neurons m (both parts)")
    parser.add_argument("--n", type=int, default=40, help="data points (both parts)")
    parser.add_argument("--epsilon", type=float, default=1e-4, help="init scale of part (a): entries N(0, eps^2)")
    parser.add_argument("--lr", type=float, default=0.2, help="GD step size of part (a)")
    parser.add_argument("--demo-lr", type=float, default=0.5, help="GD step size of the demo")
    parser.add_argument("--steps", type=int, default=12000, help="GD steps of part (a)")
    parser.add_argument(
        "--demo-epsilons", type=float, nargs=3, default=[1e-4, 1e-2, 3e-2], metavar=("E1", "E2", "E3"),
        help="init norm of every neuron in the demo, for tanh, x*tanh, x^2*tanh",
    )
    parser.add_argument("--demo-max-steps", type=int, default=40000, help="step cap of each demo run")
    parser.add_argument(
        "--demo-loss-drop", type=float, default=0.01,
        help="the demo stops at the end of the initial stage: when the loss has fallen by this fraction",
    )


def circle_data(p: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    r"""Inputs :math:`x_i = (\cos\psi_i, \sin\psi_i)` on the unit circle (:math:`\psi_i` evenly spaced,
    offset 0.1) and target :math:`y_i = \cos(p\psi_i)`."""
    import numpy as np
    psi = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False) + 0.1
    return np.column_stack([np.cos(psi), np.sin(psi)]), np.cos(p * psi)


def predicted_lines(X: np.ndarray, y: np.ndarray, p: int, grid: int = 7200) -> list[float]:
    r"""Angles in :math:`[0, \pi)` of the lines through the positive local maxima of
    :math:`g_p(\phi) = \frac1n\sum_i y_i(\hat w(\phi)^\top x_i)^p` (for even :math:`p` also the lines
    through the negative minima, which the neurons with :math:`a_k < 0` climb to)."""
    import numpy as np
    phi = np.linspace(0.0, 2.0 * np.pi, grid, endpoint=False)
    g = (np.column_stack([np.cos(phi), np.sin(phi)]) @ X.T) ** p @ y / len(y)
    peak = (g > np.roll(g, 1)) & (g > np.roll(g, -1)) & (g > 1e-9 * np.abs(g).max())
    valley = (g < np.roll(g, 1)) & (g < np.roll(g, -1)) & (g < -1e-9 * np.abs(g).max())
    angles = np.mod(phi[peak | valley], np.pi)
    lines: list[float] = []
    for angle in np.sort(angles):
        if not any(_line_distance(angle, other) < 1e-2 for other in lines):
            lines.append(float(angle))
    return lines


def _line_distance(a: float, b: float) -> float:
    import numpy as np
    d = abs(np.mod(a - b, np.pi))
    return float(min(d, np.pi - d))


def equal_norm_init(m: int, epsilon: float, seed: int) -> list[np.ndarray]:
    r"""Every neuron starts with :math:`\|w_k\| = |a_k| = \varepsilon`, :math:`w_k` in a uniformly random
    direction and :math:`a_k = \pm\varepsilon` (random sign).  With Gaussian norms the neuron with the
    largest initial norm blows up long before the others (finite-time blow-up for :math:`p \ge 2`) and
    a single neuron wins; equal norms let all maxima of :math:`g_p` be reached at the same time."""
    import numpy as np
    rng = np.random.default_rng(seed)
    phi = rng.uniform(0.0, 2.0 * np.pi, m)
    return [epsilon * np.column_stack([np.cos(phi), np.sin(phi)]), epsilon * rng.choice([-1.0, 1.0], m)]


def train_initial_stage(X, y, weights, activation: str, lr: float, max_steps: int, loss_drop: float, chunk: int = 500):
    """GD until the loss has fallen by ``loss_drop`` (relative) or ``max_steps``; returns
    ``(weights, steps, loss_curve)``."""
    import numpy as np
    from numerics import train_network

    losses: list[np.ndarray] = []
    done = 0
    loss0 = None
    while done < max_steps:
        history = train_network(
            X, y, weights, activation=activation, lr=lr, steps=min(chunk, max_steps - done), record_every=1
        )
        if history.diverged:
            raise RuntimeError(f"{activation}: {history.message}")
        loss0 = history.loss[0] if loss0 is None else loss0
        below = np.flatnonzero(history.loss < (1.0 - loss_drop) * loss0)
        if below.size:  # loss[k] is the loss of snapshot k (before update k)
            k = int(below[0])
            losses.append(history.loss[: k + 1])
            weights, done = history.snapshots[k], done + k
            break
        losses.append(history.loss)
        weights = history.weights
        done += history.steps_done
    return weights, done, np.concatenate(losses)


def top_neurons(amplitude: np.ndarray, share: float = 0.9) -> np.ndarray:
    r"""Indices of the largest neurons that together hold ``share`` of :math:`\sum_k A_k^2`."""
    import numpy as np
    order = np.argsort(-amplitude)
    cumulative = np.cumsum(amplitude[order] ** 2) / np.sum(amplitude**2)
    return order[: int(np.searchsorted(cumulative, share)) + 1]


def make(out_dir: Path, *, quick: bool = False, seed: int = 0, **params) -> FigureResult:
    import numpy as np
    import matplotlib.pyplot as plt

    from condense.figures._base import apply_style, save_figure
    from condense.figures._plotting import count_orientation_lines
    from numerics import gaussian_init, make_dataset, train_network
    from numerics.two_layer import feature_map

    p = resolve_parameters(add_arguments, params, quick=QUICK if quick else None)
    _validate(p)
    apply_style()

    # (a) feature maps over training: 1-d input with a bias column, tanh, Gaussian small init
    x, y = make_dataset("1d", n=p["n"], seed=seed)
    X = np.column_stack([x[:, 0], np.ones(len(x))])
    weights = gaussian_init((2, p["width"]), p["epsilon"], seed=seed)
    history = train_network(X, y, weights, activation="tanh", lr=p["lr"], steps=p["steps"], record_every=max(1, p["steps"] // 400))
    if history.diverged:
        raise RuntimeError(f"feature maps: {history.message}")
    moments = _moments(history.loss, history.record_steps)
    fig_a = plt.figure(figsize=(13.0, 7.0))
    grid = fig_a.add_gridspec(2, 3)
    axes = [fig_a.add_subplot(grid[:, 0])] + [fig_a.add_subplot(grid[r, c]) for r in (0, 1) for c in (1, 2)]
    axes[0].semilogy(np.arange(len(history.loss)), history.loss, color="black")
    axes[0].set_xscale("symlog", linthresh=10)
    axes[0].set(title="training loss (dotted: the four snapshots)", xlabel="GD iteration", ylabel="loss")
    for ax, (label, k) in zip(axes[1:], moments):
        W1, a = history.snapshots[k]
        theta, amp = feature_map(W1, a)
        ax.scatter(theta, amp, c=np.where(a > 0, "tab:red", "tab:blue"), s=10)
        ax.set_yscale("log")
        ax.set_xlim(-np.pi, np.pi)
        ax.set_xticks(np.linspace(-np.pi, np.pi, 5), ["−π", "−π/2", "0", "π/2", "π"])
        ax.set(title=f"{label} (iteration {history.record_steps[k]})", xlabel=r"orientation $\theta_k$",
               ylabel=r"amplitude $|a_k|\sqrt{w_k^2+b_k^2}$")
        axes[0].axvline(history.record_steps[k], color="gray", ls=":", lw=1)
    axes[1].scatter([], [], c="tab:red", s=10, label=r"$a_k>0$")
    axes[1].scatter([], [], c="tab:blue", s=10, label=r"$a_k<0$")
    axes[1].legend(loc="lower right")
    fig_a.suptitle(f"(a) Feature maps of a two-layer tanh network, 1-d input with bias (m={p['width']}, ε={p['epsilon']:g})")
    paths = save_figure(fig_a, out_dir, "feature_maps")
    # check of (a): after the initial condensation the large neurons lie on the line of v' (p = 1)
    W1, a = history.snapshots[moments[2][1]]
    theta, amp = feature_map(W1, a)
    top = top_neurons(amp)
    count_a, centres_a = count_orientation_lines(theta[top], amp[top])
    expected_a = predicted_lines(X, y, 1)
    ok_a = count_a == 1 and _line_distance(centres_a[0], expected_a[0]) < 0.2

    # (b) multiplicity demo
    fig_b, polar_axes = plt.subplots(1, 3, figsize=(13.0, 5.6), subplot_kw={"projection": "polar"})
    rows, all_ok = [], ok_a
    for ax, (activation, mult), eps in zip(polar_axes, MULTIPLICITY_ACTIVATIONS, p["demo_epsilons"]):
        Xc, yc = circle_data(mult, p["n"])
        start = equal_norm_init(p["width"], eps, seed)
        final, steps, _ = train_initial_stage(
            Xc, yc, start, activation, p["demo_lr"], p["demo_max_steps"], p["demo_loss_drop"]
        )
        theta, amp = feature_map(final[0], final[1])
        top = top_neurons(amp)
        count, centres = count_orientation_lines(theta[top], amp[top])
        expected = predicted_lines(Xc, yc, mult)
        matched = count == len(expected) and all(min(_line_distance(c, e) for c in centres) < 0.2 for e in expected)
        all_ok &= matched
        rows.append(f"| {DISPLAY_NAMES.get(activation, activation)} (`{activation}`) | {mult} | {len(expected)} | {count} | "
                    f"{_degrees(centres)} | {_degrees(expected)} | {steps} | {len(top)} |")
        scale = amp / amp.max()
        others = np.setdiff1d(np.arange(len(amp)), top)
        ax.scatter(theta[others], scale[others], s=6, color="0.6", label="other neurons")
        ax.scatter(theta[top], scale[top], s=14, color="tab:red", label="largest neurons (90% of ΣA²)")
        for e in expected:
            ax.plot([e, e], [0, 1.05], color="black", ls="--", lw=1)
            ax.plot([e + np.pi, e + np.pi], [0, 1.05], color="black", ls="--", lw=1)
        ax.set_ylim(0, 1.05)
        ax.set_title(f"σ = {DISPLAY_NAMES.get(activation, activation)}, multiplicity p = {mult}\n{count} line(s) found, {len(expected)} predicted", pad=18)
        ax.set_xlabel(r"orientation $\theta_k$ (angle), amplitude $A_k/\max_j A_j$ (radius)")
    handles, labels = polar_axes[0].get_legend_handles_labels()
    handles.append(plt.Line2D([], [], color="black", ls="--", lw=1))
    labels.append("predicted lines (maxima of $g_p$)")
    fig_b.legend(handles, labels, loc="outside lower center", ncol=3)
    fig_b.suptitle(f"(b) Multiplicity demo: input weights at the end of the initial stage (m={p['width']}, target cos(pψ))")
    paths += save_figure(fig_b, out_dir, "multiplicity")

    summary = (
        "(a) Feature maps (θ_k, A_k) of a tanh network on 1-d data with bias at initialization, on the "
        "plateau, after the initial condensation and at the end of training. Check (a): after the initial "
        f"condensation the largest neurons ({len(top)}) lie on {count_a} line(s) at {_degrees(centres_a)}, "
        f"the line of v' = mean y_i (x_i, 1) is at {_degrees(expected_a)}: {'yes' if ok_a else 'NO'}. "
        "(b) Multiplicity demo at the "
        f"end of the initial stage (loss fallen by {p['demo_loss_drop']:.0%}); lines counted among the "
        "largest neurons (holding 90% of ΣA_k²), clusters at most 0.3 rad wide, matched to the maxima of "
        "g_p within 0.2 rad:\n\n"
        "| activation | p | lines predicted | lines found | found at | predicted at | GD steps | neurons counted |\n"
        "| --- | --- | --- | --- | --- | --- | --- | --- |\n" + "\n".join(rows)
    )
    return FigureResult(NAME, TITLE, CLAIM, paths, passed=bool(all_ok), summary=summary, params=dict(p))


def _moments(loss: np.ndarray, record_steps: np.ndarray) -> list[tuple[str, int]]:
    """Snapshot indices: initialization, mid-plateau, after the first loss drop, end of training."""
    import numpy as np
    from numerics.plateau import observed_escape_iteration

    escape = observed_escape_iteration(loss)
    escape = int(escape) if escape is not None else len(loss) // 2
    wanted = [("initialization", 0), ("plateau", escape // 2), ("initial condensation", escape),
              ("end of training", int(record_steps[-1]))]
    return [(label, int(np.argmin(np.abs(record_steps - step)))) for label, step in wanted]


def _degrees(angles: list[float]) -> str:
    """Line angles in degrees in [0, 180), e.g. ``0°, 60°, 120°``."""
    import numpy as np
    return ", ".join(f"{round(np.degrees(a)) % 180}°" for a in angles) or "–"



def _validate(p: dict) -> None:
    for key in ("width", "n", "steps", "demo_max_steps"):
        require_int(p, key, 2)
    for key in ("epsilon", "lr", "demo_lr"):
        require_range(p, key, 0.0)
    if len(p["demo_epsilons"]) != 3 or not all(e > 0 for e in p["demo_epsilons"]):
        raise ValueError(f"demo_epsilons: need three values > 0, got {p['demo_epsilons']!r}")
    require_range(p, "demo_loss_drop", 0.0, 1.0)
