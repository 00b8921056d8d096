"""The one hybrid-search sequence, shared by every backend (index/base.py has the semantics).

A backend opens a `Scope` for one search: the caller's ACL and the filters bound, and (embedded) one
consistent snapshot. The scope answers in two steps, each one round trip on Elasticsearch (`_msearch`):
`retrieve` the lexical matches and the nearest documents in the query's vector space, then, once this
module has fused the rankings (index/fusion.py), folded exact duplicates into their best-ranked copy
(`collapse`, grouping with the fingerprints `retrieve` read) and cut the page, build the `result`: the
page's hits with their copies, the total, the facets and the range counts. Ranking, collapsing, paging and
counting cannot drift apart between backends.
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
Entry = tuple[Key, Key | None, float]  # a page entry: (document, the chunk to show or None, score)
K = TypeVar("K")


class Scope(Protocol):
    def retrieve(
        self, request: SearchRequest, semantic: SemanticQuery | None
    ) -> tuple[list[Match], list[Match]]:
        """The lexical matches (mode other than "vector": every readable document with a keyword match,
        BM25 score of its best chunk, best first; a backend may stop at `lexical_depth` documents) and, with
        a semantic query, the `vector_k` readable documents whose best chunk is most similar (cosine), at
        least the floor. A backend may also fetch here what `result` needs for SearchRequest.count_ranges."""

    def groups(self, docs: Sequence[Key]) -> list[Hashable]:
        """The duplicate group of each retrieved document: equal for the same text fingerprint, else
        distinct (with SearchRequest.collapse_duplicates False, a scope counts documents: each is alone)."""

    def result(
        self,
        page: Sequence[Entry],
        lexical: Sequence[Match],
        nearest: Sequence[Match],
        request: SearchRequest,
        semantic: SemanticQuery | None,
    ) -> SearchResult:
        """The page's documents with the snippet of their chunk (None: the first chunk) and, collapsing,
        the other copies of each in the scope (by source and external id); the distinct duplicate groups
        over the lexical matches and the nearest documents, in all and per facet value; per
        SearchRequest.count_ranges the total the same search gives with that range as one more filter
        (groups among its lexical matches in the range plus its `vector_k` nearest documents within it)."""

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


def lexical_depth(request: SearchRequest) -> int:
    """How many lexical documents take part in ranking: `lexical_k`, or twice the page's end for a deeper
    page (room for folded duplicates): bm25 pages stay in keyword order however deep, and a fused
    document's score does not depend on the depth."""
    return max(request.lexical_k, 2 * (request.offset + request.limit))


def with_copies(hits: list[SearchHit], copies: Copies) -> list[SearchHit]:
    return [replace(h, duplicates=copies[h.doc_id]) if h.doc_id in copies else h for h in hits]


def run_search(scope: Scope, request: SearchRequest, semantic: SemanticQuery | None) -> SearchResult:
    if not request.query.strip():
        return scope.browse(request)
    used = semantic if request.mode != "bm25" else None
    lexical, nearest = scope.retrieve(request, used)
    # the snippet shows the best keyword passage where there is one, else the nearest chunk
    best_chunk = {d: c for d, c, _ in nearest} | {d: c for d, c, _ in lexical}
    ranked_lex = [(d, s) for d, _, s in lexical[: lexical_depth(request)]]
    ranked_sem = [(d, s) for d, _, s in nearest]

    def rank(top: int) -> Sequence[tuple[Key, float]]:
        if request.limit == 0:  # counts only (e.g. the portal's year facet): nothing to rank
            return []
        if request.mode == "bm25":
            return ranked_lex[:top]
        if request.mode == "vector":
            return ranked_sem[:top]
        if used is None:
            return fuse(ranked_lex, [], 0.0, None, top=top)
        return fuse(ranked_lex, ranked_sem, used.weight, used.min_similarity, used.fusion, top=top)

    folding = request.collapse_duplicates
    page = collapse(rank, scope.groups if folding else list, request.offset, request.limit)
    return scope.result([(d, best_chunk.get(d), s) for d, s in page], lexical, nearest, request, used)
