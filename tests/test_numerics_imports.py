"""What importing the numerics costs a new process: no SymPy on the numeric paths, nothing
compiled at import (fresh interpreters, so what earlier tests imported does not count)."""

from __future__ import annotations

import json
import subprocess
import sys

LAZY_PROBE = r"""
import json, sys
import numerics
after_import = sorted(m for m in ("sympy", "numba", "scipy") if m in sys.modules)
import numpy as np
from numerics import blowup_time, integrate_effective
res = blowup_time(np.array([1.0, 0.5]), np.array([[0.3], [0.2]]), np.array([0.7]))
traj = integrate_effective(np.array([1.0]), np.array([[0.5]]), np.array([0.2]), 0.1)
print(json.dumps({"after_import": after_import, "sympy_after_calls": "sympy" in sys.modules,
                  "blew_up": res.blew_up, "ok": traj.success}))
"""

COMPILE_PROBE = r"""
import json
import numerics.kernels, numerics.rk, numerics.integrate, numerics.blowup
from numerics import blowup, integrate, kernels, rk
fields = [kernels.chain_field_p, kernels.projected_field_p, integrate._ensemble_rows]
def state():
    return {"driver": len(rk.rk_solve.signatures), "others": sum(len(d.signatures) for d in fields),
            "cfuncs": sorted(n for n in ("chain_field_c", "projected_field_c") if n in vars(kernels)),
            "monitor": blowup._blowup_monitor.cache_info().currsize}
at_import = state()
import numpy as np
integrate.integrate_effective(np.array([1.0]), np.array([[0.5]]), np.array([0.2]), 0.1)
print(json.dumps({"at_import": at_import, "after_call": state()}))
"""


def _run(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_numerics_loads_neither_sympy_nor_numba():
    """``import numerics`` is lazy (PEP 562): SymPy, Numba and SciPy stay unloaded; the
    integrators and blow-up times run without ever importing SymPy."""
    result = _run(LAZY_PROBE)
    assert result["after_import"] == []
    assert result["sympy_after_calls"] is False
    assert result["blew_up"] is True and result["ok"] is True


def test_importing_the_integrators_compiles_nothing():
    """Importing numerics.kernels / rk / integrate / blowup defines functions only: Numba compiles
    (or loads from its cache) nothing before a call needs it, and the first call does."""
    result = _run(COMPILE_PROBE)
    assert result["at_import"] == {"driver": 0, "others": 0, "cfuncs": [], "monitor": 0}
    after = result["after_call"]
    # one driver signature; integrate_effective needs the chain field only (not the sphere flow's)
    assert after["driver"] == 1 and after["cfuncs"] == ["chain_field_c"] and after["monitor"] == 0


def test_warmup_command_checks_what_it_compiles(capsys):
    """``condense warmup`` runs every compiled ODE path once (each result checked against a closed
    form inside numerics.warmup) and exits 0."""
    from condense.cli import main

    assert main(["warmup"]) == 0
    assert "done in" in capsys.readouterr().out
