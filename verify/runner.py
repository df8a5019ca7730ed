"""Run every check (``condense verify``) and format the results as a table."""

from __future__ import annotations

import time
import traceback
from typing import Callable

from theory.ground.checks import check_seed
from verify.checks import (blowup, conservation, effective_direct, final_stage, general_networks,
                           matrix_factorization, plateau)
from verify.progress import Progress
from verify.result import CheckResult


def _plan(quick: bool) -> list[tuple[str, Callable[..., CheckResult], dict]]:
    """(name, check function, keyword arguments) of every check; ``quick`` uses smaller instances."""
    if quick:
        return [
            ("conservation_laws", conservation.check_conservation, {"n_states": 2, "fraction": 0.99}),
            ("blowup_bounds", blowup.check_blowup_bounds, {"n_states": 12}),
            ("blowup_scalar_closed_form", blowup.check_blowup_scalar, {"n_states": 3}),
            ("blowup_rate_sqrt3", blowup.check_blowup_rate, {"n_states": 1}),
            ("final_stage_effective", final_stage.check_final_stage_effective, {"n_states": 2}),
            ("final_stage_direct", final_stage.check_final_stage_direct, {"n_inits": 2}),
            ("plateau_escape", plateau.check_plateau_escape, {"epsilons": (1e-2, 3e-3, 1e-3)}),
            ("plateau_scaling_depth2", plateau.check_plateau_scaling, {"depth": 2, "epsilons": (1e-2, 1e-4, 1e-6)}),
            ("plateau_scaling_depth4", plateau.check_plateau_scaling, {"depth": 4, "epsilons": (4e-2, 2e-2, 1e-2)}),
            ("effective_vs_direct", effective_direct.check_effective_vs_direct, {"epsilons": (0.02, 0.01, 0.005)}),
            ("matrix_factorization_rank_one", matrix_factorization.check_matrix_factorization,
             {"epsilons": (1e-2, 1e-3)}),
            *_general_network_checks(quick=True),
        ]
    return [
        ("conservation_laws", conservation.check_conservation, {"n_states": 40, "fraction": 0.999}),
        ("blowup_bounds", blowup.check_blowup_bounds, {"n_states": 200}),
        ("blowup_scalar_closed_form", blowup.check_blowup_scalar, {"n_states": 20}),
        ("blowup_rate_sqrt3", blowup.check_blowup_rate, {"n_states": 12}),
        ("final_stage_effective", final_stage.check_final_stage_effective, {"n_states": 40}),
        ("final_stage_direct", final_stage.check_final_stage_direct, {"n_inits": 4}),
        ("plateau_escape", plateau.check_plateau_escape, {"epsilons": (1e-2, 3e-3, 1e-3, 3e-4), "n_inits": 4}),
        ("plateau_scaling_depth2", plateau.check_plateau_scaling, {"depth": 2}),
        ("plateau_scaling_depth4", plateau.check_plateau_scaling,
         {"depth": 4, "epsilons": (4e-2, 2e-2, 1e-2, 5e-3, 2.5e-3)}),
        ("effective_vs_direct", effective_direct.check_effective_vs_direct,
         {"epsilons": (0.02, 0.01, 0.005, 0.0025, 0.00125), "n_inits": 3}),
        ("matrix_factorization_rank_one", matrix_factorization.check_matrix_factorization, {}),
        *_general_network_checks(quick=False),
    ]


def _general_network_checks(quick: bool) -> list[tuple[str, Callable[..., CheckResult], dict]]:
    """Checks of verify.checks.general_networks (several outputs, biases, per-layer activations)."""
    eps = (1e-2, 3e-3, 1e-3) if quick else (1e-2, 3e-3, 1e-3, 3e-4)
    escape = [(f"general_escape_{family}", general_networks.check_general_escape,
               {"family": family, "epsilons": eps})
              for family in ("vector_output", "first_layer_bias", "tanh_sin")]
    return escape + [
        ("bias_log_plateau", general_networks.check_bias_log_plateau,
         {"epsilons": (1e-2, 1e-4, 1e-6) if quick else (1e-2, 1e-3, 1e-4, 1e-5, 1e-6)}),
        ("general_conservation", general_networks.check_general_conservation, {}),
    ]


#: Names of the checks run by :func:`run_all`, in order.
CHECKS: tuple[str, ...] = tuple(name for name, *_ in _plan(False))


def run_all(quick: bool = False, seed: int = 0, progress: bool = True,
            only: list[str] | None = None) -> list[CheckResult]:
    """Run every check (or those named in ``only``) and return their results in order.

    ``quick`` runs smaller instances (under a minute on 2 cores); ``seed`` seeds every random
    draw. A check that raises is reported as failed with the error in ``details["error"]``
    (the other checks still run).
    """
    check_seed(seed)
    if isinstance(only, str):
        raise TypeError(f"only: expected a list of check names, got the string {only!r}")
    if only is not None:
        unknown = sorted(set(only) - set(CHECKS))
        if unknown:
            raise ValueError(f"only: unknown check(s) {unknown}; allowed: {', '.join(CHECKS)}")
    say = Progress(progress)
    results = []
    for name, check, kwargs in _plan(quick):
        if only is not None and name not in only:
            continue
        say(f"running {name}")
        start = time.perf_counter()
        try:
            result = check(seed=seed, progress=say, **kwargs)
        except Exception as exc:  # a crash is a failed check, reported with its cause
            result = CheckResult(name, False, float("nan"), float("nan"),
                                 {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()})
        result.details["seconds"] = round(time.perf_counter() - start, 3)
        say(f"{name}: {'PASS' if result.passed else 'FAIL'} (measured {result.measured:.3g}, "
            f"{result.details['seconds']:.1f} s)")
        results.append(result)
    return results


def format_table(results: list[CheckResult]) -> str:
    """Plain-text table: check, measured, pass condition (``<= tolerance`` for errors, ``>=`` for
    margins; :attr:`CheckResult.passes_if`), pass/fail, seconds."""
    rows = [("check", "measured", "passes if measured", "result", "seconds")]
    for r in results:
        rows.append((r.name, f"{r.measured:.4g}", r.passes_if, "PASS" if r.passed else "FAIL",
                     f"{r.details.get('seconds', float('nan')):.1f}"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    failed = sum(not r.passed for r in results)
    lines.append(f"{len(results) - failed}/{len(results)} checks passed (every condition of a check: "
                 "details.criterion in condense verify --json)")
    return "\n".join(lines)
