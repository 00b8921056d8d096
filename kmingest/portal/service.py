"""The portal's two use cases, shared by the JSON API and the HTML pages: search and open a document.

params + PortalUser -> kmingest.search.SearchService.semantic (the model of the query's script, its floor)
                    -> index.search(caller=user.caller) -> SearchOutcome
                    -> QueryLog.record(departments, searcher pseudonym, query, filters, count, latency)
                       (never the user name)
hits -> index.get_document(caller=user.caller) -> experts.rank_experts -> "People who wrote about this"
doc id + PortalUser -> index.get_document(caller=user.caller) -> dict | None (None: unknown OR forbidden)
                    -> QueryLog.record_click(qid, doc id) when opened from a logged search

The year facet is not a split of the result: the same search counts, per year bucket, what that year's
filter would return (SearchRequest.count_ranges: in hybrid and vector modes a filter also narrows the
nearest-neighbour part), so each count is what clicking that year shows.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, tzinfo
from typing import Any
from urllib.parse import quote, urlencode

from kmingest.coverage.experts import AuthoredDocument, Expert, rank_experts
from kmingest.index.base import Caller, Filters, Mode, SearchResult
from kmingest.portal.auth import PortalUser
from kmingest.portal.context import Portal
from kmingest.search import SearchService, search_request
from kmingest.workspace import nothing_indexed

log = logging.getLogger("kmingest.portal")
MAX_QUERY_CHARS = 500
MAX_PAGE = 100  # deeper pages are not useful and cost a long ranking
YEARS_PROBED = 10
OLDER_PREFIX = "before-"
EXPERT_HITS = 20  # "People who wrote about this" looks at this many of the page's hits (one read each)
EXPERTS_SHOWN = 5


@dataclass(frozen=True)
class SearchParams:
    q: str = ""
    departments: tuple[str, ...] = ()
    systems: tuple[str, ...] = ()
    doc_types: tuple[str, ...] = ()
    year: str = ""  # "2025", or "before-2017"
    page: int = 1
    size: int = 10
    mode: Mode = "hybrid"

    @classmethod
    def build(
        cls,
        q: str | None,
        dept: list[str],
        system: list[str],
        doc_type: list[str],
        year: str | None,
        page: int,
        size: int,
        mode: Mode = "hybrid",
    ) -> SearchParams:
        return cls(
            q=(q or "").strip()[:MAX_QUERY_CHARS],
            departments=_clean(dept),
            systems=_clean(system),
            doc_types=_clean(doc_type),
            year=(year or "").strip() if _year_range(year or "") else "",
            page=min(max(page, 1), MAX_PAGE),
            size=size,
            mode=mode,
        )

    @property
    def has_filters(self) -> bool:
        return bool(self.departments or self.systems or self.doc_types or self.year)

    def filters(self, zone: tzinfo = UTC) -> Filters:
        start, end = _year_range(self.year, zone) or (None, None)
        return Filters(
            departments=self.departments,
            systems=self.systems,
            doc_types=self.doc_types,
            updated_from=start,
            updated_to=end,
        )

    def filters_for_log(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, values in (
            ("department", self.departments),
            ("system", self.systems),
            ("doc_type", self.doc_types),
        ):
            if values:
                out[key] = list(values)
        if self.year:
            out["year"] = self.year
        return out

    def query_string(self, **changes: Any) -> str:
        """The URL query of these params with changes (page resets to 1 unless given)."""
        p = replace(self, **{"page": 1, **changes})
        pairs: list[tuple[str, str]] = [("q", p.q)] if p.q else []
        pairs += [("dept", v) for v in p.departments] + [("system", v) for v in p.systems]
        pairs += [("type", v) for v in p.doc_types]
        if p.year:
            pairs.append(("year", p.year))
        if p.page > 1:
            pairs.append(("page", str(p.page)))
        return urlencode(pairs)

    def toggled(self, name: str, value: str) -> str:
        """Query string with one facet value added, or removed if it is selected."""
        if name == "year":
            return self.query_string(year="" if self.year == value else value)
        field_name = {"department": "departments", "system": "systems", "doc_type": "doc_types"}[name]
        current: tuple[str, ...] = getattr(self, field_name)
        values = tuple(v for v in current if v != value) if value in current else (*current, value)
        return self.query_string(**{field_name: values})

    def selected(self, name: str, value: str) -> bool:
        if name == "year":
            return self.year == value
        return (
            value
            in {"department": self.departments, "system": self.systems, "doc_type": self.doc_types}[name]
        )


def _clean(values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v.strip() for v in values if v.strip()))[:20]


def _year_range(year: str, zone: tzinfo = UTC) -> tuple[datetime | None, datetime | None] | None:
    """A year's bounds in the portal's time zone (portal.timezone): 1 January 00:00 to 31 December 24:00
    there, so a document updated on New Year's Eve evening in Shanghai counts in that year."""
    older = year.startswith(OLDER_PREFIX)
    digits = year.removeprefix(OLDER_PREFIX)
    if not (len(digits) == 4 and digits.isdigit() and 1900 <= int(digits) <= 2999):
        return None
    if older:  # everything dated before 1 January of that year
        return None, datetime(int(digits) - 1, 12, 31, 23, 59, 59, 999999, tzinfo=zone)
    return datetime(int(digits), 1, 1, tzinfo=zone), datetime(
        int(digits), 12, 31, 23, 59, 59, 999999, tzinfo=zone
    )


@dataclass
class SearchOutcome:
    params: SearchParams
    result: SearchResult
    years: list[tuple[str, int]] = field(default_factory=list)
    query_id: int | None = None
    latency_ms: float = 0.0
    index_empty: bool = False  # nothing was found because nothing is indexed yet (asked only then)

    @property
    def pages(self) -> int:
        return min(MAX_PAGE, max(1, -(-self.result.total // self.params.size)))


def run_search(portal: Portal, user: PortalUser, params: SearchParams) -> SearchOutcome:
    """Search as the user; logs non-empty queries (department, query, filters, count, latency)."""
    started = time.perf_counter()
    ws = portal.workspace
    vector = SearchService(ws.config, ws.embedder, ws.index).semantic(params.q, params.mode)  # reads only
    filters = params.filters(portal.zone)
    labels = _year_labels(portal.zone)
    request = replace(
        search_request(params.q, filters, params.mode, params.size, (params.page - 1) * params.size),
        count_ranges=tuple(_year_range(label, portal.zone) or (None, None) for label in labels),
    )
    result = ws.index.search(request, user.caller, vector)
    years = _year_facet(params, result, labels)
    latency_ms = (time.perf_counter() - started) * 1000
    query_id = None
    if params.q and user.logs_queries:  # not for a search a link from another site opened
        query_id = portal.querylog.record(
            user.department,
            params.q,
            params.filters_for_log(),
            result.total,
            latency_ms,
            mode=params.mode,
            owner=user.owner,
            departments=user.departments,
            searcher=portal.searcher(user.name),
        )
    empty = result.total == 0 and nothing_indexed(ws.index)
    return SearchOutcome(params, result, years, query_id, latency_ms, empty)


def _year_labels(zone: tzinfo = UTC) -> list[str]:
    """The year facet's buckets: each of the last YEARS_PROBED years, and one for everything before."""
    this_year = datetime.now(zone).year
    labels = [str(y) for y in range(this_year, this_year - YEARS_PROBED, -1)]
    return [*labels, f"{OLDER_PREFIX}{this_year - YEARS_PROBED + 1}"]


def _year_facet(params: SearchParams, result: SearchResult, labels: list[str]) -> list[tuple[str, int]]:
    """Per year bucket: how many results that year's filter gives (what clicking shows; in hybrid and
    vector modes a filter also narrows the nearest-neighbour part, so this is not a split of `total`),
    counted by the index in the same search (SearchRequest.count_ranges)."""
    if result.total == 0:
        return []
    if params.year:
        return [(params.year, result.total)]
    counts = result.range_counts or [0] * len(labels)
    return [(label, n) for label, n in zip(labels, counts, strict=True) if n]


def people_who_wrote(portal: Portal, user: PortalUser, outcome: SearchOutcome) -> list[Expert]:
    """ "People who wrote about this": who authored or owns the page's hits, most recent work first.

    Built only from the hits of the user's own ACL-filtered search (each hit carries its document's
    author: no further reads), so a person known only from documents the user may not read is never
    named. Nothing for a browse without a query."""
    if not outcome.params.q:
        return []
    readable = [
        AuthoredDocument(author=hit.author, updated_at=hit.updated_at)
        for hit in outcome.result.hits[:EXPERT_HITS]
    ]
    # the hits are the user's readable documents already: ranked as such (no ACL check left to make)
    return rank_experts(readable, Caller.system(), limit=EXPERTS_SHOWN)


def open_document(
    portal: Portal, user: PortalUser, doc_id: str, query_id: int | None
) -> dict[str, Any] | None:
    """The document if the user may read it, else None (the caller answers 404 for both cases)."""
    if not doc_id or len(doc_id) > 200:
        return None
    doc = portal.workspace.index.get_document(doc_id, user.caller)
    if doc is None:
        return None
    if query_id is not None:
        portal.querylog.record_click(query_id, doc_id, owner=user.owner)  # only the query's own session
    return dict(doc)


def source_link(portal: Portal, doc: dict[str, Any]) -> str | None:
    """Link back to the source system: the document's own URL, else `portal.source_links[system]`."""
    url = doc.get("url")
    if isinstance(url, str) and url.startswith(("http://", "https://")):
        return url
    template = portal.config.portal.source_links.get(str(doc.get("system", "")))
    if not template:
        return None
    try:
        link = template.format(external_id=quote(str(doc.get("external_id", "")), safe=""))
    except (KeyError, IndexError, ValueError):
        log.warning("portal.source_links[%s] is not a valid template", doc.get("system"))
        return None
    return link if link.startswith(("http://", "https://")) else None
