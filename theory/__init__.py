"""Symbolic theory of condensation (SymPy only). See README "Public API" and docs/theory.md.

Submodules: :mod:`theory.activations`, :mod:`theory.reduced`, :mod:`theory.effective`
(``derive_effective_model``), :mod:`theory.conservation`, :mod:`theory.blowup`,
:mod:`theory.scalar`, :mod:`theory.network` (``Network``), :mod:`theory.report` (the derivation document).

The public names below are imported lazily from their submodules, so that importing
``theory.ground`` (the standard-library ground floor every layer uses) does not load SymPy.
"""

from __future__ import annotations

import importlib

_LAZY = {
    "ACTIVATION_NAMES": "theory.activations",
    "activation_expr": "theory.activations",
    "multiplicity": "theory.activations",
    "EffectiveModel": "theory.effective",
    "derive_effective_model": "theory.effective",
    "Network": "theory.network",
    "ReducedModel": "theory.reduced",
    "reduced_model": "theory.reduced",
}

__all__ = [
    "ACTIVATION_NAMES", "activation_expr", "multiplicity", "ReducedModel", "reduced_model",
    "EffectiveModel", "derive_effective_model", "Network",
]


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'theory' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
