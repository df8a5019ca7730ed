"""Assemble the report: run every part, write Markdown + HTML (+ figures) atomically.

Everything is first written into a staging folder beside ``out_dir``; only when all parts have run
are the figure files moved into ``out_dir/figures`` and ``report.json``, ``report.md`` and
``report.html`` moved in last (:func:`os.replace`), so an interrupted run never leaves a partial
report.  A part that raises (the derivation, the verification, one figure) does not stop the
others: its traceback is written into the report and :attr:`ReportOutcome.ok` is false.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import shutil
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, TextIO

from condense import __version__
from condense.figures import BrokenFigure, discover_figures, figure_defaults, figure_options
from condense.figures._base import FigureResult
from condense.report import sections
from condense.report.config import ReportConfig
from condense.report.html import markdown_to_html, shift_headings
from theory.ground.io import check_output_dir

FIGURES_DIR = "figures"
CONJECTURES_TITLE = "Conjectures checked"


class Progress:
    """Progress lines on stderr, each stamped with the seconds since the start."""

    def __init__(self, stream: TextIO | None = None, enabled: bool = True):
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.start = time.perf_counter()

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def __call__(self, message: str) -> None:
        if self.enabled:
            print(f"[{self.elapsed:7.1f}s] {message}", file=self.stream, flush=True)


@dataclass
class PartOutcome:
    """One part of the report: its Markdown, whether it ran, its check verdict and its time."""

    title: str
    markdown: str = ""
    error: str | None = None
    passed: bool | None = None
    verdict: str = ""
    seconds: float = 0.0
    params: dict[str, Any] = field(default_factory=dict)
    computed: set[str] = field(default_factory=set)  # names in params the run computed (not options)


@dataclass
class ReportOutcome:
    out_dir: Path
    report_md: Path
    report_html: Path
    seconds: float
    parts: list[PartOutcome]

    @property
    def errors(self) -> list[str]:
        """Titles of the parts that raised."""
        return [p.title for p in self.parts if p.error is not None]

    @property
    def failed_checks(self) -> list[str]:
        """Titles of the parts that ran but whose check failed."""
        return [p.title for p in self.parts if p.error is None and p.passed is False]

    @property
    def ok(self) -> bool:
        return not self.errors and not self.failed_checks


def build_report(
    out_dir: str | Path,
    config: ReportConfig | None = None,
    *,
    figures: dict[str, ModuleType] | None = None,
    broken: list[BrokenFigure] | None = None,
    progress: Progress | None = None,
    command: str | None = None,
) -> ReportOutcome:
    """Compute every part of the report and write ``out_dir/report.md`` and ``out_dir/report.html``.

    ``figures``/``broken`` default to :func:`condense.figures.discover_figures`; ``config`` to the
    built-in defaults.  Returns a :class:`ReportOutcome`; check :attr:`ReportOutcome.ok`.
    """
    config = config or ReportConfig()
    progress = progress or Progress()
    if figures is None:
        figures, found_broken = discover_figures()
        broken = found_broken if broken is None else broken
    broken = broken or []
    out_dir = check_output_dir(out_dir, "out_dir")  # before any work
    parent = out_dir.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    removed = remove_stale_staging(out_dir)
    if removed:
        progress(f"removed {len(removed)} staging folder(s) left by an interrupted report: "
                 + ", ".join(p.name for p in removed))
    staging = Path(tempfile.mkdtemp(dir=parent, prefix=_staging_prefix(out_dir) + f"{os.getpid()}-"))
    try:
        parts = _run_parts(config, figures, broken, staging / FIGURES_DIR, progress)
        seconds = progress.elapsed
        markdown = _document(config, parts, seconds, command)
        (staging / "report.md").write_text(markdown, encoding="utf-8")
        page = markdown_to_html(markdown, title="condense report", base_dir=staging)
        (staging / "report.html").write_text(page, encoding="utf-8")
        (staging / "report.json").write_text(_json_summary(config, parts, seconds), encoding="utf-8")
        _publish(staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return ReportOutcome(out_dir, out_dir / "report.md", out_dir / "report.html", seconds, parts)


def _staging_prefix(out_dir: Path) -> str:
    return f".{out_dir.name}.partial-"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def remove_stale_staging(out_dir: str | Path) -> list[Path]:
    """Remove the staging folders ``.OUT.partial-PID-*`` beside ``out_dir`` whose process ``PID`` is
    gone (a report killed before it published), and those of the older ``.OUT.partial-XXXX``
    form (no process id). Folders of a report still running are kept. Returns the removed paths."""
    out_dir = Path(out_dir)
    parent = out_dir.resolve().parent
    prefix = _staging_prefix(out_dir)
    removed = []
    try:
        candidates = [p for p in parent.iterdir() if p.name.startswith(prefix) and p.is_dir()]
    except OSError:
        return removed
    for path in candidates:
        pid_text = path.name[len(prefix):].split("-", 1)[0]
        if pid_text.isdigit() and "-" in path.name[len(prefix):] and _pid_alive(int(pid_text)):
            continue
        shutil.rmtree(path, ignore_errors=True)
        if not path.exists():
            removed.append(path)
    return removed


def _run_parts(
    config: ReportConfig,
    figures: dict[str, ModuleType],
    broken: list[BrokenFigure],
    figures_dir: Path,
    progress: Progress,
) -> list[PartOutcome]:
    quick = config.quick
    derivation = PartOutcome("Derivation of the effective model", params=dict(config.derivation))
    progress(f"derivation: depth {config.derivation['depth']}, {config.derivation['activation']}")
    _run(derivation, progress, lambda: shift_headings(sections.derivation_markdown(**config.derivation), 2))
    parts = [derivation]

    if config.verify:
        verification = PartOutcome("Verification", params={"quick": quick, "seed": config.seed})
        progress(f"verification: verify.run_all(quick={quick})")

        def verify_part() -> str:
            import verify

            checks = verify.run_all(quick=quick, seed=config.seed)
            verification.passed = all(bool(c.passed) for c in checks)
            verification.verdict = f"{sum(bool(c.passed) for c in checks)}/{len(checks)} checks passed"
            return sections.verification_markdown(checks)

        _run(verification, progress, verify_part)
        parts.append(verification)

        conjectures = PartOutcome(CONJECTURES_TITLE, params={"quick": quick, "seed": config.seed,
                                                             "conjectures": list(config.conjectures)})
        progress("conjectures checked: sharpness of the blow-up bounds"
                 + (f" and {len(config.conjectures)} listed conjecture(s)" if config.conjectures else ""))

        def conjectures_part() -> str:
            from condense.report.conjectures import conjectures_markdown

            section = conjectures_markdown(config.conjectures, quick=quick, seed=config.seed)
            conjectures.passed, conjectures.verdict = section.passed, section.verdict
            return section.markdown

        _run(conjectures, progress, conjectures_part)
        parts.append(conjectures)

    selected = [n for n in figures if config.figures is None or n in config.figures]
    for k, name in enumerate(selected, 1):
        module = figures[name]
        params = config.params_for(name)  # explicit choices; make() fills in (quick) defaults
        seed = config.seed_for(name)
        quick_defaults = (getattr(module, "QUICK", None) or {}) if quick else {}
        # what make() will use (shown as is if it raises): defaults, quick defaults, explicit choices
        shown = {"seed": seed, "quick": quick, **figure_defaults(module), **quick_defaults, **params}
        part = PartOutcome(f"Figure {k}. {module.TITLE}", params=shown)
        progress(f"figure {k}/{len(selected)}: {name}")

        def figure_part(module=module, params=params, seed=seed, part=part) -> str:
            result = module.make(figures_dir, quick=quick, seed=seed, **params)
            if not isinstance(result, FigureResult):
                raise TypeError(f"{module.__name__}.make returned {type(result).__name__}, not FigureResult")
            part.passed = result.passed
            if result.params:
                part.params = {"seed": seed, "quick": quick, **result.params}
                part.computed = set(result.params) - set(figure_options(module)) - {"seed", "quick"}
            return sections.figure_markdown(result, figures_dir, FIGURES_DIR, part.params, part.computed)

        _run(part, progress, figure_part, claim=module.CLAIM)
        parts.append(part)
    for item in broken:
        title = f"Figure module {item.module}"
        parts.append(PartOutcome(title, error=item.error, markdown=sections.failure_markdown(title, item.error)))
        progress(f"figure module {item.module}: {item.error}")
    return parts


def _run(part: PartOutcome, progress: Progress, compute: Callable[[], str], claim: str | None = None) -> None:
    start = time.perf_counter()
    try:
        part.markdown = compute()
    except Exception:
        part.error = traceback.format_exc()
        part.markdown = (f"**Claim.** {claim}\n\n" if claim else "") + sections.failure_markdown(
            part.title, part.error
        )
        progress(f"  FAILED: {part.error.strip().splitlines()[-1]}")
    part.seconds = time.perf_counter() - start
    if part.error is None:
        verdict = part.verdict or {True: "check passed", False: "CHECK FAILED", None: "done"}[part.passed]
        progress(f"  {verdict} ({part.seconds:.1f} s)")


def _status(part: PartOutcome) -> str:
    if part.error is not None:
        return "**ERROR**"
    if part.verdict:
        return part.verdict if part.passed is not False else f"**{part.verdict}**"
    return {True: "passed", False: "**FAILED**", None: "done (no check)"}[part.passed]


def _document(config: ReportConfig, parts: list[PartOutcome], seconds: float, command: str | None) -> str:
    now = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    mode = "quick" if config.quick else "default"
    source = f"config file `{config.source}`" if config.source else "built-in defaults"
    lines = [
        "# condense report",
        "",
        f"Generated {now} by condense {__version__} in {mode} mode from {source}"
        + (f" (`{command}`)" if command else "")
        + f", in {seconds:.1f} s. Base seed: {config.seed}.",
        "",
        "Three- and deeper-layer networks trained from small initialization stay on a plateau, then "
        "escape along the blow-up of an effective gradient flow, and their weights condense onto a few "
        "orientations. The derivation below is computed symbolically, the verification table checks the "
        "theorems numerically, and each figure states the claim it illustrates and whether its check passed.",
        "",
        "## Summary",
        "",
        "| part | result | time |",
        "| --- | --- | --- |",
    ]
    lines += [f"| {p.title} | {_status(p)} | {p.seconds:.1f} s |" for p in parts]
    derivation, *rest = parts
    verification = [p for p in rest if p.title == "Verification"]
    conjectures = [p for p in rest if p.title == CONJECTURES_TITLE]
    figures = [p for p in rest if p.title not in ("Verification", CONJECTURES_TITLE)]
    lines += ["", "## 1. Derivation of the effective model", "", derivation.markdown, ""]
    lines += ["## 2. Verification", ""]
    lines += [verification[0].markdown if verification else "Skipped (config: `verify = false`).", ""]
    for part in conjectures:
        lines += ["### Conjectures checked", "", part.markdown, ""]
    lines += ["## 3. Figures", ""]
    for part in figures:
        lines += [f"### {part.title}", "", part.markdown, ""]
    lines += ["## 4. Parameters and seeds", "", "Every number in this report is reproduced by these values "
              "(`condense figure NAME --seed S --OPTION VALUE`, or a `--config` file); values marked "
              f"{sections.COMPUTED} were computed by the run from the others and are not options.", ""]
    lines += [sections.parameters_table((p.title, p.params, p.computed) for p in parts), ""]
    lines += ["## 5. Environment", "", _environment(), ""]
    return "\n".join(lines)


def _environment() -> str:
    import importlib.metadata as md

    versions = []
    for package in ("numpy", "scipy", "sympy", "numba", "matplotlib"):
        try:
            versions.append(f"{package} {md.version(package)}")
        except md.PackageNotFoundError:
            versions.append(f"{package} (not installed)")
    return (
        f"Python {platform.python_version()} on {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} CPU(s); " + ", ".join(versions) + "."
    )


def _json_summary(config: ReportConfig, parts: list[PartOutcome], seconds: float) -> str:
    data = {
        "version": __version__,
        "quick": config.quick,
        "seed": config.seed,
        "config": config.source,
        "seconds": round(seconds, 2),
        "parts": [
            {"title": p.title, "passed": p.passed, "error": p.error, "seconds": round(p.seconds, 2), "params": p.params,
             "computed": sorted(p.computed)}
            for p in parts
        ],
    }
    return json.dumps(data, indent=2, default=str) + "\n"


def _publish(staging: Path, out_dir: Path) -> None:
    """Move the staged files into ``out_dir``: figures first, the report files last.

    Figure files that the previous report in ``out_dir`` wrote (listed in its ``report.json``) and
    this one did not are removed at the end, so that a figure which failed this time leaves no
    picture of an earlier run beside the report; files the report never wrote are not touched."""
    out_dir.mkdir(parents=True, exist_ok=True)
    previous = _previous_figure_files(out_dir)
    staged_figures = staging / FIGURES_DIR
    written = []
    if staged_figures.is_dir():
        (out_dir / FIGURES_DIR).mkdir(exist_ok=True)
        for path in sorted(staged_figures.iterdir()):
            if path.is_file() and not path.name.startswith("."):
                os.replace(path, out_dir / FIGURES_DIR / path.name)
                written.append(path.name)
    summary = json.loads((staging / "report.json").read_text(encoding="utf-8"))
    summary["figure_files"] = written
    (staging / "report.json").write_text(json.dumps(summary, indent=2, default=str) + "\n", encoding="utf-8")
    for name in ("report.json", "report.md", "report.html"):
        os.replace(staging / name, out_dir / name)
    for name in sorted(previous - set(written)):
        (out_dir / FIGURES_DIR / name).unlink(missing_ok=True)


def _previous_figure_files(out_dir: Path) -> set[str]:
    """Names of the figure files the report already in ``out_dir`` wrote (empty when none)."""
    try:
        names = json.loads((out_dir / "report.json").read_text(encoding="utf-8")).get("figure_files", [])
    except (OSError, ValueError, AttributeError):
        return set()
    # plain names only: never follow a path out of the figures folder
    return {n for n in names if isinstance(n, str) and n and Path(n).name == n and not n.startswith(".")}
