"""The one hybrid-search sequence, shared by every backend (index/base.py has the semantics).

A backend opens a `Scope` for one search: the caller's ACL and the filters bound, and (embedded) one
consistent snapshot. The scope answers four primitive questions: the lexical matches, the nearest chunks
in one vector space, the union's total and facets, and the hits of one page. This module asks them in
order, fuses the rankings (index/fusion.py) and pages the result, so ranking, paging and counting cannot
drift apart between backends.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from kmingest.index.base import SearchHit, SearchRequest, SearchResult, SemanticQuery
from kmingest.index.fusion import fuse

Key = Any  # a backend's own document / chunk key (embedded: snapshot positions and row ids; ES: ids)
Match = tuple[Key, Key, float]  # (document, its best chunk, score): one per document, best first
Facets = dict[str, list[tuple[str, int]]]


class Scope(Protocol):
    def lexical(self, query: str) -> list[Match]:
        """Every readable document with a keyword match, BM25 score of its best chunk, best first (a
        backend may stop at `SearchRequest.lexical_k` documents)."""

    def nearest(self, semantic: SemanticQuery, k: int) -> list[Match]:
        """The k readable documents whose best chunk in the space is most similar (cosine), at least
        the floor."""

    def union_counts(
        self, lexical: Sequence[Match], nearest: Sequence[Match], query: str
    ) -> tuple[int, Facets]:
        """Distinct documents and facet counts over the lexical matches and the nearest documents."""

    def range_counts(self, lexical: Sequence[Match], nearest: Sequence[Match], request: SearchRequest,
                     semantic: SemanticQuery | None) -> list[int]:  # fmt: skip
        """Per SearchRequest.count_ranges: the total the same search gives with that range as a filter
        (its lexical matches in the range plus its `vector_k` nearest documents within the range)."""

    def hits(self, page: Sequence[tuple[Key, Key | None, float]], query: str) -> list[SearchHit]:
        """The page's documents with the snippet of their chunk (None: the first chunk)."""

    def browse(self, request: SearchRequest) -> SearchResult:
        """No query: readable documents newest first, with facets over all of them."""


def run_search(scope: Scope, request: SearchRequest, semantic: SemanticQuery | None) -> SearchResult:
    if not request.query.strip():
        return scope.browse(request)
    lexical = scope.lexical(request.query) if request.mode != "vector" else []
    nearest: list[Match] = []
    if semantic is not None and request.mode != "bm25":
        nearest = scope.nearest(semantic, request.vector_k)
    # the snippet shows the best keyword passage where there is one, else the nearest chunk
    best_chunk = {d: c for d, c, _ in nearest} | {d: c for d, c, _ in lexical}
    ranked_lex = [(d, s) for d, _, s in lexical[: request.lexical_k]]
    ranked_sem = [(d, s) for d, _, s in nearest]
    if request.limit == 0:  # counts only (e.g. the portal's year facet): nothing to rank
        fused = []
    elif request.mode == "bm25":
        fused = ranked_lex
    elif request.mode == "vector":
        fused = ranked_sem
    elif semantic is None:
        fused = fuse(ranked_lex, [], 0.0, None, top=request.offset + request.limit)
    else:
        fused = fuse(ranked_lex, ranked_sem, semantic.weight, semantic.min_similarity, semantic.fusion,
                     top=request.offset + request.limit)  # fmt: skip
    page = fused[request.offset : request.offset + request.limit]
    hits = scope.hits([(d, best_chunk.get(d), s) for d, s in page], request.query)
    total, facets = scope.union_counts(lexical, nearest, request.query)
    used = semantic if request.mode != "bm25" else None
    ranges = scope.range_counts(lexical, nearest, request, used) if request.count_ranges else None
    return SearchResult(hits=hits, total=total, facets=facets, range_counts=ranges)
