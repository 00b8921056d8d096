"""The typed coverage report: what metrics.py, knowledge_map.py and analytics.py compute, what report.py
keeps as `report.json` in the history, and what render_html.py / render_csv.py turn into files.

index + state + knowledge_map.yaml + query log -> Report -> report.json (history) -> HTML / CSV / JSON

Shares are fractions between 0 and 1 (rounded to 4 places), ages are days (1 place). Every number the
HTML shows is a field here, so CSV, JSON and HTML carry the same numbers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kmingest.coverage.rollout_report import Rollout

AreaStatus = Literal["covered", "thin", "stale", "missing"]
MatchHow = Literal["keyword", "semantic", "keyword+semantic"]
Verdict = Literal["better", "worse", "same", "new", "gone"]
STATUS_ORDER: tuple[AreaStatus, ...] = ("missing", "stale", "thin", "covered")
UNKNOWN = "(unknown)"  # department or type of a record that could not be read


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GroupMetrics(_Model):
    """Coverage of one group: a department x system x document type cell, or a roll-up of cells."""

    department: str
    system: str = ""  # "" in a roll-up over systems
    doc_type: str = ""  # "" in a roll-up over types
    documents: int = 0  # in the index
    chunks: int = 0
    embedded_documents: int = 0  # documents with at least one chunk that carries a vector
    failed: int = 0  # records that failed to read or parse (dead letters), not in the index
    skipped: int = 0  # records with nothing to index (unsupported format, no text)
    embedded_share: float = 0.0  # embedded_documents / (documents + failed + skipped)
    median_age_days: float | None = None  # over dated documents; None if none is dated
    updated_90d_share: float = 0.0  # of dated documents
    updated_365d_share: float = 0.0
    undated: int = 0
    near_empty: int = 0  # documents with fewer than coverage.near_empty_chars characters of text
    duplicates: int = 0  # documents whose text also appears in a document of another source
    duplicates_in_source: int = 0  # documents whose text also appears in another document of their source
    no_department: int = 0  # documents filed under the unassigned department


class Problem(_Model):
    """A record that is not in the index, with where it came from as far as that is known."""

    source: str
    system: str
    department: str
    doc_type: str
    external_id: str
    kind: Literal["failed", "skipped"]
    reason: str
    acl: tuple[str, ...] = ()  # who may read the record; () = not known, so nobody but admins (fail closed)


class RestrictedProblems(_Model):
    """Records not in the index that the report's reader may not read: counted, never named."""

    source: str
    system: str
    department: str
    kind: Literal["failed", "skipped"]
    records: int


class Person(_Model):
    name: str
    documents: int
    latest: datetime | None = None


class AreaMatch(_Model):
    """A public document counted for an area, and how it matched."""

    doc_id: str
    title: str
    how: MatchHow
    score: float | None = None  # cosine of the document's best chunk with the area (semantic matches)


class AreaResult(_Model):
    department: str
    area: str
    keywords: tuple[str, ...]
    description: str | None = None
    status: AreaStatus
    documents: int
    keyword_documents: int = 0  # documents containing a keyword (every word of it)
    semantic_only_documents: int = 0  # documents that count only because they mean the same
    freshest: datetime | None = None
    authors: tuple[tuple[str, int], ...] = ()  # (author, documents), most documents first
    examples: tuple[str, ...] = ()  # titles of the freshest matching documents
    matches: tuple[AreaMatch, ...] = ()  # public matching documents, keyword matches first
    experts: tuple[Person, ...] = ()  # who wrote or owns the most recent public documents (experts.py)
    thin_below: int
    stale_after_days: int


class DiscoveredTopic(_Model):
    """A cluster of one department's chunks; a candidate key knowledge area when no map area covers it."""

    department: str
    topic_id: str  # stable within a report: <department>/<space>/<n>
    label: str  # the most distinctive terms, joined
    terms: tuple[str, ...]
    documents: int
    chunks: int
    representative: str  # title of the public document nearest the cluster's centre ("" if none is public)
    freshest: datetime | None = None
    median_age_days: float | None = None
    owners: tuple[Person, ...] = ()
    covered_by: tuple[str, ...] = ()  # map areas that claim most of its documents
    candidate: bool = False


class DemandTopic(_Model):
    """Searches of one department that found nothing (or nothing worth opening), grouped by meaning."""

    department: str  # of the people searching
    label: str  # the most searched query of the group
    queries: tuple[str, ...]
    searches: int
    zero_result: int
    no_click: int
    searchers: int = 0  # distinct pseudonymous searcher ids (0 where the log has none)
    nearest_area: str = ""  # the department's map area most similar in meaning ("" if none is close)
    nearest_topic: str = ""  # the department's discovered topic most similar in meaning


class QueryStat(_Model):
    query: str  # normalised (querylog.normalize_query)
    searches: int
    zero_result: int = 0
    with_results_no_click: int = 0
    clicked: int = 0
    departments: tuple[str, ...] = ()
    last_seen: datetime | None = None


class DepartmentSearch(_Model):
    department: str  # the asker's department
    searches: int
    zero_result: int
    with_results_no_click: int
    zero_result_share: float
    zero_result_queries: tuple[QueryStat, ...] = ()


class SearchAnalytics(_Model):
    since: datetime
    until: datetime
    searches: int = 0
    zero_result: int = 0
    with_results_no_click: int = 0
    top_queries: tuple[QueryStat, ...] = ()
    zero_result_queries: tuple[QueryStat, ...] = ()
    no_click_queries: tuple[QueryStat, ...] = ()
    departments: tuple[DepartmentSearch, ...] = ()


class Change(_Model):
    """One department or area compared with the previous report."""

    scope: Literal["department", "area"]
    department: str
    area: str = ""
    verdict: Verdict
    details: tuple[str, ...] = ()  # e.g. "documents 120 -> 131", "status thin -> covered"


class Changes(_Model):
    previous_id: str
    previous_generated_at: datetime
    items: tuple[Change, ...] = ()


class Thresholds(_Model):
    thin_below: int
    stale_after_days: int
    near_empty_chars: int


class Report(_Model):
    report_id: str  # the history folder name, e.g. 20261101T000000Z
    generated_at: datetime
    as_of: datetime  # ages and freshness are measured against this moment
    backend: str
    thresholds: Thresholds
    knowledge_map: str | None = None  # path of the knowledge map the areas come from
    totals: GroupMetrics
    cells: tuple[GroupMetrics, ...] = ()  # department x system x type
    departments: tuple[GroupMetrics, ...] = ()  # roll-up per department
    department_system: tuple[GroupMetrics, ...] = ()  # roll-up per department x system (heat map)
    systems: tuple[GroupMetrics, ...] = ()  # roll-up per system
    freshness: dict[str, dict[str, int]] = Field(default_factory=dict)  # department -> age bucket -> docs
    problems: tuple[Problem, ...] = ()  # those the reader may read (problems.for_reader), named
    restricted_problems: tuple[RestrictedProblems, ...] = ()  # the others, counted
    areas: tuple[AreaResult, ...] = ()
    area_similarity: dict[str, float] = Field(default_factory=dict)  # model -> threshold; {} = keywords only
    topics: tuple[DiscoveredTopic, ...] = ()
    demand: tuple[DemandTopic, ...] = ()
    search: SearchAnalytics | None = None
    rollout: Rollout | None = None  # rollout.py: per department and month, pilot vs others
    changes: Changes | None = None
