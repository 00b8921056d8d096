"""Helpers shared by the bench scripts: SciFact abstracts as files, configs in a scratch folder."""

from __future__ import annotations

import json
import resource
import statistics
from pathlib import Path
from typing import Any

from kmingest.config import Config, parse_config
from kmingest.embedding import Embedder
from kmingest.index.base import SemanticQuery

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
