"""The report's "Conjectures checked" section and the config key ``conjectures``."""

import io
import json

import pytest

from condense.report import Progress, ReportConfig, build_report
from condense.report import build as build_module
from condense.report.config import parse_config
from condense.report.conjectures import conjectures_markdown


def test_section_shows_both_bounds_sharp_and_the_listed_verdicts():
    section = conjectures_markdown(["t_star <= 0.9*E0**(-1/3)", "t_star >= lower"], quick=True, seed=0)
    assert section.passed and section.verdict == "2/2 bound searches sharp; 1/2 conjectures survived"
    rows = [line for line in section.markdown.splitlines() if line.startswith("| ")]
    bounds = [r for r in rows if "bound T*" in r]
    assert len(bounds) == 2 and all("| attained |" in r for r in bounds)
    for row in bounds:  # sup lhs/rhs is 1 to 1e-9
        assert abs(float(row.split("|")[2]) - 1) < 1e-9
    assert any("0.9*E0" in r and "| refuted |" in r for r in rows)
    assert any("t_star >= lower" in r and "| survived |" in r for r in rows)


def test_config_conjectures_are_parsed_before_any_work():
    config = parse_config({"conjectures": ["t_star <= 2*upper"]}, {})
    assert config.conjectures == ["t_star <= 2*upper"]
    with pytest.raises(ValueError, match=r"config: conjectures\[1\].*allowed names"):
        parse_config({"conjectures": ["t_star <= upper", "t_star <= nope"]}, {})
    with pytest.raises(TypeError, match="config: conjectures must be a list"):
        parse_config({"conjectures": "t_star <= upper"}, {})


def test_report_places_the_section_under_verification(tmp_path, monkeypatch):
    import verify

    monkeypatch.setattr(build_module.sections, "derivation_markdown", lambda depth, activation: "derived")
    monkeypatch.setattr(verify, "run_all", lambda quick, seed: [])
    config = ReportConfig(quick=True, figures=[], conjectures=["t_star <= 1/r0"])
    outcome = build_report(tmp_path / "out", config, figures={}, broken=[], progress=Progress(io.StringIO()))
    md = outcome.report_md.read_text()
    assert md.index("## 2. Verification") < md.index("### Conjectures checked") < md.index("## 3. Figures")
    assert "`t_star <= 1/r0` | refuted" in md
    parts = json.loads((tmp_path / "out" / "report.json").read_text())["parts"]
    assert [p["title"] for p in parts] == ["Derivation of the effective model", "Verification", "Conjectures checked"]
    assert outcome.ok
