"""The pytest example of docs/verify.md runs as written (so the documentation stays true)."""

import pathlib
import re

import pytest

DOC = pathlib.Path(__file__).resolve().parents[1] / "docs" / "verify.md"


def _example_source() -> str:
    text = DOC.read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    sources = [b for b in blocks if "from verify import strategies as cst" in b]
    assert len(sources) == 1, "docs/verify.md must hold exactly one strategies example"
    return sources[0]


def test_docs_example_is_present_and_compiles():
    compile(_example_source(), str(DOC), "exec")


@pytest.mark.slow
def test_docs_example_runs():
    namespace: dict = {}
    exec(compile(_example_source(), str(DOC), "exec"), namespace)
    tests = [f for name, f in namespace.items() if name.startswith("test_") and callable(f)]
    assert len(tests) >= 3
    for test in tests:
        test()
