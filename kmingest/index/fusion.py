"""Fusing the keyword and the semantic ranking of one query into one ranking (mode "hybrid").

Two methods, both weighted by the semantic side's share `w` (per query script, config `search.fusion`):
- "convex" (default): score = (1 - w) * bm25 / best bm25 + w * (cosine - floor) / (1 - floor). Scores
  keep their size, so a weak semantic neighbour (just above the model's floor) adds little to a strong
  keyword match, and a query whose only keyword hits are poor leans on meaning. A document missing from
  one side gets 0 there.
- "rrf": reciprocal rank fusion, score = (1 - w) / (k + lexical rank) + w / (k + semantic rank).
Measured on SciFact and CMRC 2018 train (BENCHMARKS.md).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Literal, TypeVar

Method = Literal["convex", "rrf"]
K = TypeVar("K", bound=Hashable)
RRF_K = 20


def fuse(
    lexical: Sequence[tuple[K, float]],
    semantic: Sequence[tuple[K, float]],
    weight: float,
    floor: float | None,
    method: Method = "convex",
    rrf_k: int = RRF_K,
) -> list[tuple[K, float]]:
    """(key, fused score), best first; ties keep the keyword order, then the semantic order."""
    scores: dict[K, float] = {}
    if method == "rrf":
        for w, ranking in ((1.0 - weight, lexical), (weight, semantic)):
            for rank, (key, _) in enumerate(ranking, start=1):
                scores[key] = scores.get(key, 0.0) + w / (rrf_k + rank)
    else:
        best = max((s for _, s in lexical), default=0.0)
        for key, s in lexical:
            scores[key] = (1.0 - weight) * (s / best if best > 0 else 0.0)
        low = floor if floor is not None else 0.0
        for key, s in semantic:
            scores[key] = scores.get(key, 0.0) + weight * max(0.0, (s - low) / max(1.0 - low, 1e-6))
    order = {
        key: i for i, key in enumerate([*dict.fromkeys([k for k, _ in lexical] + [k for k, _ in semantic])])
    }
    return sorted(scores.items(), key=lambda kv: (-kv[1], order[kv[0]]))
