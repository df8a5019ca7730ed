"""Compiled numerics for condensation: integrators, blow-up times, direct training, sweeps.

Public names are imported lazily from their submodules (so ``import numerics`` does not
compile anything); see README "Public API".
"""

from __future__ import annotations

import importlib

_LAZY = {
    # integrators and blow-up (numerics.integrate, numerics.blowup)
    "integrate_effective": "numerics.integrate",
    "integrate_model": "numerics.integrate",
    "integrate_ensemble": "numerics.integrate",
    "Trajectory": "numerics.integrate",
    "EnsembleResult": "numerics.integrate",
    "blowup_time": "numerics.blowup",
    "blowup_time_deep": "numerics.blowup",
    "naive_blowup_time": "numerics.blowup",
    "BlowupResult": "numerics.blowup",
    # direct training
    "train_network": "numerics.training",
    "TrainingHistory": "numerics.training",
    "train_network_numpy": "numerics.training",
    "init_scale": "numerics.init",
    "data_direction": "numerics.data",
    "gaussian_init": "numerics.init",
    "power_init": "numerics.init",
    "make_dataset": "numerics.data",
    "predict_escape": "numerics.plateau",
    "observed_escape_iteration": "numerics.plateau",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'numerics' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
