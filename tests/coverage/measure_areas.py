"""Calibrate and measure semantic area matching on the sample exports against the generator's ground truth.

    python -m tests.coverage.measure_areas [PROJECT_DIR]

ingests the bundled samples into PROJECT_DIR (default: a temporary folder; the repo's embedding cache is
copied in), then prints, on the OA documents (where the generator knows each document's topic):
- per embedding model, F1 of (area, document) pairs for each similarity threshold, and the best one;
- area status agreement with the ground truth: keyword only, and keyword + semantic at the thresholds in
  kmingest/coverage/semantic.py (CALIBRATED).
tests/coverage/test_semantic_areas.py asserts the same figures.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from kmingest.config import Config
from kmingest.coverage.areas import TermMatcher, area_documents, evaluate
from kmingest.coverage.knowledge_map import KnowledgeMap, load_knowledge_map
from kmingest.coverage.semantic import SemanticMatcher, thresholds
from kmingest.coverage.vectors import chunk_vectors
from kmingest.index.base import Caller, DocumentFacts
from kmingest.workspace import Workspace
from tests.coverage.area_truth import document_topics, paraphrased, status_agreement, true_documents

GRID = [round(0.40 + 0.02 * i, 2) for i in range(26)]  # 0.40 .. 0.90


@dataclass
class OaTruth:
    facts: dict[str, DocumentFacts]  # OA documents only
    topics: dict[str, str]
    kmap: KnowledgeMap
    matcher: SemanticMatcher


def oa_truth(config: Config, ws: Workspace) -> OaTruth:
    facts = {f.doc_id: f for f in ws.index.document_facts(Caller.system()) if f.system == "OA"}
    vectors = chunk_vectors(ws.index, ws.embedder, list(facts.values()), config.chunking)
    matcher = SemanticMatcher(ws.embedder, vectors, thresholds(config))
    assert config.coverage.knowledge_map is not None
    return OaTruth(
        facts, document_topics(facts.values()), load_knowledge_map(config.coverage.knowledge_map), matcher
    )


def calibration(truth: OaTruth, ws: Workspace) -> dict[str, tuple[float, float, dict[float, float]]]:
    """Per space: (best threshold, its F1, F1 per threshold) over the (area, document) pairs of that space
    that keyword OR semantic matching finds, against the true pairs."""
    out: dict[str, tuple[float, float, dict[float, float]]] = {}
    areas = [a for areas in truth.kmap.departments.values() for a in areas]
    words = TermMatcher(ws.index)
    keyword = {a.name: area_documents(a, words, truth.facts, None)[0] for a in areas}
    for space in truth.matcher.vectors:
        in_space = set(truth.matcher.vectors[space].doc_ids)
        f1s: dict[float, float] = {}
        for t in GRID:
            tp = fp = fn = 0
            for area in areas:
                scores = truth.matcher.scores(area.meaning)
                found = {d for d, (s, sp) in scores.items() if sp == space and s >= t}
                found = (found | keyword[area.name]) & in_space
                real = true_documents(area.name, truth.topics) & in_space
                tp, fp, fn = tp + len(found & real), fp + len(found - real), fn + len(real - found)
            f1s[t] = round(2 * tp / (2 * tp + fp + fn), 4) if tp else 0.0
        best = max(f1s, key=lambda t: (f1s[t], -t))
        out[space] = (best, f1s[best], f1s)
    return out


def agreement(
    truth: OaTruth,
    ws: Workspace,
    as_of: datetime,
    cov_thin: int,
    cov_stale: int,
    semantic: bool,
    kmap: KnowledgeMap | None = None,
) -> tuple[float, list[str]]:
    public = frozenset(truth.facts)
    results = evaluate(
        kmap or truth.kmap,
        ws.index,
        truth.facts,
        as_of,
        cov_thin,
        cov_stale,
        public,
        truth.matcher if semantic else None,
    )
    return status_agreement([r for r, _ in results], truth.topics, truth.facts, as_of)


def prepare(project: Path) -> None:
    """A copy of the bundled samples (fixed file times) and the repo's embedding cache under `project`."""
    from tests.coverage.conftest import FILE_TIME, REPO

    if not (project / "samples").exists():
        shutil.copytree(REPO / "samples", project / "samples")
        for path in (project / "samples" / "files").rglob("*"):
            os.utime(path, (FILE_TIME.timestamp(), FILE_TIME.timestamp()))
        (project / "state").mkdir(exist_ok=True)
        if (REPO / ".kmingest" / "embeddings.db").exists():
            shutil.copy(REPO / ".kmingest" / "embeddings.db", project / "state" / "embeddings.db")


def main(project: Path) -> None:
    from tests.coverage.conftest import AS_OF, sample_config

    prepare(project)
    config = sample_config(project)
    with Workspace(config) as ws:
        ws.ingest([s.name for s in config.sources])
        truth = oa_truth(config, ws)
        print(f"OA documents {len(truth.facts)}, with a generator topic {len(truth.topics)}")
        for space, (best, f1, f1s) in calibration(truth, ws).items():
            print(f"{space}: best threshold {best} (F1 {f1}); F1 by threshold {f1s}")
        cov = config.coverage
        for name, kmap in (
            ("knowledge_map.yaml", truth.kmap),
            ("paraphrased keywords", paraphrased(truth.kmap)),
        ):
            for semantic in (False, True):
                share, wrong = agreement(
                    truth, ws, AS_OF, cov.thin_below, cov.stale_after_days, semantic, kmap
                )
                how = "keyword+semantic" if semantic else "keyword only"
                print(f"status agreement, {name}, {how}: {share:.4f}")
                for line in wrong:
                    print("   ", line)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="kmingest-areas-")))
