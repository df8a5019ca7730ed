r"""The plain NumPy/SciPy reference implementations, in one place.

Every compiled routine of :mod:`numerics` has a slow, obviously-correct twin written with NumPy
array operations (or SciPy's ``solve_ivp``). The tests check the compiled code against these
twins, and the scripts in ``benchmarks/`` time the compiled code against them in the same run.
They take the same arguments and return the same types as the compiled routines:

=============================  =================================================  ==========================
reference                      compiled routine                                   returns
=============================  =================================================  ==========================
:func:`train_network_numpy`    :func:`numerics.training.train_network`            ``TrainingHistory``
:func:`train_factorization_numpy`  :func:`numerics.matrix_factorization.train_factorization`  ``FactorizationHistory``
:func:`chain_field_numpy`      the compiled fields of :mod:`numerics.kernels`      flattened :math:`\nabla E`
:func:`scipy_blowup_time`      :func:`numerics.blowup.blowup_time`                :math:`T^*`
=============================  =================================================  ==========================

The names are imported lazily from the modules that define them (next to the compiled code they
mirror, so a change to one is seen beside the other).
"""

from __future__ import annotations

import importlib

_WHERE = {
    "train_network_numpy": "numerics.training",
    "train_factorization_numpy": "numerics.matrix_factorization",
    "chain_field_numpy": "numerics.blowup",
    "scipy_blowup_time": "numerics.blowup",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'numerics.reference' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_WHERE))
