"""Demand topics: what each department's people search for and do not find, grouped by meaning, so the
report can put it beside the supply side (the department's map areas and discovered topics).

query log entries (window) -> zero-result and no-click searches -> per searcher department: distinct
normalised queries, embedded by the same models as documents (routed by script) -> greedy grouping
(a query joins the first group, most searched first, whose leading query is at least
`coverage.demand_min_similarity` similar in the same model) -> DemandTopic: label (the group's most searched
query), searches, zero-result and no-click counts, distinct searchers (pseudonymous ids), and the nearest
map area / discovered topic of the department when one passes the area threshold of semantic.py.

A search counts for every department of the person searching (querylog `departments`; older entries: the
one `department`). Searchers are counted by the log's pseudonymous id, never by name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from kmingest.coverage.model import AreaResult, DemandTopic, DiscoveredTopic
from kmingest.coverage.semantic import SemanticMatcher
from kmingest.querylog import LoggedQuery, normalize_query

DEMAND_TOPICS_PER_DEPARTMENT = 10


@dataclass
class _Query:
    searches: int = 0
    zero_result: int = 0
    no_click: int = 0
    searchers: set[str] = field(default_factory=set)


def unanswered(entries: Iterable[LoggedQuery]) -> dict[str, dict[str, _Query]]:
    """Department -> normalised query -> counts, over searches that found nothing or had nothing opened."""
    out: dict[str, dict[str, _Query]] = {}
    for entry in entries:
        text = normalize_query(entry.query)
        if not text or (entry.result_count > 0 and entry.clicked):
            continue
        for dept in entry.departments or (entry.department,):
            acc = out.setdefault(dept, {}).setdefault(text, _Query())
            acc.searches += 1
            acc.zero_result += entry.result_count == 0
            acc.no_click += entry.result_count > 0
            if entry.searcher:
                acc.searchers.add(entry.searcher)
    return out


def _groups(queries: Mapping[str, _Query], matcher: SemanticMatcher, minimum: float) -> list[list[str]]:
    ordered = sorted(queries, key=lambda q: (-queries[q].searches, q))
    groups: list[list[str]] = []
    for query in ordered:
        for group in groups:
            if matcher.similarity(query, (group[0],)) >= minimum:
                group.append(query)
                break
        else:
            groups.append([query])
    return groups


def _nearest(label: str, names: Sequence[tuple[str, tuple[str, ...]]], matcher: SemanticMatcher) -> str:
    best, found = -1.0, ""
    for name, texts in names:
        score = matcher.similarity(label, texts)
        space = matcher.embedder.space_of(label)
        if score >= matcher.minimum.get(space, 1.0) and score > best:
            best, found = score, name
    return found


def demand_topics(
    entries: Iterable[LoggedQuery],
    matcher: SemanticMatcher,
    minimum: float,
    areas: Sequence[tuple[AreaResult, tuple[str, ...]]],
    topics: Sequence[DiscoveredTopic],
    per_department: int = DEMAND_TOPICS_PER_DEPARTMENT,
) -> list[DemandTopic]:
    """Demand topics per department, most searched first. `areas`: (result, the texts it is matched by)."""
    out: list[DemandTopic] = []
    for dept, queries in sorted(unanswered(entries).items()):
        supply_areas = [(a.area, texts) for a, texts in areas if a.department == dept]
        supply_topics = [
            (t.label, (t.label, t.representative)) for t in topics if t.department == dept and t.label
        ]
        rows = []
        for group in _groups(queries, matcher, minimum):
            accs = [queries[q] for q in group]
            rows.append(
                DemandTopic(
                    department=dept,
                    label=group[0],
                    queries=tuple(group),
                    searches=sum(a.searches for a in accs),
                    zero_result=sum(a.zero_result for a in accs),
                    no_click=sum(a.no_click for a in accs),
                    searchers=len(set().union(*(a.searchers for a in accs))),
                    nearest_area=_nearest(group[0], supply_areas, matcher),
                    nearest_topic=_nearest(group[0], supply_topics, matcher),
                )
            )
        rows.sort(key=lambda t: (-t.searches, t.label))
        out += rows[:per_department]
    return out
