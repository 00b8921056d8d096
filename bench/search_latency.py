"""Hybrid search latency (p50/p95) of the embedded index at about 10k and 100k chunks.

    python bench/search_latency.py [--sizes 10000 100000] [--queries 200]

Corpus: SciFact abstracts, chunked as the pipeline does, with their real vectors (from the embedding cache
that `kmingest eval` fills; missing ones are embedded now). To reach 100k chunks the corpus is repeated
under new ids, each copy's vectors perturbed slightly (noise 0.02, renormalized) so copies do not tie.
Queries: SciFact train claims, run as a non-admin caller (the ACL mask is always applied). Query encoding
is timed separately, since it does not depend on the index size.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from bench.common import default_embedder, scifact_docs, scifact_queries, semantic_for, summary_ms
from kmingest.chunking import chunk_document
from kmingest.embedding import Embedder
from kmingest.index.base import Caller, Filters, SearchRequest
from kmingest.index.embedded import EmbeddedIndex
from kmingest.models import Document, document_id

DEPARTMENTS = ("Quality", "Production", "Sales", "R&D", "HR")


def build(index: EmbeddedIndex, embedder: Embedder, target_chunks: int) -> int:
    base = []
    for d in scifact_docs():
        doc = Document(doc_id="", source="bench", external_id=d["_id"], system="erp", title=d["title"],
                       text=d["text"], sections=(), doc_type="abstract", department="", acl=(),
                       content_hash="")  # fmt: skip
        base.append((d["_id"], doc, chunk_document(doc)))
    all_chunks = [c for _, _, cs in base for c in cs]
    vectors = embedder.embed(all_chunks)
    rng = np.random.default_rng(7)
    index.ensure_spaces(embedder.spaces)
    total, copy, offset_of = 0, 0, {}
    pos = 0
    for ext, _, cs in base:
        offset_of[ext] = pos
        pos += len(cs)
    batch = []
    while total < target_chunks:
        for i, (ext, doc, chunks) in enumerate(base):
            if total >= target_chunks:
                break
            did = document_id("bench", f"{ext}-{copy}")
            dept = DEPARTMENTS[i % len(DEPARTMENTS)]
            acl = ("public",) if i % 3 else (f"dept:{dept}",)
            new_doc = Document(
                **{
                    **doc.__dict__,
                    "doc_id": did,
                    "external_id": f"{ext}-{copy}",
                    "department": dept,
                    "acl": acl,
                    "updated_at": datetime(2026, 1 + i % 12, 1, tzinfo=UTC),
                }
            )
            new_chunks = [
                c.__class__(**{**c.__dict__, "doc_id": did, "chunk_id": f"{did}:{c.ordinal:05d}"})
                for c in chunks
            ]
            vec = []
            for space, v in vectors[offset_of[ext] : offset_of[ext] + len(chunks)]:
                if copy:
                    v = v + rng.normal(0, 0.02, v.shape).astype(np.float32)
                    v /= np.linalg.norm(v)
                vec.append((space, v))
            batch.append((new_doc, new_chunks, vec))
            total += len(chunks)
            if len(batch) >= 500:
                index.upsert(batch)
                batch = []
        copy += 1
    index.upsert(batch)
    return total


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--queries", type=int, default=200)
    args = ap.parse_args()
    embedder = default_embedder()
    queries = scifact_queries(args.queries)
    t_enc = []
    vectors = []
    for q in queries:
        t0 = time.perf_counter()
        vectors.append(semantic_for(embedder, q))
        t_enc.append(time.perf_counter() - t0)
    print(f"query encoding (1 query, CPU): {summary_ms(t_enc)}")
    caller = Caller(frozenset({"public", "user:bench", "dept:Quality"}))
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            index = EmbeddedIndex(Path(tmp) / "index.db")
            t0 = time.perf_counter()
            n = build(index, embedder, size)
            print(
                f"\n{n} chunks, {index.stats()['documents']} documents (built in {time.perf_counter() - t0:.0f} s)"
            )
            t0 = time.perf_counter()
            index.search(SearchRequest(query="warm up"), caller, vectors[0])  # loads the snapshot
            print(
                f"  first search after a write (loads the in-memory snapshot): {time.perf_counter() - t0:.2f} s"
            )
            for label, mode, filters in (("hybrid", "hybrid", Filters()), ("bm25", "bm25", Filters()),
                                         ("vector", "vector", Filters()),
                                         ("hybrid + dept filter", "hybrid", Filters(departments=("Quality",))),
                                         ):  # fmt: skip
                times = []
                for q, v in zip(queries, vectors, strict=True):
                    t0 = time.perf_counter()
                    index.search(SearchRequest(query=q, mode=mode, filters=filters), caller, v)  # type: ignore[arg-type]
                    times.append(time.perf_counter() - t0)
                print(f"  {label:<22} {summary_ms(times)}")
            index.close()


if __name__ == "__main__":
    main()
