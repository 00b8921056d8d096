"""`kmingest eval`: retrieval quality on a BEIR-layout folder (corpus.jsonl, queries[-SPLIT].jsonl,
qrels/SPLIT.tsv). The corpus goes through the normal pipeline into a separate eval index of the configured
backend (the embedding cache is shared, so a second eval embeds nothing), then every query is run in each
mode and scored with nDCG@10 and recall@100.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from kmingest.config import Config, SourceConfig
from kmingest.connectors.base import Connector, ExtractError
from kmingest.index.base import Caller, Mode, SearchRequest, SemanticQuery
from kmingest.models import SourceRecord, sha256_hex
from kmingest.pipeline import SourceRun
from kmingest.search import SearchService
from kmingest.workspace import Workspace

MODES: tuple[Mode, ...] = ("bm25", "vector", "hybrid")


class EvalDataError(Exception):
    pass


def _jsonl(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            if line.strip():
                try:
                    yield json.loads(line)
                except ValueError as err:
                    raise EvalDataError(f"{path}:{n}: not valid JSON: {err}") from None


@dataclass(frozen=True)
class BeirSet:
    corpus: Path
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]


def load_beir(folder: Path, split: str) -> BeirSet:
    corpus = folder / "corpus.jsonl"
    queries_path = folder / f"queries-{split}.jsonl"
    if not queries_path.exists():
        queries_path = folder / "queries.jsonl"
    qrels_path = folder / "qrels" / f"{split}.tsv"
    for p in (corpus, qrels_path, queries_path):
        if not p.exists():
            raise EvalDataError(
                f"{p}: missing (fix: point at a BEIR folder with corpus.jsonl, "
                f"queries-{split}.jsonl or queries.jsonl, and qrels/{split}.tsv)"
            )
    qrels: dict[str, dict[str, int]] = {}
    for n, line in enumerate(qrels_path.read_text(encoding="utf-8").splitlines(), start=1):
        parts = line.split("\t")
        if n == 1 and parts[0] == "query-id":
            continue
        if len(parts) < 3:
            raise EvalDataError(f"{qrels_path}:{n}: expected query-id<TAB>corpus-id<TAB>score")
        if int(parts[2]) > 0:
            qrels.setdefault(parts[0], {})[parts[1]] = int(parts[2])
    queries = {q["_id"]: q["text"] for q in _jsonl(queries_path) if q["_id"] in qrels}
    return BeirSet(corpus, queries, qrels)


class BeirCorpusConnector(Connector):
    """Reads corpus.jsonl as records (title + text); used only by eval, not registered."""

    name = "beir"

    def extract(self, since: datetime | None = None) -> Iterator[SourceRecord | ExtractError]:
        assert self.source.path is not None
        for doc in _jsonl(self.source.path):
            text = f"{doc.get('text', '')}"
            yield SourceRecord(
                source=self.source.name,
                external_id=str(doc["_id"]),
                system="beir",
                filename="doc.txt",
                content=text.encode("utf-8"),
                title=doc.get("title") or None,
            )


def ndcg_at(ranked: Sequence[str], relevant: dict[str, int], k: int = 10) -> float:
    dcg = sum(relevant.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted(relevant.values(), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall_at(ranked: Sequence[str], relevant: dict[str, int], k: int = 100) -> float:
    return len(set(ranked[:k]) & set(relevant)) / len(relevant) if relevant else 0.0


def semantic_queries(ws: Workspace, texts: Sequence[str]) -> list[SemanticQuery]:
    """Each query embedded by the model of its script, in batches per model."""
    service = SearchService(ws.config, ws.embedder, ws.index)
    spaces = [service.space(t) for t in texts]
    out: dict[int, SemanticQuery] = {}
    for space, enc in ws.embedder.encoders.items():
        idx = [i for i, s in enumerate(spaces) if s == space]
        vectors = enc.queries([texts[i] for i in idx])
        out |= {i: service.bind(texts[i], vectors[n]) for n, i in enumerate(idx)}
    return [out[i] for i in range(len(texts))]


@contextmanager
def eval_workspace(config: Config, data: BeirSet) -> Iterator[Workspace]:
    """A workspace on a separate eval index holding the corpus (built once per corpus and models)."""
    models = sorted({p.name for p in config.embedding.routes().values()})
    tag = sha256_hex(f"{data.corpus.resolve()} {models}")[:12]
    eval_cfg = config.model_copy(
        update={
            "state_dir": config.state_dir / "eval" / config.index.backend,
            "index": config.index.model_copy(
                update={
                    "path": config.state_dir / "eval" / f"{tag}.db",
                    "index_prefix": f"kmingest-eval-{tag}",
                }
            ),
        }
    )
    source = SourceConfig(name=f"beir-{tag}", connector="beir", path=data.corpus)
    with Workspace(eval_cfg) as ws:
        ws.check_model()
        SourceRun(
            source=source,
            connector=BeirCorpusConnector(source, BeirCorpusConnector.Options()),
            index=ws.index,
            embedder=ws.embedder,
            state=ws.state,
            chunking=config.chunking,
            full=True,
        ).run()
        yield ws


def evaluate(config: Config, folder: Path, split: str, modes: Sequence[Mode]) -> dict[str, dict[str, float]]:
    data = load_beir(folder, split)
    results: dict[str, dict[str, float]] = {}
    with eval_workspace(config, data) as ws:
        qids = sorted(data.queries)
        semantic = semantic_queries(ws, [data.queries[q] for q in qids]) if set(modes) != {"bm25"} else None
        for mode in modes:
            ndcg, recall = [], []
            for i, qid in enumerate(qids):
                # every corpus id is ranked: qrels judge documents, copies included
                request = SearchRequest(
                    query=data.queries[qid], mode=mode, limit=100, vector_k=100, collapse_duplicates=False
                )
                sq = None if semantic is None or mode == "bm25" else semantic[i]
                hits = ws.index.search(request, Caller.system(), sq).hits
                ranked = [h.external_id for h in hits]
                ndcg.append(ndcg_at(ranked, data.qrels[qid]))
                recall.append(recall_at(ranked, data.qrels[qid]))
            results[mode] = {
                "ndcg@10": float(np.mean(ndcg)),
                "recall@100": float(np.mean(recall)),
                "queries": float(len(qids)),
            }
    return results
