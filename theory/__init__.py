"""Symbolic theory of condensation (SymPy only). See README "Public API" and docs/theory.md.

Submodules: :mod:`theory.activations`, :mod:`theory.reduced`, :mod:`theory.network` (``Network``), :mod:`theory.effective`
(``derive_effective_model``), :mod:`theory.conservation`, :mod:`theory.blowup`,
:mod:`theory.final_stage`, :mod:`theory.scalar`, :mod:`theory.report` (the derivation document),
and the ground floor :mod:`theory.ground` (standard library only).

Names are imported lazily, so that ``import theory.ground`` (used by every layer) does not import
SymPy.
"""

from __future__ import annotations

import importlib

_LAZY = {
    "ACTIVATION_NAMES": "theory.activations",
    "activation_expr": "theory.activations",
    "multiplicity": "theory.activations",
    "ReducedModel": "theory.reduced",
    "reduced_model": "theory.reduced",
    "EffectiveModel": "theory.effective",
    "derive_effective_model": "theory.effective",
    "Network": "theory.network",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is not None:
        value = getattr(importlib.import_module(module), name)
    else:
        try:
            value = importlib.import_module(f"theory.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"theory.{name}":
                raise
            raise AttributeError(f"module 'theory' has no attribute {name!r}") from None
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
