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
from pathlib import Path

from bench.common import (
    build_scifact_index,
    default_embedder,
    scifact_queries,
    semantic_for,
    summary_ms,
)
from kmingest.index.base import Caller, Filters, SearchRequest
from kmingest.index.embedded import EmbeddedIndex


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
            n = build_scifact_index(index, embedder, size)
            built = time.perf_counter() - t0
            print(f"\n{n} chunks, {index.stats()['documents']} documents (built in {built:.0f} s)")
            t0 = time.perf_counter()
            index.search(SearchRequest(query="warm up"), caller, vectors[0])  # loads the snapshot
            loaded = time.perf_counter() - t0
            print(f"  first search after a write (loads the in-memory snapshot): {loaded:.2f} s")
            for label, mode, filters in (
                ("hybrid", "hybrid", Filters()),
                ("bm25", "bm25", Filters()),
                ("vector", "vector", Filters()),
                ("hybrid + dept filter", "hybrid", Filters(departments=("Quality",))),
            ):
                times = []
                for q, v in zip(queries, vectors, strict=True):
                    t0 = time.perf_counter()
                    request = SearchRequest(query=q, mode=mode, filters=filters)  # type: ignore[arg-type]
                    index.search(request, caller, v)
                    times.append(time.perf_counter() - t0)
                print(f"  {label:<22} {summary_ms(times)}")
            index.close()


if __name__ == "__main__":
    main()
