"""The verify.conjecture pytest example of docs/verify.md passes as written, in a fresh pytest run
without this project's conftest: Hypothesis's default settings (deadline 200 ms, 100 examples)."""

import os
import pathlib
import re
import subprocess
import sys

import pytest

DOC = pathlib.Path(__file__).resolve().parents[1] / "docs" / "verify.md"


def _example_source() -> str:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    sources = [b for b in blocks if "from verify import conjecture\n" in b]
    assert len(sources) == 1, "docs/verify.md must hold exactly one verify.conjecture pytest example"
    return sources[0]


def test_conjecture_example_runs_in_process(tmp_path):
    # imported from a real file, so that Hypothesis (and inspect) read the example's own source
    import importlib.util

    path = tmp_path / "docs_verify_conjecture_example.py"
    path.write_text(_example_source())
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    namespace = vars(module)
    tests = [f for name, f in namespace.items() if name.startswith("test_") and callable(f)]
    assert len(tests) == 4
    for test in tests:
        test()


@pytest.mark.slow
def test_conjecture_example_passes_under_default_hypothesis_settings(tmp_path):
    source = _example_source()
    assert "settings" not in source  # default settings, as a user's suite would have them
    (tmp_path / "test_my_conjecture.py").write_text(source)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYPOTHESIS")}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--noconftest", "--rootdir", str(tmp_path),
         "test_my_conjecture.py"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "4 passed" in proc.stdout
