"""Theorem verification for condensation theory (issue 4).

Each check is a function returning a :class:`CheckResult` ``(name, passed, measured, tolerance,
details)``; :func:`run_all` runs them all (``condense verify``). Public Hypothesis strategies
for users' own test suites live in :mod:`verify.strategies`. See docs/verify.md.

Names are imported lazily so that ``import verify`` stays cheap.
"""

from __future__ import annotations

import importlib

_LAZY = {
    "CheckResult": "verify.result",
    "run_all": "verify.runner",
    "format_table": "verify.runner",
    "CHECKS": "verify.runner",
    "check_conservation": "verify.checks.conservation",
    "check_blowup_bounds": "verify.checks.blowup",
    "check_blowup_scalar": "verify.checks.blowup",
    "check_blowup_rate": "verify.checks.blowup",
    "check_final_stage_effective": "verify.checks.final_stage",
    "check_final_stage_direct": "verify.checks.final_stage",
    "check_plateau_escape": "verify.checks.plateau",
    "check_plateau_scaling": "verify.checks.plateau",
    "check_effective_vs_direct": "verify.checks.effective_direct",
    "check_matrix_factorization": "verify.checks.matrix_factorization",
}

__all__ = sorted(_LAZY) + ["strategies", "measures", "conjecture"]


def __getattr__(name: str):
    if name in ("strategies", "measures", "instances", "conjecture"):
        module = importlib.import_module(f"verify.{name}")
        globals()[name] = module
        return module
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'verify' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
