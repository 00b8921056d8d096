"""Rollout and value over time: per department and month, is the portal used, do people find what they look
for, and does the knowledge base grow; the pilot departments compared with the others.

query log entries (querylog.py) + index document facts (dates) + kept reports (the coverage history)
  -> compute_rollout(..., pilot_departments, until) -> Rollout -> rollout_report.py: CSV/JSON rows, HTML

Per department and calendar month (in `zone`, UTC by default; the current month counts to `until`):
- searchers: distinct pseudonymous searcher ids (querylog.searcher_id; names are never stored); searches
  logged before the log kept ids are counted as searches but not as searchers;
- searches (non-empty queries), opened (searches from which a result was opened), success_share =
  opened / searches, zero_result and zero_result_share;
- documents_updated: documents in the index whose own date (`updated_at`) falls in the month;
- documents, areas, areas_covered: from the month's newest kept report (None without one), and
  documents_added: documents then minus documents in the previous month's newest kept report (net: added
  minus removed; None when either month has no kept report).
A search counts for every department of the asker. Group rows ("pilot", "others", "all") count each search,
searcher and document once per group. `trend` compares each group's first and last month.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from kmingest.coverage.model import Report
from kmingest.coverage.rollout_report import Rollout, RolloutRow, Trend
from kmingest.querylog import NO_DEPARTMENT, LoggedQuery, QueryLog, normalize_query, query_log_path

DEFAULT_MONTHS = 12
PILOT, OTHERS, ALL = "pilot", "others", "all"
TREND_FIGURES = (
    "searchers",
    "searches",
    "success_share",
    "zero_result_share",
    "documents_updated",
    "areas_covered",
)
LOWER_IS_BETTER = frozenset({"zero_result_share"})


def month_of(moment: datetime, zone: tzinfo = UTC) -> str:
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return moment.astimezone(zone).strftime("%Y-%m")


def month_window(until: datetime, months: int, zone: tzinfo = UTC) -> tuple[str, ...]:
    """The `months` calendar months ending with the one `until` falls in, oldest first."""
    year, month = (int(part) for part in month_of(until, zone).split("-"))
    keys = []
    for _ in range(months):
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return tuple(reversed(keys))


@dataclass
class _Cell:
    searchers: set[str] = field(default_factory=set)
    searches: int = 0
    opened: int = 0
    zero_result: int = 0
    documents_updated: int = 0

    def add_search(self, q: LoggedQuery) -> None:
        self.searches += 1
        self.opened += bool(q.clicked)
        self.zero_result += q.result_count == 0
        if q.searcher:
            self.searchers.add(q.searcher)


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _report_figures(reports: Iterable[Report], months: Sequence[str], zone: tzinfo) -> dict[str, Report]:
    """The newest kept report of each month in the window."""
    newest: dict[str, Report] = {}
    for report in reports:
        key = month_of(report.generated_at, zone)
        if key in months and (key not in newest or report.generated_at > newest[key].generated_at):
            newest[key] = report
    return newest


def _kept_counts(report: Report | None, departments: set[str]) -> tuple[int | None, int | None, int | None]:
    """(documents, areas, areas covered) of a set of departments in a kept report; Nones without one."""
    if report is None:
        return None, None, None
    documents = sum(d.documents for d in report.departments if d.department in departments)
    areas = [a for a in report.areas if a.department in departments]
    return documents, len(areas), sum(a.status == "covered" for a in areas)


def compute_rollout(
    entries: Iterable[LoggedQuery],
    documents: Iterable[Any],
    reports: Iterable[Report],
    pilot_departments: Sequence[str],
    until: datetime,
    months: int = DEFAULT_MONTHS,
    zone: tzinfo = UTC,
) -> Rollout:
    """The rollout figures over the `months` months up to `until`.

    `entries`: query-log entries (any range; those outside the window are ignored); `documents`: objects
    with `department` and `updated_at` (DocumentFacts, every document: counted as the system caller);
    `reports`: kept reports (report.json of the history, plus the one being built if any)."""
    window = month_window(until, months, zone)
    in_window = set(window)
    pilot = frozenset(pilot_departments)
    cells: dict[tuple[str, str], _Cell] = defaultdict(_Cell)
    group_cells: dict[tuple[str, str], _Cell] = defaultdict(_Cell)
    for q in entries:
        key = month_of(q.at, zone)
        if key not in in_window or not normalize_query(q.query):
            continue
        depts = q.departments or ((q.department,) if q.department else (NO_DEPARTMENT,))
        for dept in depts:
            cells[(dept, key)].add_search(q)
        for group in _groups(depts, pilot):
            group_cells[(group, key)].add_search(q)
    for doc in documents:
        updated = getattr(doc, "updated_at", None)
        if not isinstance(updated, datetime) or (key := month_of(updated, zone)) not in in_window:
            continue
        dept = str(getattr(doc, "department", "") or NO_DEPARTMENT)
        cells[(dept, key)].documents_updated += 1
        for group in _groups((dept,), pilot):
            group_cells[(group, key)].documents_updated += 1
    kept = _report_figures(reports, window, zone)
    known = {dept for dept, _ in cells} | {d.department for r in kept.values() for d in r.departments}
    known |= {a.department for r in kept.values() for a in r.areas} | set(pilot)
    dept_rows = [
        _row("department", d, d in pilot, m, cells.get((d, m)), kept, window, {d})
        for d in sorted(known)
        for m in window
    ]
    members = {PILOT: set(pilot), OTHERS: known - pilot, ALL: known}
    names = (PILOT, OTHERS, ALL) if pilot else (ALL,)
    group_rows = [
        _row("group", g, None, m, group_cells.get((g, m)), kept, window, members[g])
        for g in names
        for m in window
    ]
    return Rollout(
        months=window,
        pilot_departments=tuple(sorted(pilot)),
        departments=tuple(dept_rows),
        groups=tuple(group_rows),
        trend=tuple(_trends(group_rows)),
    )


def _groups(departments: Iterable[str], pilot: frozenset[str]) -> set[str]:
    depts = set(departments)
    groups = {ALL}
    if pilot:
        if depts & pilot:
            groups.add(PILOT)
        if depts - pilot:
            groups.add(OTHERS)
    return groups


def _row(
    scope: Literal["department", "group"],
    name: str,
    pilot: bool | None,
    month: str,
    cell: _Cell | None,
    kept: dict[str, Report],
    window: Sequence[str],
    departments: set[str],
) -> RolloutRow:
    c = cell or _Cell()
    documents, areas, covered = _kept_counts(kept.get(month), departments)
    index = window.index(month)
    before = _kept_counts(kept.get(window[index - 1]), departments)[0] if index else None
    added = documents - before if documents is not None and before is not None else None
    return RolloutRow(
        scope=scope,
        name=name,
        pilot=pilot,
        month=month,
        searchers=len(c.searchers),
        searches=c.searches,
        opened=c.opened,
        success_share=_share(c.opened, c.searches),
        zero_result=c.zero_result,
        zero_result_share=_share(c.zero_result, c.searches),
        documents_updated=c.documents_updated,
        documents=documents,
        documents_added=added,
        areas=areas,
        areas_covered=covered,
    )


def _trends(group_rows: Sequence[RolloutRow]) -> list[Trend]:
    """Per group and figure: the first month with a value against the last (shares only over months
    with searches; kept-report figures only over months with a report)."""
    by_group: dict[str, list[RolloutRow]] = defaultdict(list)
    for row in group_rows:
        by_group[row.name].append(row)
    return [_trend(group, figure, rows) for group, rows in by_group.items() for figure in TREND_FIGURES]


def _trend(group: str, figure: str, rows: Sequence[RolloutRow]) -> Trend:
    points = [(r.month, float(getattr(r, figure))) for r in rows if _has_value(r, figure)]
    first, last = (points[0], points[-1]) if points else ((rows[-1].month, None), (rows[-1].month, None))
    delta = last[1] - first[1] if first[1] is not None and last[1] is not None and len(points) > 1 else None
    direction = "unknown" if delta is None else "up" if delta > 0 else "down" if delta < 0 else "flat"
    better = None if not delta else (delta < 0) == (figure in LOWER_IS_BETTER)
    return Trend.model_validate(
        {
            "group": group,
            "figure": figure,
            "first_month": first[0],
            "last_month": last[0],
            "first": first[1],
            "last": last[1],
            "direction": direction,
            "better": better,
        }
    )


def _has_value(row: RolloutRow, figure: str) -> bool:
    if figure.endswith("_share"):
        return row.searches > 0
    return getattr(row, figure) is not None


def kept_reports(directory: Path) -> list[Report]:
    """Every readable report.json under `directory` (the coverage history), oldest first; unreadable or
    older-format ones are passed over."""
    reports = []
    for path in sorted(directory.glob("*/report.json")) if directory.is_dir() else []:
        try:
            reports.append(Report.model_validate_json(path.read_text(encoding="utf-8")))
        except (ValidationError, OSError):
            continue
    return reports


def rollout_for(
    state_dir: Path,
    documents: Iterable[Any],
    reports: Iterable[Report],
    pilot_departments: Sequence[str],
    until: datetime,
    months: int = DEFAULT_MONTHS,
    zone: tzinfo = UTC,
) -> Rollout:
    """compute_rollout over the portal's query log in `state_dir` (an absent log: no searches)."""
    year, month = (int(part) for part in month_window(until, months, zone)[0].split("-"))
    since = datetime(year, month, 1, tzinfo=zone)
    path = query_log_path(state_dir)
    if not path.exists():
        return compute_rollout((), documents, reports, pilot_departments, until, months, zone)
    log = QueryLog(path)
    try:
        return compute_rollout(
            log.entries(since, until), documents, reports, pilot_departments, until, months, zone
        )
    finally:
        log.close()
