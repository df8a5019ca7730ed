"""Symbolic theory of condensation (SymPy only). See README "Public API" and docs/theory.md.

Submodules: :mod:`theory.activations`, :mod:`theory.reduced`, :mod:`theory.effective`
(``derive_effective_model``), :mod:`theory.conservation`, :mod:`theory.blowup`,
:mod:`theory.scalar`, :mod:`theory.network` (``Network``), :mod:`theory.report` (the derivation document).
"""

from theory.activations import ACTIVATION_NAMES, activation_expr, multiplicity
from theory.effective import EffectiveModel, derive_effective_model
from theory.network import Network
from theory.reduced import ReducedModel, reduced_model

__all__ = [
    "ACTIVATION_NAMES", "activation_expr", "multiplicity", "ReducedModel", "reduced_model",
    "EffectiveModel", "derive_effective_model", "Network",
]
