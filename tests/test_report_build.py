"""Report assembly with stand-in figure modules: failures recorded, atomic output, exit status."""

import argparse
import io
import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from condense.figures import BrokenFigure
from condense.figures._base import FigureResult
from condense.report import Progress, ReportConfig, build_report
from condense.report import build as build_module
from condense.report.sections import derivation_markdown as real_derivation_markdown


def _module(name, *, fails=False, passed=True):
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--size", type=int, default=3)

    def make(out_dir: Path, *, quick=False, seed=0, size=3):
        if fails:
            raise RuntimeError(f"{name} exploded on purpose")
        out_dir.mkdir(parents=True, exist_ok=True)
        png = out_dir / f"{name}.png"
        png.write_bytes(b"\x89PNG fake " + name.encode())
        return FigureResult(name, f"Title {name}", f"Claim {name}", [png], passed=passed,
                            summary=f"summary of {name}", params={"size": size, "seed_seen": seed})

    return SimpleNamespace(NAME=name, TITLE=f"Title {name}", CLAIM=f"Claim {name}", add_arguments=add_arguments,
                           make=make, __name__=f"fake.{name}")


@pytest.fixture(autouse=True)
def no_theory(monkeypatch):
    monkeypatch.setattr(build_module.sections, "derivation_markdown",
                        lambda depth, activation: f"### Derived\n\nDepth {depth}, {activation}.")


def _build(tmp_path, figures, broken=(), **config):
    stream = io.StringIO()
    outcome = build_report(tmp_path / "out", ReportConfig(verify=False, **config), figures=figures,
                           broken=list(broken), progress=Progress(stream))
    return outcome, stream.getvalue()


def test_report_contents_and_parameters(tmp_path):
    figures = {"good": _module("good"), "other": _module("other", passed=None)}
    config = ReportConfig(verify=False, seed=5, figure_params={"good": {"size": 9, "seed": 2}})
    outcome = build_report(tmp_path / "out", config, figures=figures, broken=[], progress=Progress(io.StringIO()))
    assert outcome.ok
    md = outcome.report_md.read_text()
    assert "Claim good" in md and "summary of good" in md and "![Title good](figures/good.png)" in md
    assert "`size=9`" in md and "`seed_seen=2`" in md  # figure override and its own seed reach make()
    assert "`seed_seen=5`" in md  # the other figure gets the base seed
    assert "Depth 3, tanh" in md and "##### Derived" in md  # derivation embedded, headings demoted
    assert md.index("Title good") < md.index("Title other")
    html = outcome.report_html.read_text()
    assert "data:image/png;base64," in html
    assert (tmp_path / "out" / "figures" / "good.png").read_bytes().startswith(b"\x89PNG")
    summary = json.loads((tmp_path / "out" / "report.json").read_text())
    assert [p["title"] for p in summary["parts"]][1:] == ["Figure 1. Title good", "Figure 2. Title other"]


def test_a_failing_figure_is_recorded_and_the_others_still_run(tmp_path):
    figures = {"bad": _module("bad", fails=True), "good": _module("good")}
    outcome, log = _build(tmp_path, figures, [BrokenFigure("broken_mod", "import failed: SyntaxError: x")])
    assert not outcome.ok
    assert outcome.errors == ["Figure 1. Title bad", "Figure module broken_mod"]
    md = outcome.report_md.read_text()
    assert "bad exploded on purpose" in md and "Traceback" in md and "import failed: SyntaxError" in md
    assert "**ERROR**" in md and "summary of good" in md
    assert "FAILED: RuntimeError: bad exploded on purpose" in log


def test_a_failed_check_makes_the_outcome_not_ok(tmp_path):
    outcome, _ = _build(tmp_path, {"meh": _module("meh", passed=False)})
    assert outcome.errors == [] and outcome.failed_checks == ["Figure 1. Title meh"]
    assert not outcome.ok and "**FAILED**" in outcome.report_md.read_text()


def test_no_partial_report_when_assembly_fails(tmp_path, monkeypatch):
    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(build_module, "markdown_to_html", boom)
    with pytest.raises(KeyboardInterrupt):
        _build(tmp_path, {"good": _module("good")})
    assert not (tmp_path / "out").exists()
    assert list(tmp_path.iterdir()) == []  # the staging folder is gone too


def test_rerun_replaces_an_old_report(tmp_path):
    _build(tmp_path, {"good": _module("good")})
    outcome, _ = _build(tmp_path, {"good": _module("good", passed=False)})
    assert "**FAILED**" in outcome.report_md.read_text()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["figures", "report.html", "report.json", "report.md"]


def test_report_command_exit_status(tmp_path, monkeypatch, capsys):
    from condense.cli import main
    import condense.figures as figures_package

    monkeypatch.setattr(figures_package, "discover_figures", lambda: ({"meh": _module("meh", passed=False)}, []))
    config = tmp_path / "c.json"
    config.write_text('{"verify": false}')
    assert main(["report", "--out", str(tmp_path / "r"), "--config", str(config), "--seed", "3"]) == 1
    out, err = capsys.readouterr()
    assert "report written to" in out and "1 check(s) failed" in out
    assert "figure 1/1: meh" in err
    assert "`seed_seen=3`" in (tmp_path / "r" / "report.md").read_text()


def test_derivation_section_is_theorys_rendering():
    """The report's derivation is theory.report's document (no second renderer): it states the
    model's own energy and leading order."""
    from theory import derive_effective_model
    from theory.report import derivation_markdown as theory_markdown

    text = real_derivation_markdown(3, "tanh")
    assert text == theory_markdown(depth=3, activation="tanh")
    model = derive_effective_model(depth=3, activation="tanh")
    assert model.latex_energy() in text and "$$" in text


def test_out_must_be_a_folder(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="existing file, expected a folder"):
        build_report(tmp_path / "file", ReportConfig(verify=False), figures={}, broken=[], progress=Progress(io.StringIO()))


def test_a_failed_figure_shows_the_quick_parameters_it_ran_with(tmp_path):
    module = _module("quickfail", fails=True)
    module.QUICK = {"size": 1}
    outcome, _ = _build(tmp_path, {"quickfail": module}, quick=True)
    assert outcome.errors == ["Figure 1. Title quickfail"]
    assert outcome.parts[-1].params["size"] == 1  # the --quick default, not the option's default 3
    assert "| `size` | `1` |" in outcome.report_md.read_text()
    outcome, _ = _build(tmp_path, {"quickfail": module}, quick=True, figure_params={"quickfail": {"size": 7}})
    assert outcome.parts[-1].params["size"] == 7  # an explicit choice wins over the quick default


def test_values_computed_by_a_figure_are_not_presented_as_options(tmp_path):
    outcome, _ = _build(tmp_path, {"good": _module("good")})
    md = outcome.report_md.read_text()
    # `size` is an option of the figure; `seed_seen` is a value its make() reported
    assert "`size=3`, " in md and "`seed_seen=0` (computed)" in md and "`size=3` (computed)" not in md
    assert "| `seed_seen` (computed) | `0` |" in md and "| `size` | `3` |" in md
    summary = json.loads((tmp_path / "out" / "report.json").read_text())
    assert summary["parts"][-1]["computed"] == ["seed_seen"]


def test_a_figure_that_fails_on_a_rerun_leaves_no_old_picture(tmp_path):
    figures_dir = tmp_path / "out" / "figures"
    _build(tmp_path, {"good": _module("good"), "flaky": _module("flaky")})
    assert (figures_dir / "flaky.png").exists()
    (figures_dir / "mine.txt").write_text("a file the report did not write")
    outcome, _ = _build(tmp_path, {"good": _module("good"), "flaky": _module("flaky", fails=True)})
    assert outcome.errors == ["Figure 2. Title flaky"]
    assert not (figures_dir / "flaky.png").exists()  # no stale picture beside a report saying it failed
    assert (figures_dir / "good.png").exists() and (figures_dir / "mine.txt").exists()
    summary = json.loads((tmp_path / "out" / "report.json").read_text())
    assert summary["figure_files"] == ["good.png"]


def test_atomic_writers_create_files_with_the_umask_permissions(tmp_path):
    """mkstemp creates 0600 files; the atomic writers publish them as a plain open() would."""
    import os

    from theory.ground.io import write_text_atomic

    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    atomic = write_text_atomic(tmp_path / "atomic.json", "{}")
    assert os.stat(atomic).st_mode & 0o777 == os.stat(plain).st_mode & 0o777
