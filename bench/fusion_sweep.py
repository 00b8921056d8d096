"""Fusion weights by measurement: nDCG@10 of hybrid search on a BEIR set for each fusion method and
semantic weight, from one pass of keyword and semantic retrieval per query (embedded backend).

    python -m bench.fusion_sweep ../shared/data/scifact --split train
    python -m bench.fusion_sweep ../shared/data/cmrc2018-trial --split train

Uses the eval index `kmingest eval` builds (same config, same models); fit weights on train splits only.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import numpy as np

from kmingest.config import load_config
from kmingest.eval import eval_workspace, load_beir, ndcg_at, semantic_queries
from kmingest.index.base import Caller, Filters, SearchRequest
from kmingest.index.embedded import EmbeddedIndex, _Scope
from kmingest.index.fusion import fuse

OFF_TOPIC = [
    "football world cup final score",
    "recipe for chocolate cake",
    "cheap flights to Paris",
    "世界杯足球决赛比分",
    "巧克力蛋糕的做法",
    "周末去哪里看电影",
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("beir_dir", type=Path)
    ap.add_argument("--split", default="train")
    ap.add_argument("--config", default=None)
    args = ap.parse_args()
    config = load_config(args.config)
    data = load_beir(args.beir_dir, args.split)
    with eval_workspace(config, data) as ws:
        index = ws.index
        assert isinstance(index, EmbeddedIndex), "the sweep reads the embedded index directly"
        qids = sorted(data.queries)
        semantic = semantic_queries(ws, [data.queries[q] for q in qids])
        runs = []
        relevant_cos: list[float] = []
        with index._read() as snap:
            ext = dict(index._db.execute("SELECT rid, external_id FROM documents"))
            names = [ext[int(r)] for r in snap.doc_rids]
            scope = _Scope(index, snap, snap.mask(Filters(), Caller.system()))
            for qid, sq in zip(qids, semantic, strict=True):
                lex = [
                    (names[d], s) for d, _, s in scope.lexical(data.queries[qid])[: SearchRequest.lexical_k]
                ]
                sem = [(names[d], s) for d, _, s in scope.nearest(sq, 100)]
                runs.append((qid, lex, sem, sq.min_similarity))
                unfloored = scope.nearest(replace(sq, min_similarity=None), 100)
                relevant_cos += [s for d, _, s in unfloored if names[d] in data.qrels[qid]]
            off_topic = [
                max((s for _, _, s in scope.nearest(replace(q, min_similarity=None), 1)), default=-1.0)
                for q in semantic_queries(ws, OFF_TOPIC)
            ]
    floor = semantic[0].min_similarity
    print(
        f"cosine of relevant documents (unfloored top 100): p5 {np.percentile(relevant_cos, 5):.3f} "
        f"p25 {np.percentile(relevant_cos, 25):.3f} p50 {np.percentile(relevant_cos, 50):.3f}; "
        f"below the floor {floor}: {np.mean(np.array(relevant_cos) < (floor or -1)):.1%}"
    )
    print(
        "best cosine of off-topic queries: "
        + ", ".join(f"{q} {s:.3f}" for q, s in zip(OFF_TOPIC, off_topic, strict=True))
    )
    bm25 = np.mean([ndcg_at([d for d, _ in lx], data.qrels[q]) for q, lx, _, _ in runs])
    vector = np.mean([ndcg_at([d for d, _ in sm], data.qrels[q]) for q, _, sm, _ in runs])
    print(f"{len(runs)} queries; bm25 {bm25:.4f}  vector {vector:.4f}")
    for method in ("convex", "rrf"):
        row = []
        for w in np.arange(0.0, 1.0001, 0.05):
            score = np.mean(
                [
                    ndcg_at([d for d, _ in fuse(lx, sm, float(w), fl, method)], data.qrels[q])  # type: ignore[arg-type]
                    for q, lx, sm, fl in runs
                ]
            )
            row.append((float(w), float(score)))
        best = max(row, key=lambda p: p[1])
        print(f"{method:<7} " + " ".join(f"{w:.2f}:{s:.4f}" for w, s in row))
        print(f"{method:<7} best weight {best[0]:.2f}: nDCG@10 {best[1]:.4f}")


if __name__ == "__main__":
    main()
