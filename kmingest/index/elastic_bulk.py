"""Elasticsearch writes (index/elastic.py): the bulk actions of an upsert (one document source and one
source per chunk, sharing the fields filters and facets read) and the bulk request itself, retried with
exponential backoff on 429; an item that still fails raises IndexWriteError, so nothing is dropped
silently and the pipeline does not advance its checkpoint.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from elasticsearch import Elasticsearch, helpers

from kmingest.analysis import analyze
from kmingest.index.base import IndexError_, IndexItem, group_fingerprint
from kmingest.index.es_schema import vector_field
from kmingest.models import chunk_id


class IndexWriteError(IndexError_):
    """Some bulk items failed even after retries; the message lists the first ones."""


def bulk_write(client: Elasticsearch, actions: Iterator[dict[str, Any]], indices: list[str]) -> None:
    """Send the actions in bulk requests, then refresh `indices` so the writes are searchable."""
    errors = []
    for ok, item in helpers.streaming_bulk(
        client,
        actions,
        chunk_size=500,
        max_retries=5,
        initial_backoff=1,
        max_backoff=30,
        raise_on_error=False,
        raise_on_exception=True,
    ):
        if not ok:
            op, info = next(iter(item.items()))
            if op == "delete" and info.get("status") == 404:
                continue
            errors.append(f"{op} {info.get('_id')}: {info.get('status')} {info.get('error')}")
    if errors:
        raise IndexWriteError(f"{len(errors)} bulk item(s) failed after retries: " + "; ".join(errors[:5]))
    client.indices.refresh(index=indices)


def upsert_actions(
    docs_index: str, chunks_index: str, items: Sequence[IndexItem], previous: Mapping[str, int]
) -> Iterator[dict[str, Any]]:
    """Bulk actions of an upsert: each document, its chunks, and deletes of the chunks its new version lacks
    (`previous`: chunk counts stored before)."""
    for doc, chunks, vectors in items:
        if len(chunks) != len(vectors):
            raise ValueError(f"{doc.doc_id}: {len(chunks)} chunks but {len(vectors)} vectors")
        shared = {
            "doc_id": doc.doc_id,
            "source": doc.source,
            "external_id": doc.external_id,
            "system": doc.system,
            "department": doc.department,
            "doc_type": doc.doc_type,
            "acl": list(doc.acl),
            "updated_at": doc.updated_at.isoformat() if doc.updated_at else None,
            "url": doc.url,
            "title": doc.title,
        }
        fingerprint = group_fingerprint(doc.text)
        if fingerprint is not None:
            shared["fingerprint"] = fingerprint
        yield {
            "_op_type": "index",
            "_index": docs_index,
            "_id": doc.doc_id,
            "_source": {
                **shared,
                "author": doc.author,
                "content_hash": doc.content_hash,
                "text": doc.text,
                "metadata": doc.metadata,
                "chunk_count": len(chunks),
            },
        }
        title_terms = " ".join(analyze(doc.title))
        for chunk, (space, vector) in zip(chunks, vectors, strict=True):
            yield {
                "_op_type": "index",
                "_index": chunks_index,
                "_id": chunk.chunk_id,
                "_source": {
                    **shared,
                    "chunk_id": chunk.chunk_id,
                    "ordinal": chunk.ordinal,
                    "section": chunk.section,
                    "text": chunk.text,
                    "title_terms": title_terms,
                    "section_terms": " ".join(analyze(chunk.section)),
                    "body_terms": " ".join(analyze(chunk.text)),
                    vector_field(space): [float(x) for x in vector],
                },
            }
        for ordinal in range(len(chunks), previous.get(doc.doc_id, 0)):  # chunks the new version lacks
            yield {"_op_type": "delete", "_index": chunks_index, "_id": chunk_id(doc.doc_id, ordinal)}
