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
