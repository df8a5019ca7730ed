"""Symbolic theory of condensation (SymPy only). See README "Public API"."""

from theory.activations import ACTIVATION_NAMES, activation_expr, multiplicity
from theory.reduced import ReducedModel, reduced_model

__all__ = ["ACTIVATION_NAMES", "activation_expr", "multiplicity", "ReducedModel", "reduced_model"]
