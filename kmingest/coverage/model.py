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

AreaStatus = Literal["covered", "thin", "stale", "missing"]
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


class AreaResult(_Model):
    department: str
    area: str
    keywords: tuple[str, ...]
    status: AreaStatus
    documents: int
    freshest: datetime | None = None
    authors: tuple[tuple[str, int], ...] = ()  # (author, documents), most documents first
    examples: tuple[str, ...] = ()  # titles of the freshest matching documents
    thin_below: int
    stale_after_days: int


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
    search: SearchAnalytics | None = None
    changes: Changes | None = None
