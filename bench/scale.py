"""Where one machine ends: ingest and search N synthetic chunks on Elasticsearch and on the embedded index.

    scripts/elasticsearch.sh start
    python -m bench.scale --chunks 100000 [--backends elasticsearch embedded] [--queries 200]
    python -m bench.scale --chunks 1000000 --backends elasticsearch --minutes 20
    python -m bench.scale --chunks 100000 --backends elasticsearch --index PREFIX  # a --keep run's index

Chunks: about 60 words each, drawn from the SciFact abstracts' word stream (so words keep their natural
frequencies and go through kmingest's own analysis), three chunks per document, dated over 2015-2026,
five departments, a third of the documents readable by their department only. Vectors are synthetic and
stand in for bge-small-en-v1.5 (384-d, its similarity floor 0.6): each chunk is one of N/100 topic
centroids plus noise, so a query (a centroid plus noise) has a few dozen documents above the floor, as
real queries do. Queries: the SciFact train claims as text, each with a random topic's vector, searched
as a non-admin user (the ACL filter always applies).

Reported per backend: ingest throughput (documents written as the pipeline writes them, in batches, the
chunk text analysed by kmingest), then Elasticsearch heap and disk (primary store of both indices), or the
embedded index's file size, the memory the in-memory snapshot takes and the time to rebuild it after a
write; then search latency p50/p95 for hybrid, bm25, vector and a portal page (hybrid plus the year
facet's eleven date ranges). `--minutes` stops an ingest that runs longer, and searches what it reached.
The load average is printed with every figure: on a shared machine the timings are pessimistic.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import DEPARTMENTS, scifact_docs, scifact_queries, summary_ms
from kmingest.config import Config, IndexConfig
from kmingest.index.base import Caller, IndexBackend, IndexItem, SearchRequest, SemanticQuery
from kmingest.index.elastic import ElasticIndex
from kmingest.index.embedded import EmbeddedIndex
from kmingest.index.es_schema import make_client
from kmingest.models import Chunk, Document, document_id, sha256_hex
from kmingest.search import semantic_query

SPACE, DIMS = "bge-small-en-v1.5-q", 384
WORDS_PER_CHUNK, CHUNKS_PER_DOC = 60, 3
NOISE = 0.65  # norm of a chunk's offset from its topic: cosine with another of the topic ~ 1 / (1 + 0.65^2)
CALLER = Caller(frozenset({"public", "user:bench", "dept:Quality"}))
LAST_YEAR = datetime(2016, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
YEARS = (  # the portal's year facet in 2026: ten years and everything before
    *((datetime(y, 1, 1, tzinfo=UTC), LAST_YEAR.replace(year=y)) for y in range(2026, 2016, -1)),
    (None, LAST_YEAR),
)


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


class Corpus:
    """Synthetic documents, chunks and vectors, generated batch by batch from one seed."""

    def __init__(self, chunks: int, seed: int = 7) -> None:
        self.docs = max(1, chunks // CHUNKS_PER_DOC)
        self.rng = np.random.default_rng(seed)
        self.words = np.array(" ".join(d["title"] + " " + d["text"] for d in scifact_docs()).split())
        topics = self.rng.normal(size=(max(1, chunks // 100), DIMS)).astype(np.float32)
        self.topics = topics / np.linalg.norm(topics, axis=1, keepdims=True)

    def near(self, topic: np.ndarray) -> np.ndarray:
        noise = self.rng.normal(scale=NOISE / np.sqrt(DIMS), size=(len(topic), DIMS)).astype(np.float32)
        out = self.topics[topic] + noise
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    def batches(self, size: int) -> Iterator[list[IndexItem]]:
        for start in range(0, self.docs, size):
            n = min(size, self.docs - start)
            picks = self.rng.integers(0, len(self.words), size=(n * CHUNKS_PER_DOC, WORDS_PER_CHUNK))
            vectors = self.near(self.rng.integers(0, len(self.topics), size=n * CHUNKS_PER_DOC))
            items: list[IndexItem] = []
            for i in range(n):
                number = start + i
                texts = [
                    " ".join(self.words[row]) for row in picks[i * CHUNKS_PER_DOC : (i + 1) * CHUNKS_PER_DOC]
                ]
                items.append(self.item(number, texts, vectors[i * CHUNKS_PER_DOC : (i + 1) * CHUNKS_PER_DOC]))
            yield items

    @staticmethod
    def item(number: int, texts: list[str], vectors: np.ndarray) -> IndexItem:
        dept = DEPARTMENTS[number % len(DEPARTMENTS)]
        doc_id = document_id("scale", f"doc-{number}")
        text = "\n\n".join(texts)
        doc = Document(
            doc_id=doc_id,
            source="scale",
            external_id=f"doc-{number}",
            system="erp",
            title=" ".join(texts[0].split()[:6]),
            text=text,
            sections=(),
            doc_type="report",
            department=dept,
            acl=("public",) if number % 3 else (f"dept:{dept}",),
            content_hash=sha256_hex(text),
            updated_at=datetime(2015 + number % 12, 1 + number % 12, 1 + number % 28, tzinfo=UTC),
        )
        chunks, at = [], 0
        for ordinal, chunk_text in enumerate(texts):
            chunks.append(
                Chunk(
                    chunk_id=f"{doc_id}:{ordinal:05d}",
                    doc_id=doc_id,
                    ordinal=ordinal,
                    text=chunk_text,
                    title=doc.title,
                    section="",
                    start=at,
                    end=at + len(chunk_text),
                    text_hash=sha256_hex(chunk_text),
                )
            )
            at += len(chunk_text) + 2
        return doc, chunks, [(SPACE, v) for v in vectors]

    def queries(self, n: int) -> list[tuple[str, SemanticQuery]]:
        texts = scifact_queries(n)
        vectors = self.near(self.rng.integers(0, len(self.topics), size=len(texts)))
        return [(t, semantic_query(Config(), t, v)) for t, v in zip(texts, vectors, strict=True)]


def ingest(index: IndexBackend, corpus: Corpus, batch: int, minutes: float) -> int:
    """Documents written; stops after `minutes`."""
    index.ensure_spaces({SPACE: DIMS})
    started, written, last = time.perf_counter(), 0, time.perf_counter()
    for items in corpus.batches(batch):
        index.upsert(items)
        written += len(items)
        if time.perf_counter() - last > 60:
            last = time.perf_counter()
            rate = written * CHUNKS_PER_DOC / (last - started)
            print(f"  ... {written * CHUNKS_PER_DOC} chunks, {rate:.0f} chunks/s ({load()})", flush=True)
        if time.perf_counter() - started > minutes * 60:
            print(f"  stopped after {minutes:g} minutes (--minutes)")
            break
    took = time.perf_counter() - started
    chunks = written * CHUNKS_PER_DOC
    rate = chunks / took
    print(f"  ingest: {written} documents / {chunks} chunks in {took:.0f} s = {rate:.0f} chunks/s ({load()})")
    return written


def searches(index: IndexBackend, queries: list[tuple[str, SemanticQuery]]) -> None:
    index.search(SearchRequest(query="warm up"), CALLER, queries[0][1])
    cases: list[tuple[str, dict[str, Any]]] = [
        ("hybrid", {}),
        ("portal page", {"count_ranges": YEARS}),
        ("bm25", {"mode": "bm25"}),
        ("vector", {"mode": "vector"}),
    ]
    for label, extra in cases:
        times = []
        for text, semantic in queries:
            t0 = time.perf_counter()
            index.search(SearchRequest(query=text, **extra), CALLER, semantic)
            times.append(time.perf_counter() - t0)
        print(f"  {label:<12} {summary_ms(times)} ({load()})", flush=True)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run_elasticsearch(args: argparse.Namespace, corpus: Corpus) -> None:
    index = ElasticIndex(
        make_client(IndexConfig(backend="elasticsearch", url=args.es_url)),
        args.index or f"kmingest-scale-{uuid.uuid4().hex[:8]}",
    )
    print(f"elasticsearch ({args.es_url}, index prefix {index.layout.prefix}):")
    try:
        if not args.index:
            ingest(index, corpus, args.batch, args.minutes)
        stats = index.client.indices.stats(index=[index.chunks, index.docs], metric="store")
        disk = stats["_all"]["primaries"]["store"]["size_in_bytes"] / 2**20
        for node in index.client.nodes.stats(metric="jvm")["nodes"].values():
            heap = node["jvm"]["mem"]
            print(
                f"  heap {node['name']}: {heap['heap_used_in_bytes'] / 2**20:.0f} MiB used "
                f"of {heap['heap_max_in_bytes'] / 2**20:.0f} MiB"
            )
        print(f"  disk (primaries, both indices): {disk:.0f} MiB; {index.stats()}")
        searches(index, corpus.queries(args.queries))
    finally:
        if not (args.keep or args.index):
            index.layout.drop()
        index.close()


def run_embedded(args: argparse.Namespace, corpus: Corpus) -> None:
    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        path = Path(tmp) / "index.db"
        index = EmbeddedIndex(path)
        print(f"embedded ({path}):")
        written = ingest(index, corpus, args.batch, args.minutes)
        print(f"  file: {path.stat().st_size / 2**20:.0f} MiB; {index.stats()}")
        queries = corpus.queries(args.queries)
        before, t0 = rss_mb(), time.perf_counter()
        index.search(SearchRequest(query="warm up"), CALLER, queries[0][1])
        print(
            f"  snapshot load: {time.perf_counter() - t0:.1f} s, +{rss_mb() - before:.0f} MiB resident "
            f"(process {rss_mb():.0f} MiB)"
        )
        index.upsert(
            [Corpus.item(written, ["one more document"] * 3, corpus.near(np.zeros(3, dtype=np.int64)))]
        )
        t0 = time.perf_counter()
        index.search(SearchRequest(query="warm up"), CALLER, queries[0][1])
        print(f"  snapshot rebuild after a one-document write: {time.perf_counter() - t0:.1f} s")
        searches(index, queries)
        index.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--chunks", type=int, default=100_000)
    ap.add_argument("--backends", nargs="+", default=["elasticsearch", "embedded"])
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--batch", type=int, default=500, help="documents per write (the pipeline's batch)")
    ap.add_argument("--minutes", type=float, default=60.0, help="stop an ingest after this long")
    ap.add_argument("--es-url", default="http://127.0.0.1:9200")
    ap.add_argument("--keep", action="store_true", help="keep the Elasticsearch index")
    ap.add_argument("--index", help="search the index a --keep run left under this prefix (no ingest)")
    ap.add_argument("--tmp", default=None, help="folder for the embedded index")
    args = ap.parse_args()
    print(f"{args.chunks} chunks, {os.cpu_count()} CPUs, {load()}")
    for backend in args.backends:
        corpus = Corpus(args.chunks)  # the same documents and queries for every backend
        {"elasticsearch": run_elasticsearch, "embedded": run_embedded}[backend](args, corpus)


if __name__ == "__main__":
    main()
