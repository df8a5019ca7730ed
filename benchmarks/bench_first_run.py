"""First run versus later runs: what a new user (or every fresh CI job) waits for.

Each measurement is a fresh Python process. "cold": ``CONDENSE_CACHE_DIR`` and ``NUMBA_CACHE_DIR``
point to new empty folders, so every Numba function is compiled; "warm": the same folders
again, so everything loads from the on-disk caches. Printed per scenario: the median wall time
over ``--repeat`` cold/warm pairs (each cold run with its own new folders), and their ratio.

* ``import numerics`` alone (lazy: no Numba, no SymPy);
* import + the first ``blowup_time`` (m1 = m2 = 5) — goal: cold <= 10 s, warm < 0.3 s;
* import + the first ``integrate_effective``;
* ``condense verify --quick`` (skipped with ``--quick``) — goal: cold <= 25 s.

    .venv/bin/python benchmarks/bench_first_run.py [--repeat 3] [--quick] [--baseline ../other-checkout]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))  # run from anywhere
from ode_bench_util import REPO, cache_env, run_python

_STATE = "import numpy as np; rng = np.random.default_rng(0); a, W, u = rng.normal(size=5), rng.normal(size=(5, 5)), rng.normal(size=5)\n"

SCENARIOS = {
    "import numerics": "import sys, numerics; assert 'sympy' not in sys.modules and 'numba' not in sys.modules",
    "import + first blowup_time": _STATE + "from numerics import blowup_time; assert blowup_time(a, W, u).t_star > 0",
    "import + first integrate_effective": _STATE + "from numerics import integrate_effective; "
    "assert integrate_effective(a, W, u, 0.1).success",
    "condense verify --quick": "import sys; from condense.cli import main; sys.argv = ['condense', 'verify', '--quick']; "
    "code = main(); print('exit', code)",  # timed whatever the checks say (their table is printed by verify)
}


def measure(code: str, repeat: int, source: Path) -> tuple[float, float, float, float]:
    """Median (cold wall, cold CPU, warm wall, warm CPU) seconds of ``code`` in fresh processes
    importing the packages from ``source``."""
    rows = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as root:
            env = cache_env(root, source)
            cold_wall, _, cold_cpu = run_python(code, env, cwd=source)
            warm_wall, _, warm_cpu = run_python(code, env, cwd=source)
            rows.append((cold_wall, cold_cpu, warm_wall, warm_cpu))
    return tuple(statistics.median(col) for col in zip(*rows))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="one repeat, without condense verify --quick")
    parser.add_argument("--only", default="", help="run only the scenarios whose name contains this text")
    parser.add_argument("--baseline", type=Path, default=None,
                        help="another checkout of the repository (e.g. the previous release) measured alongside")
    args = parser.parse_args(argv)
    repeat = 1 if args.quick else args.repeat
    sources = [("this checkout", REPO)] + ([("baseline", args.baseline.resolve())] if args.baseline else [])
    print(f"fresh processes, median of {repeat} cold/warm pair(s); cold = empty CONDENSE_CACHE_DIR and NUMBA_CACHE_DIR;"
          " wall (CPU) seconds")
    print(f"{'scenario':<36} {'source':<14} {'cold':>15} {'warm':>15} {'cold/warm':>10}")
    for name, code in SCENARIOS.items():
        if (args.quick and name.startswith("condense verify")) or args.only not in name:
            continue
        for label, source in sources:  # interleaved: both sources see the same load
            cold, cold_cpu, warm, warm_cpu = measure(code, repeat, source)
            print(f"{name:<36} {label:<14} {cold:6.2f} ({cold_cpu:5.2f}) {warm:6.3f} ({warm_cpu:5.2f}) "
                  f"{cold / warm:9.1f}x")
    print("goals: first blowup_time cold <= 10 s, warm import + first call < 0.3 s; condense verify --quick cold <= 25 s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
