"""The coverage report as CSV files for spreadsheets (UTF-8 with a BOM, so Excel shows Chinese correctly).

Report -> coverage_metrics.csv, coverage_freshness.csv, knowledge_areas.csv, area_matches.csv, topics.csv,
          demand.csv, search_departments.csv, search_queries.csv, problems.csv, changes.csv, rollout.csv

problems.csv names the records the report names; restricted ones come as count rows (external_id
"(restricted)", no reason, `records` = how many).

Column names are the report's field names and the numbers are exactly those of report.json (shares as
fractions 0-1, ages in days), so CSV, JSON and HTML agree.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from kmingest.coverage.metrics import AGE_BUCKETS
from kmingest.coverage.model import GroupMetrics, Person, Report
from kmingest.coverage.rollout_report import write_rollout_csv

METRIC_FIELDS = tuple(GroupMetrics.model_fields)
RESTRICTED = "(restricted)"  # external_id of a problems.csv row that counts records it may not name


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    """A CSV cell. Text that a spreadsheet would run as a formula (an employee's search query, a title
    from a source system) gets a leading apostrophe, so it shows as text (CSV injection)."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _write(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        for row in rows:
            writer.writerow([_cell(v) for v in row])
    return path


def _people(people: Iterable[Person]) -> str:
    return "; ".join(f"{p.name} ({p.documents})" for p in people)


def _date(value: Any) -> str:
    return "" if value is None else str(value.isoformat())


def write_csv(report: Report, out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    levels = (
        ("total", [report.totals]),
        ("department", report.departments),
        ("department_system", report.department_system),
        ("system", report.systems),
        ("cell", report.cells),
    )
    metric_rows = [
        (level, *(getattr(g, f) for f in METRIC_FIELDS)) for level, groups in levels for g in groups
    ]
    paths = [
        _write(out_dir / "coverage_metrics.csv", ("level", *METRIC_FIELDS), metric_rows),
        _write(
            out_dir / "coverage_freshness.csv",
            ("department", "age", "documents"),
            [(d, b, counts.get(b, 0)) for d, counts in report.freshness.items() for b in AGE_BUCKETS],
        ),
        _write(
            out_dir / "knowledge_areas.csv",
            (
                "department",
                "area",
                "status",
                "documents",
                "keyword_documents",
                "semantic_only_documents",
                "freshest",
                "authors",
                "experts",
                "examples",
                "keywords",
                "description",
                "thin_below",
                "stale_after_days",
            ),
            [
                (
                    a.department,
                    a.area,
                    a.status,
                    a.documents,
                    a.keyword_documents,
                    a.semantic_only_documents,
                    _date(a.freshest),
                    "; ".join(f"{n} ({c})" for n, c in a.authors),
                    _people(a.experts),
                    "; ".join(a.examples),
                    "; ".join(a.keywords),
                    a.description or "",
                    a.thin_below,
                    a.stale_after_days,
                )
                for a in report.areas
            ],
        ),
        _write(
            out_dir / "area_matches.csv",
            ("department", "area", "doc_id", "title", "how", "score"),
            [
                (a.department, a.area, m.doc_id, m.title, m.how, m.score)
                for a in report.areas
                for m in a.matches
            ],
        ),
        _write(
            out_dir / "topics.csv",
            (
                "department",
                "topic_id",
                "label",
                "candidate",
                "documents",
                "chunks",
                "freshest",
                "median_age_days",
                "owners",
                "representative",
                "covered_by",
            ),
            [
                (
                    t.department,
                    t.topic_id,
                    t.label,
                    t.candidate,
                    t.documents,
                    t.chunks,
                    _date(t.freshest),
                    t.median_age_days,
                    _people(t.owners),
                    t.representative,
                    "; ".join(t.covered_by),
                )
                for t in report.topics
            ],
        ),
        _write(
            out_dir / "demand.csv",
            (
                "department",
                "label",
                "queries",
                "searches",
                "zero_result",
                "no_click",
                "searchers",
                "nearest_area",
                "nearest_topic",
            ),
            [
                (
                    d.department,
                    d.label,
                    "; ".join(d.queries),
                    d.searches,
                    d.zero_result,
                    d.no_click,
                    d.searchers,
                    d.nearest_area,
                    d.nearest_topic,
                )
                for d in report.demand
            ],
        ),
        _write(
            out_dir / "problems.csv",
            ("source", "system", "department", "doc_type", "external_id", "kind", "reason", "records"),
            [
                (p.source, p.system, p.department, p.doc_type, p.external_id, p.kind, p.reason, 1)
                for p in report.problems
            ]
            + [
                (c.source, c.system, c.department, "", RESTRICTED, c.kind, "", c.records)
                for c in report.restricted_problems
            ],
        ),
    ]
    s = report.search
    dept_rows: list[tuple[Any, ...]] = []
    query_rows: list[tuple[Any, ...]] = []
    if s is not None:
        dept_rows = [
            (
                d.department,
                d.searches,
                d.zero_result,
                d.zero_result_share,
                d.with_results_no_click,
                "; ".join(q.query for q in d.zero_result_queries),
            )
            for d in s.departments
        ]
        for kind, rows in (
            ("top", s.top_queries),
            ("zero_result", s.zero_result_queries),
            ("no_click", s.no_click_queries),
        ):
            query_rows += [
                (
                    kind,
                    q.query,
                    q.searches,
                    q.zero_result,
                    q.with_results_no_click,
                    q.clicked,
                    "; ".join(q.departments),
                    _date(q.last_seen),
                )
                for q in rows
            ]
    paths.append(
        _write(
            out_dir / "search_departments.csv",
            (
                "department",
                "searches",
                "zero_result",
                "zero_result_share",
                "with_results_no_click",
                "zero_result_queries",
            ),
            dept_rows,
        )
    )
    paths.append(
        _write(
            out_dir / "search_queries.csv",
            (
                "list",
                "query",
                "searches",
                "zero_result",
                "with_results_no_click",
                "clicked",
                "departments",
                "last_seen",
            ),
            query_rows,
        )
    )
    changes = report.changes.items if report.changes else ()
    paths.append(
        _write(
            out_dir / "changes.csv",
            ("scope", "department", "area", "verdict", "details"),
            [(c.scope, c.department, c.area, c.verdict, "; ".join(c.details)) for c in changes],
        )
    )
    if report.rollout is not None:
        paths.append(write_rollout_csv(report.rollout, out_dir))
    return paths
