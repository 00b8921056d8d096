"""Duplicate groups of the embedded index's snapshot (index/snapshot.py): documents with the same text
fingerprint (index/base.py `group_fingerprint`) share an integer code, and the documents of each code lie
in one run, so a page's copies are found and result sets are counted as groups by touching only the
documents that have copies (used by index/embedded_search.py). Elasticsearch counts the same groups
with aggregations: distinct fingerprints plus the documents without one (index/elastic_search.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from kmingest.index.base import FACET_FIELDS, DateRange, Location, SearchHit, SearchResult

IntArray = npt.NDArray[np.int64]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
GroupKey = tuple[str, str]  # ES: ("fingerprints", fingerprint) or ("docs", doc_id) of a document alone
Mask = npt.NDArray[np.bool_]


@dataclass
class Groups:
    """Duplicate groups: a code per document (a document without text has a code of its own)."""

    codes: IntArray
    members: IntArray  # documents ordered by group code
    starts: IntArray  # where each code's run begins in `members` (one more entry: the end)
    shared: Mask  # per document: its group has other documents

    @classmethod
    def build(cls, fingerprints: Sequence[str | None]) -> Groups:
        table: dict[str, int] = {}
        codes = np.array(
            [-1 if fp is None else table.setdefault(fp, len(table)) for fp in fingerprints], dtype=np.int64
        )
        alone = np.flatnonzero(codes < 0)
        codes[alone] = len(table) + np.arange(len(alone))
        sizes = np.bincount(codes, minlength=len(table) + len(alone))
        starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        return cls(codes, np.argsort(codes, kind="stable"), starts, sizes[codes] > 1)

    def count(self, docs: IntArray, by_group: bool = True) -> int:
        """Distinct groups (by_group False: documents) among these documents."""
        if not by_group:
            return len(docs)
        shared = docs[self.shared[docs]]
        return len(docs) - len(shared) + len(np.unique(self.codes[shared]))

    def copies(self, doc: int, mask: Mask) -> IntArray:
        """The other documents of `doc`'s group within the mask, in index order."""
        if not self.shared[doc]:
            return np.arange(0)
        code = self.codes[doc]
        run = self.members[self.starts[code] : self.starts[code + 1]]
        found: IntArray = run[mask[run] & (run != doc)]
        return found


def group_aggs(by_group: bool, precision: int = 3000) -> dict[str, Any]:
    """Sub-aggregations that count duplicate groups: distinct fingerprints + documents without one
    (by_group False: documents)."""
    if not by_group:
        return {
            "fingerprints": {"cardinality": {"field": "doc_id", "precision_threshold": precision}},
            "alone": {"filter": {"match_none": {}}, "aggs": {"docs": {"value_count": {"field": "doc_id"}}}},
        }
    return {
        "fingerprints": {"cardinality": {"field": "fingerprint", "precision_threshold": precision}},
        "alone": {
            "filter": {"bool": {"must_not": {"exists": {"field": "fingerprint"}}}},
            "aggs": {"docs": {"cardinality": {"field": "doc_id", "precision_threshold": precision}}},
        },
    }


def groups_in(bucket: dict[str, Any]) -> int:
    return int(bucket["fingerprints"]["value"]) + int(bucket["alone"]["docs"]["value"])


def count_aggs(by_group: bool, ranges: Sequence[DateRange] = ()) -> dict[str, Any]:
    """The facets and the total, in duplicate groups; and per date range (`ranges_agg`), if any."""
    facets = {f: {"terms": {"field": f, "size": 100}, "aggs": group_aggs(by_group)} for f in FACET_FIELDS}
    aggs = {**facets, "total": {"filter": {"match_all": {}}, "aggs": group_aggs(by_group, 40000)}}
    return aggs | ({"ranges": ranges_agg(ranges, by_group)} if ranges else {})


@dataclass
class Counts:
    """Duplicate groups as `count_aggs` counts them: in all, per facet value, per date range (None: not
    asked). Counts of disjoint group sets add up: Elasticsearch counts a union of result sets as the
    counts of one set, plus those of another set's groups, minus those groups' part of the first."""

    total: int = 0
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    ranges: list[int] | None = None

    @classmethod
    def of(cls, aggs: dict[str, Any]) -> Counts:
        facets = {f: {str(b["key"]): groups_in(b) for b in aggs[f]["buckets"]} for f in FACET_FIELDS}
        ranges = groups_per_range(aggs["ranges"]) if "ranges" in aggs else None
        return cls(groups_in(aggs["total"]), facets, ranges)

    def __add__(self, other: Counts) -> Counts:
        return self._plus(other, 1)

    def __sub__(self, other: Counts) -> Counts:
        return self._plus(other, -1)

    def _plus(self, other: Counts, sign: int) -> Counts:
        facets = {}
        for f in self.facets.keys() | other.facets.keys():
            mine, theirs = self.facets.get(f, {}), other.facets.get(f, {})
            facets[f] = {v: mine.get(v, 0) + sign * theirs.get(v, 0) for v in mine.keys() | theirs.keys()}
        ranges = self.ranges
        if other.ranges is not None:
            base = ranges or [0] * len(other.ranges)
            ranges = [a + sign * b for a, b in zip(base, other.ranges, strict=True)]
        return Counts(self.total + sign * other.total, facets, ranges)

    def result(self, hits: list[SearchHit], partial: bool) -> SearchResult:
        """The search result of these hits with these counts."""
        return SearchResult(hits, self.total, self.facet_lists(), self.ranges, partial)

    def facet_lists(self) -> dict[str, list[tuple[str, int]]]:
        """Per facet field: (value, groups), most groups first."""
        return {
            f: sorted(((v, n) for v, n in self.facets.get(f, {}).items() if n), key=lambda p: (-p[1], p[0]))
            for f in FACET_FIELDS
        }


def any_of(clauses: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {"bool": {"should": list(clauses), "minimum_should_match": 1}} if clauses else {"match_none": {}}


def all_of(clauses: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {"bool": {"filter": list(clauses)}}


def group_filter(groups: Sequence[GroupKey]) -> dict[str, Any]:
    """The chunks (or documents) of these duplicate groups."""
    clauses = []
    for kind, field_name in (("fingerprints", "fingerprint"), ("docs", "doc_id")):
        values = sorted({value for k, value in groups if k == kind})
        if values:
            clauses.append({"terms": {field_name: values}})
    return any_of(clauses)


def epoch_ms(moment: datetime) -> int:
    """Milliseconds since 1970 (UTC for a naive time), truncated as Elasticsearch stores dates."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return (aware - EPOCH) // timedelta(milliseconds=1)


def ranges_agg(ranges: Sequence[DateRange], by_group: bool | None) -> dict[str, Any]:
    """One bucket per date range (inclusive at both ends, as the range filter), keyed by position, with
    its duplicate groups (by_group None: only document counts)."""
    buckets = []
    for n, (lo, hi) in enumerate(ranges):
        bounds = {"from": epoch_ms(lo)} if lo else {}
        buckets.append({"key": str(n), **bounds, **({"to": epoch_ms(hi) + 1} if hi else {})})
    agg: dict[str, Any] = {"range": {"field": "updated_at", "ranges": buckets, "keyed": True}}
    return agg | ({"aggs": group_aggs(by_group)} if by_group is not None else {})


def groups_per_range(agg: dict[str, Any]) -> list[int]:
    return [groups_in(agg["buckets"][str(n)]) for n in range(len(agg["buckets"]))]


def presence_agg(
    lexical: dict[str, Any], ranges: Sequence[DateRange], groups: Sequence[GroupKey]
) -> dict[str, Any]:
    """Under the lexical query, for each of these groups: the ranges in which it has lexical matches
    (for `ranged_counts`)."""
    seen = {"ranges": ranges_agg(ranges, None)}
    inner = {}
    for kind, field_name in (("fingerprints", "fingerprint"), ("docs", "doc_id")):
        values = sorted({value for k, value in groups if k == kind})
        if values:
            inner[kind] = {
                "terms": {"field": field_name, "include": values, "size": len(values)},
                "aggs": seen,
            }
    return {"filter": all_of([lexical, group_filter(groups)]), "aggs": inner}


def ranged_counts(
    lexical: Sequence[int], presence: dict[str, Any] | None, ranged: Sequence[Sequence[GroupKey]]
) -> list[int]:
    """Per range: the groups of its lexical matches (`lexical`) plus the groups of its own nearest
    documents that have no lexical match in it (`presence`: `presence_agg`'s answer; None: none have)."""
    matched: dict[GroupKey, set[str]] = {}  # a group -> the ranges it has lexical matches in
    for kind in ("fingerprints", "docs"):
        for bucket in (presence or {}).get(kind, {}).get("buckets", []):
            found = {n for n, year in bucket["ranges"]["buckets"].items() if year["doc_count"]}
            matched[(kind, bucket["key"])] = found
    counts = list(lexical)
    for n, groups in enumerate(ranged):
        counts[n] += len({group for group in groups if str(n) not in matched.get(group, set())})
    return counts


def copies_search(
    fingerprints: Sequence[str], flt: list[dict[str, Any]], fields: list[str]
) -> dict[str, Any]:
    """Every document of these groups within the search's filters and ACL."""
    query = {"bool": {"filter": [{"terms": {"fingerprint": list(fingerprints)}}, *flt]}}
    return {"query": query, "size": 10_000, "_source": fields}


def copies_of(
    heads: dict[str, str | None], found: Sequence[tuple[str, Location]]
) -> dict[str, tuple[Location, ...]]:
    """Per page document (doc_id -> its fingerprint): the other documents of its group, by source and
    external id (`found`: fingerprint and location of every document of the page's groups)."""
    by_fingerprint: dict[str, list[Location]] = {}
    for group, where in found:
        by_fingerprint.setdefault(group, []).append(where)
    out = {}
    for doc, fingerprint in heads.items():
        others = [loc for loc in by_fingerprint.get(fingerprint or "", []) if loc.doc_id != doc]
        if fingerprint and others:
            out[doc] = tuple(sorted(others, key=lambda loc: (loc.source, loc.external_id, loc.doc_id)))
    return out
