"""Search-gap analytics from the portal's query log: what employees search for and do not find.

QueryLog(state_dir/querylog.db).entries(since, until) -> SearchAnalytics -> report

Queries are grouped by their normalised form (querylog.normalize_query). Over the window
[until - query_window_days, until] (the report's generation time):
- top queries: most searched;
- zero-result queries: searches that returned nothing (per asker department, too);
- queries with results but no clicks: searches that returned something of which nothing was opened;
the trend is the comparison with the previous report (diff.py).
Empty queries (browsing) are not searches and are left out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from kmingest.coverage.model import DepartmentSearch, QueryStat, SearchAnalytics
from kmingest.querylog import LoggedQuery, QueryLog, normalize_query


@dataclass
class _Acc:
    searches: int = 0
    zero_result: int = 0
    no_click: int = 0
    clicked: int = 0
    departments: set[str] = field(default_factory=set)
    last_seen: datetime | None = None

    def add(self, q: LoggedQuery) -> None:
        self.searches += 1
        self.zero_result += q.result_count == 0
        self.no_click += q.result_count > 0 and not q.clicked
        self.clicked += bool(q.clicked)
        self.departments.add(q.department)
        self.last_seen = q.at if self.last_seen is None or q.at > self.last_seen else self.last_seen

    def stat(self, query: str) -> QueryStat:
        return QueryStat(
            query=query,
            searches=self.searches,
            zero_result=self.zero_result,
            with_results_no_click=self.no_click,
            clicked=self.clicked,
            departments=tuple(sorted(self.departments)),
            last_seen=self.last_seen,
        )


def _ranked(accs: dict[str, _Acc], count: str, top: int) -> tuple[QueryStat, ...]:
    rows = [(q, a) for q, a in accs.items() if getattr(a, count) > 0]
    rows.sort(key=lambda qa: (-getattr(qa[1], count), -qa[1].searches, qa[0]))
    return tuple(a.stat(q) for q, a in rows[:top])


def analyze(
    entries: Iterable[LoggedQuery], since: datetime, until: datetime, top: int = 20
) -> SearchAnalytics:
    overall: dict[str, _Acc] = defaultdict(_Acc)
    per_dept: dict[str, dict[str, _Acc]] = defaultdict(lambda: defaultdict(_Acc))
    for q in entries:
        text = normalize_query(q.query)
        if not text:
            continue
        overall[text].add(q)
        per_dept[q.department][text].add(q)
    departments = []
    for dept in sorted(per_dept):
        accs = per_dept[dept]
        searches = sum(a.searches for a in accs.values())
        zero = sum(a.zero_result for a in accs.values())
        departments.append(
            DepartmentSearch(
                department=dept,
                searches=searches,
                zero_result=zero,
                with_results_no_click=sum(a.no_click for a in accs.values()),
                zero_result_share=round(zero / searches, 4) if searches else 0.0,
                zero_result_queries=_ranked(accs, "zero_result", top),
            )
        )
    return SearchAnalytics(
        since=since,
        until=until,
        searches=sum(a.searches for a in overall.values()),
        zero_result=sum(a.zero_result for a in overall.values()),
        with_results_no_click=sum(a.no_click for a in overall.values()),
        top_queries=_ranked(overall, "searches", top),
        zero_result_queries=_ranked(overall, "zero_result", top),
        no_click_queries=_ranked(overall, "no_click", top),
        departments=tuple(departments),
    )


def search_analytics(log_path: Path, until: datetime, window_days: int, top: int = 20) -> SearchAnalytics:
    """Analytics over the last `window_days` before `until`; an absent log gives empty analytics."""
    since = until - timedelta(days=window_days)
    if not log_path.exists():
        return SearchAnalytics(since=since, until=until)
    log = QueryLog(log_path)
    try:
        return analyze(log.entries(since, until), since, until, top)
    finally:
        log.close()
