"""Elasticsearch index backend: the same contract as the embedded one (index/base.py), on a real cluster.

Chunks and documents live in two aliased indices (index/es_schema.py). Writes are bulk requests
(index/elastic_bulk.py: retries, and any item that still fails raises). Search runs the shared sequence
(index/hybrid.py) over index/elastic_search.py in two `_msearch` round trips: a BM25 query and a kNN query
on the query's vector field, each with the filters and the caller's ACL, fused client-side (no licensed
features); then the page's chunks, their copies, and the totals, facets and range counts from one
aggregation over the union of both, also ACL-filtered. Snippets use the same highlighter as the embedded
backend. Every document and chunk carries its text `fingerprint` (keyword) for collapsing duplicates; an
index created before it gets the field added to its mapping on the first write (`Layout.add_fingerprint`),
and its older documents count as groups of their own until `kmingest reindex`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from elasticsearch import Elasticsearch, NotFoundError

from kmingest.analysis import query_terms
from kmingest.index.base import (
    FACET_FIELDS,
    Caller,
    DocumentFacts,
    Filters,
    IndexItem,
    SearchHit,
    SearchRequest,
    SearchResult,
    SemanticQuery,
    allowed,
    check_group_by,
    make_snippet,
    spaces_mismatch,
)
from kmingest.index.elastic_bulk import bulk_write, upsert_actions
from kmingest.index.elastic_facts import document_facts
from kmingest.index.elastic_search import ElasticScope
from kmingest.index.es_requests import MissingIndex, composite_buckets
from kmingest.index.es_schema import Layout
from kmingest.index.groups import all_of
from kmingest.index.hybrid import run_search
from kmingest.models import PUBLIC, chunk_id

BM25_FIELDS = ["title_terms^1.5", "section_terms", "body_terms"]


class ElasticIndex:
    """Reads and writes through the aliases; with `version`, writes into that physical version instead
    (what `kmingest reindex` builds before it swaps the aliases)."""

    def __init__(
        self,
        client: Elasticsearch,
        prefix: str,
        version: int | None = None,
        shards: int = 1,
        replicas: int = 0,
    ) -> None:
        self.client = client
        self.layout = Layout(client, prefix, shards, replicas)
        self.version = version
        name = self.layout.alias if version is None else (lambda kind: self.layout.physical(kind, version))
        self.chunks = name("chunks")
        self.docs = name("documents")
        self._fingerprint_mapped = False  # checked on the first write (an index older than fingerprints)

    # ---- bookkeeping -------------------------------------------------------------------------------
    def _exists(self) -> bool:
        return bool(self.client.indices.exists(index=self.chunks))

    def _meta(self) -> dict[str, Any]:
        for body in self.client.indices.get_mapping(index=self.chunks).values():
            return dict(body["mappings"].get("_meta", {}))
        return {}

    @property
    def index_id(self) -> str:
        return str(self._meta().get("index_id", "")) if self._exists() else ""

    def stored_spaces(self) -> dict[str, int] | None:
        return dict(self._meta().get("spaces") or {}) if self._exists() else None

    def ensure_spaces(self, spaces: Mapping[str, int]) -> None:
        if not self._exists():
            if self.version is None:
                self.layout.create(spaces)
            else:
                self.layout.create(spaces, self.version, point_aliases=False)
            return
        stored = self._meta().get("spaces")
        if stored != dict(spaces):
            raise spaces_mismatch(
                f"Elasticsearch index {self.chunks}",
                stored or {},
                spaces,
                "run `kmingest reindex` to build the index with the new models",
            )

    # ---- writes ------------------------------------------------------------------------------------
    def _previous_counts(self, doc_ids: Sequence[str]) -> dict[str, int]:
        if not doc_ids or not self._exists():
            return {}
        found = self.client.mget(index=self.docs, ids=list(doc_ids), source_includes=["chunk_count"])
        return {d["_id"]: int(d["_source"]["chunk_count"]) for d in found["docs"] if d.get("found")}

    def _bulk(self, actions: Iterator[dict[str, Any]]) -> None:
        bulk_write(self.client, actions, [self.chunks, self.docs])

    def upsert(self, items: Sequence[IndexItem]) -> None:
        if not items:
            return
        previous = self._previous_counts([doc.doc_id for doc, _, _ in items])
        if not self._fingerprint_mapped and self._exists():
            self.layout.add_fingerprint([self.chunks, self.docs])
            self._fingerprint_mapped = True

        self._bulk(upsert_actions(self.docs, self.chunks, items, previous))

    def delete(self, doc_ids: Sequence[str]) -> int:
        previous = self._previous_counts(doc_ids)

        def actions() -> Iterator[dict[str, Any]]:
            for doc_id, count in previous.items():
                yield {"_op_type": "delete", "_index": self.docs, "_id": doc_id}
                for ordinal in range(count):
                    yield {"_op_type": "delete", "_index": self.chunks, "_id": chunk_id(doc_id, ordinal)}

        if previous:
            self._bulk(actions())
        return len(previous)

    # ---- reads -------------------------------------------------------------------------------------
    @staticmethod
    def _filters(filters: Filters, caller: Caller) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for field, values in (
            ("department", filters.departments),
            ("system", filters.systems),
            ("doc_type", filters.doc_types),
            ("source", filters.sources),
        ):
            if values:
                out.append({"terms": {field: list(values)}})
        if filters.updated_from or filters.updated_to:
            rng = {
                k: v.isoformat() for k, v in (("gte", filters.updated_from), ("lte", filters.updated_to)) if v
            }
            out.append({"range": {"updated_at": rng}})
        if not caller.admin:
            out.append({"terms": {"acl": sorted(caller.principals | {PUBLIC})}})
        return out

    @staticmethod
    def _lexical_query(query: str) -> dict[str, Any] | None:
        terms = query_terms(query)
        if not terms:
            return None
        should: list[dict[str, Any]] = []
        words = [t for t in terms if not t.endswith("*")]
        if words:
            # combined_fields = BM25F over title/section/body, as the embedded backend scores them
            should.append(
                {"combined_fields": {"query": " ".join(words), "fields": BM25_FIELDS, "operator": "or"}}
            )
        for t in terms:
            if t.endswith("*"):
                should += [{"prefix": {f: t[:-1]}} for f in ("title_terms", "body_terms")]
        return {"bool": {"should": should, "minimum_should_match": 1}}

    def search(
        self, request: SearchRequest, caller: Caller, semantic: SemanticQuery | None = None
    ) -> SearchResult:
        flt = self._filters(request.filters, caller)
        try:  # two round trips (index/elastic_search.py); no existence check before them
            return run_search(ElasticScope(self, flt, request), request, semantic)
        except MissingIndex:
            ranges = [0] * len(request.count_ranges) if request.count_ranges else None
            return SearchResult(hits=[], total=0, facets={f: [] for f in FACET_FIELDS}, range_counts=ranges)

    @staticmethod
    def _hit(src: dict[str, Any], query: str, score: float) -> SearchHit:
        return SearchHit(
            doc_id=src["doc_id"],
            score=score,
            title=src["title"],
            source=src["source"],
            system=src["system"],
            department=src["department"],
            doc_type=src["doc_type"],
            section=src.get("section", ""),
            snippet_html=make_snippet(src["text"], query),
            external_id=src["external_id"],
            url=src.get("url"),
            updated_at=datetime.fromisoformat(src["updated_at"]) if src.get("updated_at") else None,
            author=src.get("author") or None,
        )

    def counts(
        self, caller: Caller, group_by: Sequence[str], filters: Filters = Filters()
    ) -> dict[tuple[str, ...], int]:
        check_group_by(group_by)
        if not self._exists():
            return {}
        sources = [{f: {"terms": {"field": f}}} for f in group_by]
        query = all_of(self._filters(filters, caller))
        return {
            tuple(str(b["key"][f]) for f in group_by): int(b["doc_count"])
            for b in composite_buckets(self.client, self.docs, query, sources)
        }

    def keyword_matches(self, query: str, caller: Caller, filters: Filters = Filters()) -> frozenset[str]:
        lexical = self._lexical_query(query)
        if lexical is None or not self._exists():
            return frozenset()
        matching = all_of([*self._filters(filters, caller), lexical])
        by_doc = [{"doc_id": {"terms": {"field": "doc_id"}}}]
        buckets = composite_buckets(self.client, self.chunks, matching, by_doc, page=10_000)
        return frozenset(str(b["key"]["doc_id"]) for b in buckets)

    def get_document(self, doc_id: str, caller: Caller) -> dict[str, object] | None:
        try:
            src = self.client.get(index=self.docs, id=doc_id)["_source"]
        except NotFoundError:
            return None
        if not allowed(src["acl"], caller):
            return None
        return {**src, "chunks": src.pop("chunk_count")}

    def stats(self) -> dict[str, int]:
        if not self._exists():
            return {"documents": 0, "chunks": 0}
        return {
            "documents": int(self.client.count(index=self.docs)["count"]),
            "chunks": int(self.client.count(index=self.chunks)["count"]),
        }

    def document_facts(self, caller: Caller, filters: Filters = Filters()) -> Iterator[DocumentFacts]:
        """Paged by doc_id, with each page's embedded chunks counted (index/elastic_facts.py)."""
        if not self._exists():
            return
        yield from document_facts(self.client, self.docs, self.chunks, all_of(self._filters(filters, caller)))

    def close(self) -> None:
        self.client.close()
