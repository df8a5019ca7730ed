"""Every documented pytest example passes as a user would run it (issue 9 item 2): copied into a
fresh folder with no project ``conftest.py`` (so Hypothesis runs with its *default* settings,
200 ms deadline included) and run by pytest in a subprocess."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", ROOT / "docs" / "verify.md"]


def documented_test_blocks() -> list[tuple[str, str]]:
    """``(document, source)`` of every python block of the documents that defines a test."""
    found = []
    for document in DOCUMENTS:
        for block in re.findall(r"^[ \t]*```python\n(.*?)^[ \t]*```", document.read_text(), flags=re.S | re.M):
            source = textwrap.dedent(block)
            if re.search(r"^def test_\w+\(", source, flags=re.M):
                found.append((document.name, source))
    return found


def test_the_documents_hold_test_examples():
    names = [doc for doc, _ in documented_test_blocks()]
    assert "README.md" in names and "verify.md" in names


def _run_examples(tmp_path: Path, blocks: list[tuple[str, str]]) -> subprocess.CompletedProcess:
    folder = tmp_path / "user_project"
    folder.mkdir()
    for k, (document, source) in enumerate(blocks):
        stem = re.sub(r"\W", "_", document.lower())
        (folder / f"test_example_{stem}_{k}.py").write_text(source)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("HYPOTHESIS", "PYTEST"))}
    env.pop("CI", None)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(folder), str(folder)],
        cwd=folder, env=env, capture_output=True, text=True, timeout=600,
    )


def test_every_documented_example_passes_under_hypothesis_defaults(tmp_path):
    proc = _run_examples(tmp_path, documented_test_blocks())
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert re.search(r"\b[3-9]\d* passed|\b\d{2,} passed", proc.stdout), proc.stdout[-500:]


def test_warm_loads_every_kernel_family(monkeypatch):
    """What the strategies warm runs in-process too (a broken warm-up would only show in the
    subprocess above); an unknown family is a named error."""
    import pytest

    from verify import strategies

    monkeypatch.delenv("CONDENSE_WARM_STRATEGIES", raising=False)
    monkeypatch.setattr(strategies, "_WARMED", set())
    for kind in ("flow", "training"):
        strategies.warm(kind)
    assert strategies._WARMED == {"flow", "training"}
    with pytest.raises(ValueError, match="kind"):
        strategies.warm("everything")
