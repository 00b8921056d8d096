"""One search of the Elasticsearch index (index/elastic.py): the primitive questions of the shared hybrid
sequence (index/hybrid.py `Scope`) as ES requests, each with the filters and the caller's ACL as filters.

Duplicates: a document's group is its `fingerprint` keyword (index/base.py `group_fingerprint`), read
with the lexical and nearest matches; a document without one (no text, or written before fingerprints)
is a group of its own. Counts are groups: distinct fingerprints plus the documents without one. The copies
under a hit come from one request on the document index for the page's fingerprints.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING, Any

from kmingest.index.base import (
    FACET_FIELDS,
    DateRange,
    Location,
    SearchHit,
    SearchRequest,
    SearchResult,
    SemanticQuery,
)
from kmingest.index.es_schema import vector_field
from kmingest.index.hybrid import Copies, Facets, Key, Match, collapse, with_copies

if TYPE_CHECKING:
    from kmingest.index.elastic import ElasticIndex

LOCATION_FIELDS = ["doc_id", "title", "source", "system", "department", "external_id", "url"]
MAX_WINDOW = 10_000  # Elasticsearch's default index.max_result_window


def date_range_filter(date_range: DateRange) -> dict[str, Any]:
    """The updated_at filter of one range, as the search's own date filter writes it."""
    lo, hi = date_range
    return {"range": {"updated_at": {k: v.isoformat() for k, v in (("gte", lo), ("lte", hi)) if v}}}


def group_aggs(by_group: bool, precision: int = 3000) -> dict[str, Any]:
    """Sub-aggregations that count duplicate groups: distinct fingerprints + documents without one
    (by_group False: documents)."""
    if not by_group:
        return {"fingerprints": {"cardinality": {"field": "doc_id", "precision_threshold": precision}},
                "alone": {"filter": {"match_none": {}}, "aggs": {"docs": {"value_count": {"field": "doc_id"}}}}}  # fmt: skip
    return {"fingerprints": {"cardinality": {"field": "fingerprint", "precision_threshold": precision}},
            "alone": {"filter": {"bool": {"must_not": {"exists": {"field": "fingerprint"}}}},
                      "aggs": {"docs": {"cardinality": {"field": "doc_id", "precision_threshold": precision}}}}}  # fmt: skip


def groups_in(bucket: dict[str, Any]) -> int:
    return int(bucket["fingerprints"]["value"]) + int(bucket["alone"]["docs"]["value"])


def facet_aggs(by_group: bool) -> dict[str, Any]:
    return {f: {"terms": {"field": f, "size": 100}, "aggs": group_aggs(by_group)} for f in FACET_FIELDS}


def count_aggs(by_group: bool) -> dict[str, Any]:
    """The facets and the total, in duplicate groups."""
    return {
        **facet_aggs(by_group),
        "total": {"filter": {"match_all": {}}, "aggs": group_aggs(by_group, 40000)},
    }


def ranges_agg(ranges: Sequence[DateRange], by_group: bool) -> dict[str, Any]:
    """Duplicate groups within each date range (SearchRequest.count_ranges), one bucket per range."""
    return {"filters": {"filters": [date_range_filter(r) for r in ranges]}, "aggs": group_aggs(by_group)}


def facets_of(aggs: dict[str, Any]) -> Facets:
    return {f: sorted(((b["key"], groups_in(b)) for b in aggs[f]["buckets"]), key=lambda p: (-p[1], p[0]))
            for f in FACET_FIELDS}  # fmt: skip


class ElasticScope:
    """One search with the filters and the caller's ACL as an ES filter list (index/hybrid.py)."""

    def __init__(self, index: ElasticIndex, flt: list[dict[str, Any]], request: SearchRequest) -> None:
        self.index, self.client, self.flt, self.request = index, index.client, flt, request
        self._fingerprint: dict[str, str | None] = {}  # doc_id -> fingerprint, of every match seen
        self.by_group = request.collapse_duplicates

    def _seen(self, source: dict[str, Any]) -> str:
        self._fingerprint[source["doc_id"]] = source.get("fingerprint")
        return str(source["doc_id"])

    def lexical(self, query: str) -> list[Match]:
        lexical_q = self.index._lexical_query(query)
        if lexical_q is None:
            return []
        resp = self.client.search(index=self.index.chunks, query={"bool": {"must": lexical_q, "filter": self.flt}},
                                  collapse={"field": "doc_id"}, size=self.request.lexical_k,
                                  source_includes=["doc_id", "fingerprint"])  # fmt: skip
        return [(self._seen(h["_source"]), h["_id"], float(h["_score"])) for h in resp["hits"]["hits"]]

    def nearest(self, semantic: SemanticQuery, k: int) -> list[Match]:
        """k distinct documents: asks for more chunks until k documents are found or the space runs out."""
        want = k * 4
        while True:
            knn = {"field": vector_field(semantic.space), "query_vector": [float(x) for x in semantic.vector],
                   "k": want, "num_candidates": min(10_000, max(100, 2 * want)), "filter": self.flt}  # fmt: skip
            if semantic.min_similarity is not None:
                knn["similarity"] = semantic.min_similarity  # the raw cosine similarity, as embedded
            resp = self.client.search(index=self.index.chunks, knn=knn, size=want,
                                      source_includes=["doc_id", "fingerprint"])  # fmt: skip
            found: dict[str, Match] = {}
            for h in resp["hits"]["hits"]:
                doc = self._seen(h["_source"])
                if doc not in found:  # ES scores cosine as (1 + cos) / 2
                    found[doc] = (doc, h["_id"], 2.0 * float(h["_score"]) - 1.0)
            if len(found) >= k or len(resp["hits"]["hits"]) < want or want >= 10_000:
                return list(found.values())[:k]
            want = min(10_000, want * 4)

    def _union(self, lexical: Sequence[Match], nearest: Sequence[Match], query: str) -> dict[str, Any] | None:
        """A query for every chunk of the lexical matches and the nearest documents, ACL-filtered."""
        should: list[dict[str, Any]] = []
        lexical_q = self.index._lexical_query(query) if lexical else None
        if lexical_q is not None:
            should.append(lexical_q)
        if nearest:
            should.append({"terms": {"doc_id": [d for d, _, _ in nearest]}})
        return {"bool": {"should": should, "minimum_should_match": 1, "filter": self.flt}} if should else None

    def union_counts(
        self, lexical: Sequence[Match], nearest: Sequence[Match], query: str
    ) -> tuple[int, Facets]:
        """Duplicate groups (and facets) over all lexical matches + the nearest documents, ACL-filtered."""
        union = self._union(lexical, nearest, query)
        if union is None:
            return 0, {f: [] for f in FACET_FIELDS}
        aggs = count_aggs(self.by_group)
        out = self.client.search(index=self.index.chunks, size=0, aggs=aggs, query=union)["aggregations"]
        return groups_in(out["total"]), facets_of(out)

    def range_counts(self, lexical: Sequence[Match], nearest: Sequence[Match], request: SearchRequest,
                     semantic: SemanticQuery | None) -> list[int]:  # fmt: skip
        if semantic is None or len(nearest) < request.vector_k:
            # every neighbour above the floor is in the union: a range filter keeps exactly its part
            union = self._union(lexical, nearest, request.query)
            if union is None:
                return [0 for _ in request.count_ranges]
            aggs = {"ranges": ranges_agg(request.count_ranges, self.by_group)}
            resp = self.client.search(index=self.index.chunks, size=0, aggs=aggs, query=union)
            return [groups_in(b) for b in resp["aggregations"]["ranges"]["buckets"]]
        counts = []  # the k nearest within a range may be others: search each range's neighbours
        for date_range in request.count_ranges:
            scoped = ElasticScope(self.index, [*self.flt, date_range_filter(date_range)], request)
            ranged = scoped.nearest(semantic, request.vector_k)
            counts.append(scoped.union_counts(lexical, ranged, request.query)[0])  # lexical: re-run in range
        return counts

    def groups(self, docs: Sequence[Key]) -> list[Hashable]:
        if not self.by_group:
            return list(docs)
        return [self._fingerprint.get(str(d)) or ("doc", str(d)) for d in docs]

    def copies(self, docs: Sequence[Key]) -> Copies:
        heads = {str(d): fp for d in docs if (fp := self._fingerprint.get(str(d)))}
        if not heads:
            return {}
        query = {"bool": {"filter": [{"terms": {"fingerprint": sorted(set(heads.values()))}}, *self.flt]}}
        resp = self.client.search(index=self.index.docs, query=query, size=MAX_WINDOW,
                                  source_includes=[*LOCATION_FIELDS, "fingerprint"])  # fmt: skip
        by_fingerprint: dict[str, list[Location]] = {}
        for h in resp["hits"]["hits"]:
            src = h["_source"]
            location = Location(**{f: src.get(f) for f in LOCATION_FIELDS})
            by_fingerprint.setdefault(src["fingerprint"], []).append(location)
        out: Copies = {}
        for doc, fp in heads.items():
            others = [loc for loc in by_fingerprint.get(fp, []) if loc.doc_id != doc]
            if others:
                out[doc] = tuple(sorted(others, key=lambda loc: (loc.source, loc.external_id, loc.doc_id)))
        return out

    def hits(self, page: Sequence[tuple[Key, Key | None, float]], query: str) -> list[SearchHit]:
        if not page:
            return []
        found = self.client.mget(index=self.index.chunks, ids=[str(c) for _, c, _ in page],
                                 source_excludes=["vector_*", "*_terms"])["docs"]  # fmt: skip
        sources = {d["_id"]: d["_source"] for d in found if d.get("found")}
        return [self.index._hit(sources[c], query, s) for _, c, s in page if c in sources]

    def browse(self, request: SearchRequest) -> SearchResult:
        """Documents newest first from the document index, duplicates folded client-side."""
        query = {"bool": {"filter": self.flt}}
        sort: list[dict[str, Any]] = [
            {"updated_at": {"order": "desc", "missing": "_last"}},
            {"doc_id": "asc"},
        ]

        def rank(top: int) -> list[tuple[str, float]]:
            resp = self.client.search(index=self.index.docs, query=query, sort=sort, size=min(top, MAX_WINDOW),
                                      source_includes=["doc_id", "fingerprint"])  # fmt: skip
            return [(self._seen(h["_source"]), 0.0) for h in resp["hits"]["hits"]]

        page = collapse(rank, self.groups, request.offset, request.limit) if request.limit else []
        hits = []
        if page:
            found = self.client.mget(index=self.index.docs, ids=[d for d, _ in page],
                                     source_includes=[*LOCATION_FIELDS, "doc_type", "updated_at", "text"])["docs"]  # fmt: skip
            for d in found:
                if d.get("found"):
                    src = d["_source"]
                    hits.append(self.index._hit({**src, "section": "", "text": src["text"][:1000]}, "", 0.0))
        aggs = count_aggs(self.by_group)
        if request.count_ranges:
            aggs["ranges"] = ranges_agg(request.count_ranges, self.by_group)
        out = self.client.search(index=self.index.docs, query=query, size=0, aggs=aggs)["aggregations"]
        ranges = [groups_in(b) for b in out["ranges"]["buckets"]] if request.count_ranges else None
        copies = self.copies([d for d, _ in page]) if page and self.by_group else {}
        return SearchResult(hits=with_copies(hits, copies),
                            total=groups_in(out["total"]), facets=facets_of(out), range_counts=ranges)  # fmt: skip
