"""What coverage reports read from an Elasticsearch index: every document's DocumentFacts, without its text
(ElasticIndex.document_facts; the embedded index reads the same from SQLite, embedded_rows.read_facts).

Pages through the document index by doc_id (search_after, PAGE documents at a time); each page's embedded
chunks (chunks whose vector exists) are counted on the chunk index. A page that lacks shards raises
(es_requests.complete): a report must not count short.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from elasticsearch import Elasticsearch

from kmingest.index.base import DocumentFacts, text_fingerprint
from kmingest.index.es_requests import complete
from kmingest.index.groups import all_of
from kmingest.models import PUBLIC

PAGE = 500
FIELDS = [
    "doc_id",
    "source",
    "external_id",
    "system",
    "department",
    "doc_type",
    "title",
    "author",
    "updated_at",
    "text",
    "chunk_count",
    "acl",
]


def document_facts(
    client: Elasticsearch, docs: str, chunks: str, query: dict[str, Any]
) -> Iterator[DocumentFacts]:
    """The facts of every document `query` matches in the `docs` index, by doc_id."""
    after: list[Any] | None = None
    while True:
        resp = complete(
            client.search(
                index=docs,
                query=query,
                sort=[{"doc_id": "asc"}],
                size=PAGE,
                source_includes=FIELDS,
                search_after=after,
            ),
            docs,
        )
        page = [h["_source"] for h in resp["hits"]["hits"]]
        if not page:
            return
        after = resp["hits"]["hits"][-1]["sort"]
        embedded = _embedded_chunks(client, chunks, [src["doc_id"] for src in page])
        for src in page:
            yield _facts(src, embedded.get(src["doc_id"], 0))


def _embedded_chunks(client: Elasticsearch, chunks: str, ids: list[str]) -> dict[str, int]:
    with_vector = all_of([{"terms": {"doc_id": ids}}, {"exists": {"field": "vector_*"}}])
    by_doc = {"docs": {"terms": {"field": "doc_id", "size": len(ids)}}}
    agg = complete(client.search(index=chunks, size=0, query=with_vector, aggs=by_doc), chunks)
    return {b["key"]: int(b["doc_count"]) for b in agg["aggregations"]["docs"]["buckets"]}


def _facts(src: dict[str, Any], embedded_chunks: int) -> DocumentFacts:
    text = src.get("text") or ""
    return DocumentFacts(
        doc_id=src["doc_id"],
        source=src["source"],
        external_id=src["external_id"],
        system=src["system"],
        department=src["department"],
        doc_type=src["doc_type"],
        title=src["title"],
        author=src.get("author") or None,
        updated_at=datetime.fromisoformat(src["updated_at"]) if src.get("updated_at") else None,
        text_chars=len(text.strip()),
        text_fingerprint=text_fingerprint(text),
        chunks=int(src.get("chunk_count") or 0),
        embedded_chunks=embedded_chunks,
        public=PUBLIC in src.get("acl", []),
    )
