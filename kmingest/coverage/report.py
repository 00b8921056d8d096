"""Assembles the coverage Report and keeps the history of reports.

Workspace (index + state) + knowledge map + query log -> build_report() -> Report
Report -> keep_report() -> <reports_dir>/<report_id>/report.json ; latest_report() reads the newest back

Everything is computed as the system caller (Caller.system()): the report is for KM leads and counts every
document. Each kept report is compared with the one before it (diff.py), so the next report shows what got
better or worse per department and knowledge area.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from kmingest.config import Config
from kmingest.coverage.analytics import search_analytics
from kmingest.coverage.diff import compare
from kmingest.coverage.knowledge_map import evaluate, load_knowledge_map
from kmingest.coverage.metrics import compute_metrics
from kmingest.coverage.model import Report, Thresholds
from kmingest.coverage.problems import collect_problems
from kmingest.index.base import Caller
from kmingest.querylog import query_log_path
from kmingest.workspace import Workspace

REPORT_FILE = "report.json"


def reports_dir(config: Config) -> Path:
    return config.coverage.reports_dir or config.state_dir / "reports"


def build_report(
    config: Config,
    ws: Workspace,
    as_of: datetime | None = None,
    previous: Report | None = None,
    generated_at: datetime | None = None,
) -> Report:
    """Compute a report now; `as_of` (default: now) is the moment ages and freshness are measured from."""
    cov = config.coverage
    generated = generated_at or datetime.now(UTC)
    as_of = as_of or generated
    facts = {f.doc_id: f for f in ws.index.document_facts(Caller.system())}
    problems = collect_problems(config, ws.state, attribute=cov.attribute_problems)
    metrics = compute_metrics(facts.values(), problems, as_of, cov.near_empty_chars)
    areas = []
    if cov.knowledge_map is not None:
        kmap = load_knowledge_map(cov.knowledge_map)
        # titles and authors shown per area come only from documents everyone may read: the counts cover
        # every document, but the report must not show what a restricted document is called or who wrote it
        public = frozenset(f.doc_id for f in facts.values() if f.public)
        areas = evaluate(kmap, ws.index, facts, as_of, cov.thin_below, cov.stale_after_days, public)
    search = search_analytics(
        query_log_path(config.state_dir), generated, cov.query_window_days, cov.top_queries
    )
    report = Report(
        report_id=generated.strftime("%Y%m%dT%H%M%SZ"), generated_at=generated, as_of=as_of,
        backend=config.index.backend,
        thresholds=Thresholds(thin_below=cov.thin_below, stale_after_days=cov.stale_after_days,
                              near_empty_chars=cov.near_empty_chars),
        knowledge_map=str(cov.knowledge_map) if cov.knowledge_map else None, totals=metrics.totals,
        cells=tuple(metrics.cells), departments=tuple(metrics.departments),
        department_system=tuple(metrics.department_system), systems=tuple(metrics.systems),
        freshness=metrics.freshness, problems=tuple(problems), areas=tuple(areas), search=search,
    )  # fmt: skip
    if previous is not None:
        report = report.model_copy(update={"changes": compare(previous, report)})
    return report


def report_json(report: Report) -> str:
    return report.model_dump_json(indent=2)


def read_report(path: Path) -> Report:
    return Report.model_validate_json(path.read_text(encoding="utf-8"))


def history(directory: Path) -> list[Path]:
    """Folders of kept reports, oldest first."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if (p / REPORT_FILE).is_file())


def latest_report(directory: Path) -> Report | None:
    """The newest kept report that can still be read (a report from an older format is passed over)."""
    for folder in reversed(history(directory)):
        try:
            return read_report(folder / REPORT_FILE)
        except (ValidationError, json.JSONDecodeError, OSError):
            continue
    return None


def keep_report(report: Report, directory: Path) -> tuple[Report, Path]:
    """Store the report in its own history folder (a new id if that second is taken); returns both."""
    directory.mkdir(parents=True, exist_ok=True)
    report_id, n = report.report_id, 1
    while True:
        try:
            (directory / report_id).mkdir()  # atomic: two writers never share a folder
            break
        except FileExistsError:
            n += 1
            report_id = f"{report.report_id}-{n:02d}"
    report = report.model_copy(update={"report_id": report_id})
    folder = directory / report_id
    tmp = folder / (REPORT_FILE + ".tmp")
    tmp.write_text(report_json(report), encoding="utf-8")
    tmp.replace(folder / REPORT_FILE)
    return report, folder
