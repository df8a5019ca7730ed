"""Every citation of the mathematics points into docs/mathematics.md at a section that exists."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [p for folder in ("theory", "numerics", "verify", "condense", "docs", "examples", "benchmarks")
           for p in (ROOT / folder).rglob("*") if p.suffix in (".py", ".md")] + [ROOT / "README.md"]


def _anchors() -> set[str]:
    headings = re.findall(r"^#{2,3} (.+)$", (ROOT / "docs" / "mathematics.md").read_text(encoding="utf-8"), re.M)
    return {re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-") for h in headings}


def test_every_cited_section_exists():
    anchors = _anchors()
    assert {"model", "conservation-laws", "blow-up", "final-stage", "matrix-factorization", "phase-diagram",
            "stages"} <= anchors
    cited = {}
    for path in SOURCES:
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"docs/mathematics\.md#([a-z0-9-]+)((?:(?:, |–)#[a-z0-9-]+)*)", text):
            names = [match.group(1)] + re.findall(r"#([a-z0-9-]+)", match.group(2))
            for name in names:
                cited.setdefault(name, str(path.relative_to(ROOT)))
    assert cited, "no citation found"
    missing = {name: where for name, where in cited.items() if name not in anchors}
    assert not missing, missing


def test_no_citation_points_outside_the_repository():
    offenders = [str(p.relative_to(ROOT)) for p in SOURCES if "theory-notes" in p.read_text(encoding="utf-8")]
    assert offenders == []


def test_architecture_map_names_files_and_functions_that_exist():
    import importlib

    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    table = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert len(table) >= 8
    checked = 0
    for row in table:
        for cell in row.split("|")[2:6]:
            module = None
            for token in re.findall(r"`([^`]+)`", cell):
                if token.endswith(".py") or token.endswith("/"):
                    assert (ROOT / token).exists(), token
                    module = token[:-3].replace("/", ".") if token.endswith(".py") else None
                elif module and re.fullmatch(r"[a-z_]+", token):
                    name = token if not token.startswith("_") else None
                    if name:
                        assert hasattr(importlib.import_module(module), name), f"{module}.{name}"
                        checked += 1
    assert checked >= 25
    figures = {p.stem for p in (ROOT / "condense" / "figures").glob("*.py") if not p.stem.startswith("_")}
    for row in table:
        for name in re.findall(r"`([a-z_]+)`", row.split("|")[5]):
            assert name in figures, name
