"""Bad ``--out`` paths are refused before any work, with exit 2 and one line (issue 9 item 5);
stale staging folders of an interrupted report are removed by the next one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from condense.cli import main

#: A folder even root cannot write into (procfs refuses creation; os.access says so).
READ_ONLY = Path("/proc/1")


def _bad_dirs(tmp_path: Path) -> dict[str, Path]:
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    bad = {"existing file": a_file, "under a file": a_file / "sub"}
    if READ_ONLY.is_dir() and not os.access(READ_ONLY, os.W_OK):
        bad["read-only location"] = READ_ONLY / "condense-out"
    return bad


class Computed(AssertionError):
    pass


def _forbid(*_args, **_kwargs):
    raise Computed("the command started computing before checking --out")


@pytest.fixture
def no_work(monkeypatch):
    """Any computation raises :class:`Computed` (not caught by the command line: the test fails)."""
    import condense.figures.phase_diagram
    import condense.figures.stages
    import condense.report.build
    import theory.report

    monkeypatch.setattr(theory.report, "write_derivation", _forbid)
    monkeypatch.setattr(condense.report.build, "_run_parts", _forbid)
    monkeypatch.setattr(condense.figures.stages, "make", _forbid)
    monkeypatch.setattr(condense.figures.phase_diagram, "make", _forbid)
    from condense.figures import discover_figures

    figures, _ = discover_figures()
    monkeypatch.setattr(figures["effective_model"], "make", _forbid)


COMMANDS = {
    "report": ["report", "--quick"],
    "figure": ["figure", "effective_model", "--quick"],
    "stages": ["stages", "--quick"],
    "phase-diagram": ["phase-diagram", "--quick"],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("kind", ["existing file", "under a file", "read-only location"])
def test_bad_output_folder_is_refused_before_any_work(tmp_path, capsys, no_work, command, kind):
    bad = _bad_dirs(tmp_path)
    if kind not in bad:
        pytest.skip("no read-only location on this machine")
    before = sorted(tmp_path.rglob("*"))
    assert main(COMMANDS[command] + ["--out", str(bad[kind])]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("condense: error: --out") and "Traceback" not in err[0]
    assert sorted(tmp_path.rglob("*")) == before  # nothing created


@pytest.mark.parametrize("kind", ["existing folder", "under a file", "read-only location", "tex"])
def test_derive_bad_output_file_is_refused_before_any_work(tmp_path, capsys, no_work, kind):
    bad = _bad_dirs(tmp_path)
    bad["existing folder"] = tmp_path
    bad["tex"] = tmp_path / "derivation.tex"
    if kind not in bad:
        pytest.skip("no read-only location on this machine")
    target = bad[kind] if kind in ("existing folder", "tex") else bad[kind] / "derivation.md"
    assert main(["derive", "--out", str(target)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--out" in err[0]


def test_phase_diagram_store_is_checked_too(tmp_path, capsys, no_work):
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    assert main(["phase-diagram", "--quick", "--out", str(tmp_path / "o"), "--store", str(a_file)]) == 2
    assert "--store" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_stale_staging_folders_are_removed_live_ones_kept(tmp_path, monkeypatch):
    from condense.report import build
    from condense.report.build import PartOutcome, ReportConfig, build_report, remove_stale_staging

    out = tmp_path / "report"
    old_form = tmp_path / ".report.partial-k2j4h1x_"  # an earlier version's name (no process id)
    dead = tmp_path / ".report.partial-2147483646-abcd"  # a pid no process has
    live = tmp_path / f".report.partial-{os.getpid()}-abcd"  # a report still running
    other = tmp_path / ".other.partial-123-abcd"  # another output folder's staging
    for folder in (old_form, dead, live, other):
        (folder / "figures").mkdir(parents=True)
        (folder / "report.md").write_text("partial")
    assert sorted(remove_stale_staging(out)) == sorted([old_form, dead])
    assert live.is_dir() and other.is_dir()
    old_form.mkdir()
    # and a real report run cleans them up before it starts
    monkeypatch.setattr(build, "_run_parts", lambda *a, **k: [PartOutcome("Derivation", markdown="x")])
    build_report(out, ReportConfig(verify=False, figures=[]), figures={}, broken=[])
    assert not old_form.exists() and live.is_dir()
    assert (out / "report.md").is_file()
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".report.partial-")]
    assert leftovers == [live.name]
