"""Measure topic discovery on the sample exports: cut the knowledge map's area list in half and check that
discovery proposes the removed areas among its candidates (matched by the sample generator's ground truth).

    python -m tests.coverage.measure_discovery [PROJECT_DIR]

A candidate "is" a removed area when most of its documents that have a generator topic (OA documents,
tests/coverage/area_truth.py) belong to that area's topics. Recall = removed areas (with at least
`min_documents` true documents: a topic is a group of documents, an area of one document cannot be one)
proposed by some candidate / all such removed areas, over both halves (keep the odd / the even areas). Noise
check: each of
the top candidates (largest first, TOP per department) with documents of known topic is pure (at least
PURE of them share one generator topic, and that topic is not an area the cut map still has) and has a label
of at least 3 terms (or, for a topic of restricted documents only, which has no label, none) and 2
documents. A candidate without OA documents (ERP/CRM records) has no generator
topic: it is judged by its label and size only (and listed for a reader to judge).
"""

from __future__ import annotations

import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path

from sklearn.cluster import KMeans  # type: ignore[import-untyped]
from sklearn.metrics import silhouette_score  # type: ignore[import-untyped]

from kmingest.config import Config
from kmingest.coverage.areas import evaluate
from kmingest.coverage.discovery import RESTRICTED_LABEL, MapArea, cluster, discover
from kmingest.coverage.knowledge_map import KnowledgeMap, load_knowledge_map
from kmingest.coverage.model import DiscoveredTopic
from kmingest.coverage.semantic import SemanticMatcher, thresholds
from kmingest.coverage.vectors import Matrix, chunk_vectors
from kmingest.index.base import Caller
from kmingest.workspace import Workspace
from tests.coverage.area_truth import TOPICS_OF_AREA, document_topics, true_documents

TOP, PURE = 3, 0.6


def half_map(kmap: KnowledgeMap, keep: int = 0) -> tuple[KnowledgeMap, list[str]]:
    """Every other area of each department kept (keep=0: the first, third, ...; keep=1: the second,
    fourth, ...); the removed area names."""
    kept = {dept: areas[keep::2] for dept, areas in kmap.departments.items()}
    removed = [a.name for areas in kmap.departments.values() for a in areas[1 - keep :: 2]]
    return kmap.model_copy(update={"departments": kept}), removed


def area_of(
    topic: DiscoveredTopic, doc_ids: Sequence[str], topics: Mapping[str, str]
) -> tuple[str | None, float]:
    """(the area the candidate's known-topic documents mostly belong to, their purity)."""
    known = Counter(topics[d] for d in doc_ids if d in topics)
    if not known:
        return None, 0.0
    key, count = known.most_common(1)[0]
    purity = count / sum(known.values())
    area = next((a for a, keys in TOPICS_OF_AREA.items() if key in keys), None)
    return area, purity


@dataclass
class DiscoveryFigures:
    recall: float
    proposed: list[str]
    expected: list[str]
    top_pure: int
    top_judged: int
    top_lines: list[str]


def kmeans_by_silhouette(matrix: Matrix) -> list[int]:
    """The alternative measured against agglomerative clustering: k-means, k (2..15) by cosine silhouette."""
    if len(matrix) < 3:
        return [0] * len(matrix)
    best: tuple[float, list[int]] = (-2.0, [0] * len(matrix))
    for k in range(2, min(15, len(matrix) - 1) + 1):
        labels = KMeans(n_clusters=k, n_init=4, random_state=0).fit_predict(matrix)
        if len(set(labels.tolist())) < 2:
            continue
        score = float(silhouette_score(matrix, labels, metric="cosine"))
        if score > best[0]:
            best = (score, [int(x) for x in labels])
    return best[1]


def measure(
    config: Config,
    ws: Workspace,
    as_of: datetime,
    keep: int = 0,
    clusterer: Callable[[Matrix], list[int]] = cluster,
    min_documents: int = 2,
) -> DiscoveryFigures:
    facts = {f.doc_id: f for f in ws.index.document_facts(Caller.system())}
    vectors = chunk_vectors(ws.index, ws.embedder, list(facts.values()), config.chunking)
    assert config.coverage.knowledge_map is not None
    kmap, removed = half_map(load_knowledge_map(config.coverage.knowledge_map), keep)
    matcher = SemanticMatcher(ws.embedder, vectors, thresholds(config))
    public = frozenset(d for d, f in facts.items() if f.public)
    areas = evaluate(kmap, ws.index, facts, as_of, 3, 365, public, matcher)
    meaning = {a.name: a.meaning for dept_areas in kmap.departments.values() for a in dept_areas}
    covering = [MapArea(r.area, meaning[r.area], docs) for r, docs in areas]
    with_docs = discover(facts, matcher, covering, as_of, min_documents, clusterer)
    found = [t for t, _ in with_docs]
    members = {t.topic_id: docs for t, docs in with_docs}
    truth = document_topics(facts.values())
    expected = [a for a in removed if len(true_documents(a, truth)) >= min_documents]
    proposed: set[str] = set()
    lines, pure, judged = [], 0, 0
    for dept in sorted({t.department for t in found}):
        cands = [t for t in found if t.department == dept and t.candidate]
        for rank, t in enumerate(cands):
            area, purity = area_of(t, members[t.topic_id], truth)
            if area in removed and purity >= 0.5:
                proposed.add(area)
            if rank < TOP:
                known = any(d in truth for d in members[t.topic_id])
                duplicate = area is not None and area not in removed  # the map still has it
                labelled = len(t.terms) >= 3 or t.label == RESTRICTED_LABEL  # restricted: judged by documents
                ok = labelled and t.documents >= 2 and (not known or purity >= PURE) and not duplicate
                judged += 1
                pure += ok
                lines.append(
                    f"{t.topic_id} [{t.documents} docs] {t.label} | {t.representative} -> "
                    f"{area or '(no generator topic)'} purity {purity:.2f} {'ok' if ok else 'NOISE'}"
                )
    hits = [a for a in expected if a in proposed]
    return DiscoveryFigures(len(hits) / len(expected), sorted(proposed), expected, pure, judged, lines)


METHODS: dict[str, Callable[[Matrix], list[int]]] = {
    "agglomerative cosine 0.25": partial(cluster, distance=0.25),
    "agglomerative cosine 0.35": partial(cluster, distance=0.35),
    "agglomerative cosine 0.45": partial(cluster, distance=0.45),
    "k-means, k by silhouette": kmeans_by_silhouette,
}


def main(project: Path) -> None:
    from tests.coverage.conftest import AS_OF, sample_config
    from tests.coverage.measure_areas import prepare

    prepare(project)
    config = sample_config(project)
    with Workspace(config) as ws:
        ws.ingest([s.name for s in config.sources])
        for name, method in METHODS.items():
            for keep in (0, 1):
                f = measure(config, ws, AS_OF, keep, method)
                hits = [a for a in f.expected if a in f.proposed]
                print(
                    f"{name}, half {keep}: recall {f.recall:.4f} ({len(hits)}/{len(f.expected)}: "
                    f"{f.expected}); top candidates not noise {f.top_pure}/{f.top_judged}"
                )
                if "0.25" in name:
                    for line in f.top_lines:
                        print("   ", line)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="kmingest-discovery-")))
