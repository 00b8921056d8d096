"""Both index backends in one run: bulk-indexing throughput and search latency p50/p95.

    scripts/elasticsearch.sh start
    python -m bench.backends [--docs 2000] [--queries 200] [--es-url http://127.0.0.1:9200]

The same SciFact documents, chunks and vectors (from the embedding cache `kmingest eval` fills; missing
ones are embedded first and not timed) go to a fresh embedded index and a fresh Elasticsearch index, in
batches of 64 documents as the pipeline writes them (ES refreshes after each batch, as in the pipeline).
Searches run as a non-admin caller; query vectors are computed beforehand (encoding is not timed).
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from pathlib import Path

from bench.common import (
    default_embedder,
    scifact_docs,
    scifact_document,
    scifact_queries,
    semantic_for,
    summary_ms,
)
from kmingest.chunking import chunk_document
from kmingest.config import IndexConfig
from kmingest.embedding import Embedder
from kmingest.index.base import Caller, IndexBackend, SearchRequest
from kmingest.index.elastic import ElasticIndex
from kmingest.index.embedded import EmbeddedIndex
from kmingest.index.es_schema import make_client
from kmingest.models import Document


def corpus(n: int, embedder: Embedder) -> list[tuple[Document, list, object]]:  # type: ignore[type-arg]
    items = []
    for i, d in enumerate(scifact_docs(n)):
        doc = scifact_document(d, i)
        chunks = chunk_document(doc)
        items.append((doc, chunks, embedder.embed(chunks)))
    return items


def run(
    name: str,
    index: IndexBackend,
    items: list,
    queries: list[str],
    vectors: list,  # type: ignore[type-arg]
    spaces: dict[str, int],
) -> None:
    index.ensure_spaces(spaces)
    chunks = sum(len(c) for _, c, _ in items)
    t0 = time.perf_counter()
    for i in range(0, len(items), 64):
        index.upsert(items[i : i + 64])
    took = time.perf_counter() - t0
    rate = chunks / took
    print(f"{name}: indexed {len(items)} documents / {chunks} chunks in {took:.1f} s = {rate:.0f} chunks/s")
    caller = Caller(frozenset({"public", "user:bench", "dept:Quality"}))
    index.search(SearchRequest(query="warm up"), caller, vectors[0])
    for mode in ("hybrid", "bm25", "vector"):
        times = []
        for q, v in zip(queries, vectors, strict=True):
            t0 = time.perf_counter()
            index.search(SearchRequest(query=q, mode=mode), caller, v)  # type: ignore[arg-type]
            times.append(time.perf_counter() - t0)
        print(f"  {mode:<7} {summary_ms(times)}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=2000)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--es-url", default="http://127.0.0.1:9200")
    args = ap.parse_args()
    embedder = default_embedder()
    items = corpus(args.docs, embedder)
    queries = scifact_queries(args.queries)
    vectors = [semantic_for(embedder, q) for q in queries]
    with tempfile.TemporaryDirectory() as tmp:
        embedded = EmbeddedIndex(Path(tmp) / "index.db")
        run("embedded", embedded, items, queries, vectors, embedder.spaces)
        embedded.close()
    es = ElasticIndex(
        make_client(IndexConfig(backend="elasticsearch", url=args.es_url)),
        f"kmingest-bench-{uuid.uuid4().hex[:8]}",
    )
    try:
        run("elasticsearch", es, items, queries, vectors, embedder.spaces)
    finally:
        es.layout.drop()
        es.close()


if __name__ == "__main__":
    main()
