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

import numpy as np

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
    top: int | None = None,
) -> list[tuple[K, float]]:
    """(key, fused score), best first, the first `top` only if given; ties keep the keyword order, then
    the semantic order. Each ranking holds a key at most once."""
    keys = list(dict.fromkeys([*(k for k, _ in lexical), *(k for k, _ in semantic)]))
    if not keys:
        return []
    position = {key: i for i, key in enumerate(keys)}
    lex_at = np.arange(len(lexical))  # the keyword keys come first, in order
    sem_at = np.fromiter((position[k] for k, _ in semantic), dtype=np.int64, count=len(semantic))
    lex = np.fromiter((s for _, s in lexical), dtype=np.float64, count=len(lexical))
    sem = np.fromiter((s for _, s in semantic), dtype=np.float64, count=len(semantic))
    scores = np.zeros(len(keys), dtype=np.float64)
    if method == "rrf":
        scores[lex_at] += (1.0 - weight) / (rrf_k + 1.0 + lex_at)
        scores[sem_at] += weight / (rrf_k + 1.0 + np.arange(len(semantic)))
    else:
        best = float(lex.max()) if len(lex) else 0.0
        scores[lex_at] += (1.0 - weight) * (lex / best if best > 0 else 0.0)
        low = floor if floor is not None else 0.0
        scores[sem_at] += weight * np.maximum(0.0, (sem - low) / max(1.0 - low, 1e-6))
    if top is not None and top < len(keys):
        if top <= 0:
            return []
        kth = -np.partition(-scores, top - 1)[top - 1]  # the top-th best score; ties there go by position
        above = np.flatnonzero(scores > kth)
        cut = np.concatenate([above, np.flatnonzero(scores == kth)[: top - len(above)]])
        order = cut[np.lexsort((cut, -scores[cut]))]
    else:
        order = np.argsort(-scores, kind="stable")
    return [(keys[i], float(scores[i])) for i in order.tolist()]
