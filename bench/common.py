"""Helpers shared by the bench scripts: SciFact abstracts as files, configs in a scratch folder."""

from __future__ import annotations

import json
import resource
import statistics
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from kmingest.chunking import chunk_document
from kmingest.config import Config, parse_config
from kmingest.embedding import Embedder
from kmingest.index.base import IndexItem, SemanticQuery
from kmingest.index.embedded import EmbeddedIndex
from kmingest.models import Document, document_id

ROOT = Path(__file__).resolve().parents[1]
SCIFACT = ROOT.parent / "shared" / "data" / "scifact"
CMRC = ROOT.parent / "shared" / "data" / "cmrc2018-trial"  # Chinese Wikipedia paragraphs
SHARED_CACHE = ROOT / ".kmingest" / "embeddings.db"  # the cache `kmingest eval` fills


def scifact_docs(limit: int | None = None, folder: Path = SCIFACT) -> list[dict[str, str]]:
    """Documents of a BEIR corpus (SciFact unless `folder` names another)."""
    docs = []
    with (folder / "corpus.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            docs.append(json.loads(line))
            if limit is not None and len(docs) >= limit:
                break
    return docs


def scifact_queries(limit: int | None = None) -> list[str]:
    out = []
    with (SCIFACT / "queries-train.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            out.append(json.loads(line)["text"])
    return out[:limit]


def write_files(docs: list[dict[str, str]], folder: Path, copies: int = 1) -> int:
    """One .txt file per abstract with its title in a sidecar (so chunks match what `kmingest eval`
    embedded and the embedding cache applies); `copies` > 1 repeats the corpus under new names."""
    folder.mkdir(parents=True, exist_ok=True)
    n = 0
    for c in range(copies):
        for d in docs:
            path = folder / f"{d['_id']}-{c}.txt"
            path.write_text(d["text"], encoding="utf-8")
            (folder / f"{path.name}.meta.json").write_text(
                json.dumps({"title": d["title"]}), encoding="utf-8"
            )
            n += 1
    return n


def bench_config(work: Path, cache: Path | None = None, **extra: Any) -> Config:
    data: dict[str, Any] = {
        "state_dir": str(work / "state"),
        "index": {"path": str(work / "state" / "index.db")},
        "embedding": {"cache_path": str(cache or work / "state" / "embeddings.db")},
        "sources": [{"name": "bench", "connector": "filesystem", "path": str(work / "docs")}],
        **extra,
    }
    return parse_config(data, work / "kmingest.yaml")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def summary_ms(values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return (
        f"p50 {percentile(ms, 50):.1f} ms, p95 {percentile(ms, 95):.1f} ms, mean {statistics.mean(ms):.1f} ms"
    )


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def default_embedder(cache: Path | None = SHARED_CACHE) -> Embedder:
    """The default embedding stack (one model per script), with the shared cache `kmingest eval` fills."""
    from kmingest.embedding import EmbeddingCache, default_model_dir

    return Embedder(
        Config().embedding.routes(), default_model_dir(), cache=EmbeddingCache(cache) if cache else None
    )


def semantic_for(embedder: Embedder, query: str) -> SemanticQuery | None:
    """The query's semantic part exactly as the CLI and the portal build it."""
    from kmingest.search import embed_query

    return embed_query(embedder, Config(), query)


DEPARTMENTS = ("Quality", "Production", "Sales", "R&D", "HR")


def scifact_document(d: dict[str, str], i: int, external_id: str | None = None) -> Document:
    """SciFact abstract `d` as the i-th bench document: five departments in turn, a third of the documents
    restricted to their department, dated over 2026's months."""
    ext = external_id or d["_id"]
    dept = DEPARTMENTS[i % len(DEPARTMENTS)]
    return Document(
        doc_id=document_id("bench", ext),
        source="bench",
        external_id=ext,
        system="erp",
        title=d["title"],
        text=d["text"],
        sections=(),
        doc_type="abstract",
        department=dept,
        acl=("public",) if i % 3 else (f"dept:{dept}",),
        content_hash=ext,
        updated_at=datetime(2026, 1 + i % 12, 1, tzinfo=UTC),
    )


def build_scifact_index(index: EmbeddedIndex, embedder: Embedder, target_chunks: int) -> int:
    """About `target_chunks` chunks of SciFact abstracts with their real vectors, repeated under new ids past
    the corpus (each copy's vectors perturbed slightly so copies do not tie), five departments, a third of
    the documents restricted to their department."""
    base: list[tuple[str, dict[str, str], list]] = []  # type: ignore[type-arg]
    n = 0
    for d in scifact_docs():
        if n >= target_chunks:
            break
        chunks = chunk_document(scifact_document(d, 0))
        base.append((d["_id"], d, chunks))
        n += len(chunks)
    vectors = embedder.embed([c for _, _, cs in base for c in cs])  # [(space, vector)] per chunk
    index.ensure_spaces(embedder.spaces)
    rng = np.random.default_rng(7)
    offset_of, pos = {}, 0
    for ext, _, cs in base:
        offset_of[ext] = pos
        pos += len(cs)
    total, copy = 0, 0
    batch: list[IndexItem] = []
    while total < target_chunks:
        for i, (ext, d, chunks) in enumerate(base):
            if total >= target_chunks:
                break
            new_doc = scifact_document(d, i, f"{ext}-{copy}")
            did = new_doc.doc_id
            new_chunks = [replace(c, doc_id=did, chunk_id=f"{did}:{c.ordinal:05d}") for c in chunks]
            own = vectors[offset_of[ext] : offset_of[ext] + len(chunks)]
            if copy:
                moved = []
                for space, v in own:
                    w = v + rng.normal(0, 0.02, v.shape).astype(np.float32)
                    moved.append((space, (w / np.linalg.norm(w)).astype(np.float32)))
                own = moved
            batch.append((new_doc, new_chunks, own))
            total += len(chunks)
            if len(batch) >= 500:
                index.upsert(batch)
                batch = []
        copy += 1
    index.upsert(batch)
    return total
