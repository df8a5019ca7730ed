r"""General networks (several outputs, biases, per-layer activations): predicted against observed
plateau escape, the logarithmic plateau of a hidden bias, and the conservation laws of the new
effective flows.

* :func:`check_general_escape`: for a 10-output depth-3 tanh network (target
  :math:`y = \sin(B^\top x)`, :math:`B` a seeded 3×10 matrix), a depth-3 network with first-layer
  biases, and a depth-3 network with tanh then sin, the escape iteration predicted by
  ``numerics.predict_escape`` (chain energy :math:`\langle\bar M, A W^2\tilde W^1\rangle`, blow-up
  time :math:`T^*` from the deep matrix factorization code, :math:`k^* = T^*/(C\varepsilon\|M'\|_2\eta)`)
  against the first iteration with loss below half its initial value: within 2% at
  :math:`\varepsilon = 10^{-3}`, the error decreasing as :math:`\varepsilon` decreases.
* :func:`check_bias_log_plateau`: a depth-3 tanh network with a bias in the second hidden layer
  and a target of mean :math:`\bar y \ne 0`: the expansion's leading term is
  :math:`\varepsilon^2\,\sigma'(0)\,a^\top b^2\,\bar y` (order 2, :math:`x`-independent), so the
  effective flow is linear and the plateau is :math:`k^* \approx \log(1/\varepsilon)/\log(1 + \kappa\eta)
  + C`, :math:`\kappa = \sigma'(0)|\bar y|`: linear in :math:`\log(1/\varepsilon)` with that slope (not
  the power law :math:`\varepsilon^{-1}` of the bias-free network).
* :func:`check_general_conservation`: the balancedness laws of :func:`theory.network.network_conservation_laws`
  for each family, proved symbolically (the time derivative expands to the zero matrix).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from verify.checks.plateau import (ESCAPE_TOLERANCE, SCALING_TOLERANCE, _check_epsilons, _escape_table,
                                   evaluate_plateau_escape, evaluate_plateau_scaling)
from verify.progress import as_progress
from verify.result import CheckResult

#: The three families of issue 12's escape check: name -> (weights shapes after the data, activation).
FAMILIES = ("vector_output", "first_layer_bias", "tanh_sin")


def general_problem(family: str, n: int = 40, input_dim: int = 3, width: int = 20, outputs: int = 10,
                    seed: int = 0):
    """``(X, Y, base weights of unit scale, activation)`` for one of :data:`FAMILIES` (seeded)."""
    import numerics

    if family not in FAMILIES:
        raise ValueError(f"family: unknown {family!r}; allowed: {', '.join(FAMILIES)}")
    X, y = numerics.make_dataset("default", n=n, d=input_dim, seed=seed)
    rng = np.random.default_rng(seed + 1)
    if family == "vector_output":
        B = rng.standard_normal((input_dim, outputs)) / np.sqrt(input_dim)
        y = np.sin(X @ B)
        shapes = [(width, input_dim), (width, width), (outputs, width)]
    elif family == "first_layer_bias":
        shapes = [(width, input_dim), (width,), (width, width), (width,)]
    else:
        shapes = [(width, input_dim), (width, width), (width,)]
    r = np.random.default_rng(seed)
    base = [r.standard_normal(shape) for shape in shapes]
    return X, y, base, (("tanh", "sin") if family == "tanh_sin" else "tanh")


def check_general_escape(family: str = "vector_output", epsilons: Sequence[float] = (1e-2, 3e-3, 1e-3),
                         lr: float = 0.1, seed: int = 0, tolerance: float = ESCAPE_TOLERANCE,
                         progress=False) -> CheckResult:
    r"""Predicted vs observed first escape for one of :data:`FAMILIES` (module docstring)."""
    epsilons = _check_epsilons(epsilons, 1)
    say = as_progress(progress)
    X, y, base, activation = general_problem(family, seed=seed)
    predicted, observed = _escape_table(X, y, base, epsilons, lr, say, f"escape {family}", activation)
    result = evaluate_plateau_escape(epsilons, predicted, observed, tolerance,
                                     {"family": family, "lr": lr, "seed": seed, "activation": str(activation),
                                      "shapes": [list(w.shape) for w in base]})
    result.name = f"general_escape_{family}"
    return result


def check_bias_log_plateau(epsilons: Sequence[float] = (1e-2, 1e-3, 1e-4, 1e-5, 1e-6), width: int = 20,
                           lr: float = 0.1, seed: int = 0, tolerance: float = SCALING_TOLERANCE,
                           progress=False) -> CheckResult:
    r"""Plateau of a depth-3 tanh network with a bias in the second hidden layer, target
    :math:`1 + \tfrac12\sin(\beta^\top x)`: slope of :math:`k^*` against :math:`\log(1/\varepsilon)`
    within ``tolerance`` of :math:`1/\log(1 + |\bar y|\eta)` (module docstring)."""
    import numerics

    epsilons = _check_epsilons(epsilons, 3)
    say = as_progress(progress)
    X, y = numerics.make_dataset("default", n=40, d=3, seed=seed)
    y = 1.0 + 0.5 * y
    r = np.random.default_rng(seed)
    base = [r.standard_normal(shape) for shape in [(width, 3), (width, width), (width,), (width,)]]
    predicted, observed = _escape_table(X, y, base, epsilons, lr, say, "hidden-bias plateau")
    slope = 1.0 / np.log1p(abs(float(np.mean(y))) * lr)
    result = evaluate_plateau_scaling(2, epsilons, observed, slope, tolerance, {
        "lr": lr, "seed": seed, "mean_target": float(np.mean(y)), "predicted_escape": predicted,
        "observed_over_predicted": (np.asarray(observed) / np.asarray(predicted)).tolist(),
        "power_law_exponent": float(np.polyfit(np.log(1 / np.asarray(epsilons)), np.log(observed), 1)[0])
        if np.all(np.isfinite(observed)) else float("nan"),
    })
    result.name = "bias_log_plateau"
    result.details["criterion"] = ("|fitted slope of k* vs log(1/eps) / (1/log(1 + |ybar| lr)) - 1| <= tolerance "
                                   "(a power law eps^-1 would give a slope growing like 1/eps)")
    return result


def check_general_conservation(widths: tuple[int, ...] = (2, 2), input_dim: int = 2, seed: int = 0,
                               progress=False) -> CheckResult:
    r"""Balancedness laws of the effective flows of the general families (several outputs, each bias
    layout, tanh then sin), proved symbolically for the given widths; measured: number not proved.
    (``seed`` is accepted like every check's; nothing here is random.)"""
    from theory.effective import derive_effective_model
    from theory.network import Network, network_conservation_laws

    say = as_progress(progress)
    depth = len(widths) + 1
    networks = {"3 outputs": Network(input_dim, widths, 3), "tanh, sin": Network(input_dim, widths, 1, ("tanh", "sin"))}
    for layer in range(depth):
        networks[f"bias in layer {layer + 1}"] = Network(input_dim, widths, 1, "tanh",
                                                         tuple(k == layer for k in range(depth)))
    networks["3 outputs, all biases"] = Network(input_dim, widths, 3, "tanh", True)
    table, failures = [], 0
    for name, network in networks.items():
        laws = network_conservation_laws(derive_effective_model(network=network))
        proved = sum(law.proved for law in laws)
        failures += len(laws) - proved
        table.append({"network": name, "laws": len(laws), "proved": proved})
        say(f"conservation {name}: {proved}/{len(laws)} proved")
    return CheckResult("general_conservation", failures == 0, float(failures), 0.0,
                       {"criterion": "every balancedness law's time derivative expands to zero", "widths": list(widths),
                        "table": table})
