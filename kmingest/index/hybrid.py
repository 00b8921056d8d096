"""The one hybrid-search sequence, shared by every backend (index/base.py has the semantics).

A backend opens a `Scope` for one search: the caller's ACL and the filters bound, and (embedded) one
consistent snapshot. The scope answers a few primitive questions: the lexical matches, the nearest chunks
in one vector space, the union's total and facets, the duplicate group of a document and the other copies
in a group, and the hits of one page. This module asks them in order, fuses the rankings
(index/fusion.py), folds exact duplicates into their best-ranked copy (`collapse`) and pages the result,
so ranking, collapsing, paging and counting cannot drift apart between backends.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import replace
from typing import Any, Protocol, TypeVar

from kmingest.index.base import Location, SearchHit, SearchRequest, SearchResult, SemanticQuery
from kmingest.index.fusion import fuse

Key = Any  # a backend's own document / chunk key (embedded: snapshot positions and row ids; ES: ids)
Match = tuple[Key, Key, float]  # (document, its best chunk, score): one per document, best first
Facets = dict[str, list[tuple[str, int]]]
Copies = dict[str, tuple[Location, ...]]  # a hit's doc_id -> the other copies of its text in the scope
K = TypeVar("K")


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
        """Distinct duplicate groups (index/base.py), in all and per facet value, over the lexical matches
        and the nearest documents."""

    def range_counts(self, lexical: Sequence[Match], nearest: Sequence[Match], request: SearchRequest,
                     semantic: SemanticQuery | None) -> list[int]:  # fmt: skip
        """Per SearchRequest.count_ranges: the total the same search gives with that range as a filter
        (groups among its lexical matches in the range plus its `vector_k` nearest documents within it)."""

    def groups(self, docs: Sequence[Key]) -> list[Hashable]:
        """The duplicate group of each document: equal for the same text fingerprint, else distinct
        (with SearchRequest.collapse_duplicates False, a scope counts documents: every one is alone)."""

    def copies(self, docs: Sequence[Key]) -> Copies:
        """For the documents that have them: the other documents in the scope (filters and ACL) with the
        same fingerprint, ordered by source and external id."""

    def hits(self, page: Sequence[tuple[Key, Key | None, float]], query: str) -> list[SearchHit]:
        """The page's documents with the snippet of their chunk (None: the first chunk)."""

    def browse(self, request: SearchRequest) -> SearchResult:
        """No query: readable documents newest first, duplicates collapsed (`collapse`, `with_copies`),
        with the group count and facets over all of them."""


def collapse(
    rank: Callable[[int], Sequence[tuple[K, float]]],
    groups: Callable[[Sequence[K]], Sequence[Hashable]],
    offset: int,
    limit: int,
) -> list[tuple[K, float]]:
    """The page [offset, offset + limit) of a ranking in which each duplicate group appears once, at its
    best-ranked copy. `rank(top)` gives the ranking's first `top` entries; asked again for more while
    duplicates leave the page short (only the candidates up to the page's end are grouped)."""
    want = offset + limit
    top = want + 10 if want else 0  # a few more than the page: a duplicate or two need no second round
    while True:
        ranked = rank(top)
        seen: set[Hashable] = set()
        heads: list[tuple[K, float]] = []
        for entry, group in zip(ranked, groups([key for key, _ in ranked]), strict=True):
            if group not in seen:
                seen.add(group)
                heads.append(entry)
        if len(heads) >= want or len(ranked) < top:
            return heads[offset:want]
        top += 2 * (want - len(heads)) + 8


def with_copies(hits: list[SearchHit], copies: Copies) -> list[SearchHit]:
    return [replace(h, duplicates=copies[h.doc_id]) if h.doc_id in copies else h for h in hits]


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

    def rank(top: int) -> Sequence[tuple[Key, float]]:
        if request.limit == 0:  # counts only (e.g. the portal's year facet): nothing to rank
            return []
        if request.mode == "bm25":
            return ranked_lex[:top]
        if request.mode == "vector":
            return ranked_sem[:top]
        if semantic is None:
            return fuse(ranked_lex, [], 0.0, None, top=top)
        return fuse(
            ranked_lex, ranked_sem, semantic.weight, semantic.min_similarity, semantic.fusion, top=top
        )

    folding = request.collapse_duplicates
    page = collapse(rank, scope.groups if folding else list, request.offset, request.limit)
    hits = scope.hits([(d, best_chunk.get(d), s) for d, s in page], request.query)
    hits = with_copies(hits, scope.copies([d for d, _ in page]) if page and folding else {})
    total, facets = scope.union_counts(lexical, nearest, request.query)
    used = semantic if request.mode != "bm25" else None
    ranges = scope.range_counts(lexical, nearest, request, used) if request.count_ranges else None
    return SearchResult(hits=hits, total=total, facets=facets, range_counts=ranges)
