"""Symbolic theory of condensation (SymPy only). See README "Public API" and docs/theory.md.

Submodules: :mod:`theory.activations`, :mod:`theory.reduced`, :mod:`theory.network`,
:mod:`theory.effective` (``derive_effective_model``), :mod:`theory.conservation`,
:mod:`theory.blowup`, :mod:`theory.scalar`, :mod:`theory.report` (the derivation document);
:mod:`theory.expressions` (the whitelist parser for user text) and :mod:`theory.ground` (the
standard-library ground floor every layer imports).

Public names are imported lazily from their submodules, so that ``import theory.ground`` (which
``numerics`` does at import) does not load SymPy.
"""

from __future__ import annotations

import importlib

_LAZY = {
    "ACTIVATION_NAMES": "theory.activations",
    "activation_expr": "theory.activations",
    "multiplicity": "theory.activations",
    "ReducedModel": "theory.reduced",
    "reduced_model": "theory.reduced",
    "Network": "theory.network",
    "EffectiveModel": "theory.effective",
    "derive_effective_model": "theory.effective",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'theory' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
