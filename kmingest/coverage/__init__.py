"""Coverage reports for KM leads: what the pilot captured per department, how fresh it is, what is missing
against the knowledge map, and what employees search for and do not find.

    index.document_facts + state dead letters  -> metrics.py, problems.py
    knowledge_map.yaml + BM25 search           -> knowledge_map.py
    portal query log                           -> analytics.py
                                               -> report.py (Report, history) -> diff.py (vs previous)
                                               -> render_html.py / render_csv.py / report.json

`write_report` is the one entry point the CLI (`kmingest report coverage`), the coverage DAG and the
portal's /coverage page share. See docs/coverage.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from kmingest.config import Config
from kmingest.coverage.knowledge_map import KnowledgeMapError
from kmingest.coverage.model import Report
from kmingest.coverage.render_csv import write_csv
from kmingest.coverage.render_html import HTML_FILE, render_html, write_html
from kmingest.coverage.report import (
    REPORT_FILE,
    build_report,
    keep_report,
    latest_report,
    report_json,
    reports_dir,
)
from kmingest.workspace import Workspace

FORMATS = ("html", "json", "csv")

__all__ = [
    "FORMATS",
    "HTML_FILE",
    "REPORT_FILE",
    "KnowledgeMapError",
    "Report",
    "build_report",
    "check_formats",
    "latest_report",
    "make_report",
    "render_html",
    "reports_dir",
    "write_formats",
    "write_report",
]


def make_report(config: Config, as_of: datetime | None = None) -> tuple[Report, Path]:
    """Build a report against the newest kept one and keep it; returns it and its history folder."""
    directory = reports_dir(config)
    previous = latest_report(directory)
    with Workspace(config) as ws:
        report = build_report(config, ws, as_of=as_of, previous=previous)
    return keep_report(report, directory)


def check_formats(formats: Sequence[str]) -> None:
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise ValueError(
            f"unknown report format(s) {', '.join(unknown) or '(none)'}; use {', '.join(FORMATS)}"
        )


def write_formats(report: Report, out_dir: Path, formats: Sequence[str]) -> list[Path]:
    """Write the report in each format into out_dir: coverage.html, report.json, *.csv."""
    check_formats(formats)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    if "html" in formats:
        paths.append(write_html(report, out_dir))
    if "json" in formats:
        path = out_dir / REPORT_FILE
        path.write_text(report_json(report), encoding="utf-8")
        paths.append(path)
    if "csv" in formats:
        paths += write_csv(report, out_dir)
    return paths


def write_report(
    config: Config,
    out_dir: Path | None = None,
    formats: Sequence[str] = FORMATS,
    as_of: datetime | None = None,
) -> list[Path]:
    """Build the coverage report, keep it in `coverage.reports_dir/<report id>/` (with report.json, and
    compared with the previous kept report), write `formats` into `out_dir` (default: that history folder)
    and return the written paths (the kept report.json included). Raises KnowledgeMapError for a bad knowledge
    map, ValueError for an
    unknown format."""
    check_formats(formats)  # before any work
    report, folder = make_report(config, as_of)
    target = out_dir or folder
    paths = write_formats(report, target, formats)
    kept = folder / REPORT_FILE
    if kept not in paths:
        paths.append(kept)  # the history copy is always written
    return paths
