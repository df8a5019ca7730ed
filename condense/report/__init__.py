"""The report: ``condense report --out DIR`` (derivation, verification table, figures).

Public names: :func:`build_report` (returns a :class:`ReportOutcome`), :class:`ReportConfig`,
:func:`load_config` / :func:`parse_config` (JSON or TOML config files), :class:`Progress`.
"""

from condense.report.build import Progress, ReportOutcome, build_report
from condense.report.config import ReportConfig, load_config, parse_config

__all__ = ["Progress", "ReportConfig", "ReportOutcome", "build_report", "load_config", "parse_config"]
