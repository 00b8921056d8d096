"""One search of the embedded index (index/embedded.py) over one snapshot (index/snapshot.py): the two
steps of the shared hybrid sequence (index/hybrid.py `Scope`) answered in numpy, with the filters and the
caller's ACL as one boolean mask over the snapshot's documents. Range counts (the portal's year facet)
share one similarity pass: each range's nearest documents are its best-scoring ones.

Duplicates: a document's group is its fingerprint code in the snapshot (`Groups`); counts are groups;
the copies listed under a hit are the other documents of its group inside the mask, read from SQLite only
for the page's hits that have any.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from kmingest.index.base import Location, SearchRequest, SearchResult, SemanticQuery
from kmingest.index.embedded_rows import in_batches
from kmingest.index.hybrid import Copies, Entry, Key, Match, collapse, with_copies
from kmingest.index.lexical import query_term_ids
from kmingest.index.snapshot import Mask, Snapshot

if TYPE_CHECKING:
    from kmingest.index.embedded import EmbeddedIndex

LOCATION_COLUMNS = "rid, doc_id, title, source, system, department, external_id, url"


def _members(lexical: Sequence[Match], nearest: Sequence[Match]) -> npt.NDArray[np.int64]:
    """Snapshot positions of the documents in a result set, in index order."""
    docs = {int(d) for d, _, _ in lexical} | {int(d) for d, _, _ in nearest}
    return np.array(sorted(docs), dtype=np.int64)


class EmbeddedScope:
    """One search over one snapshot, with the filters and the caller's ACL as a mask (index/hybrid.py)."""

    def __init__(self, index: EmbeddedIndex, snap: Snapshot, mask: Mask, collapse: bool = True) -> None:
        self.index, self.snap, self.mask, self.by_group = index, snap, mask, collapse
        self._scores: dict[str, npt.NDArray[np.float32]] = {}  # per space: every chunk's cosine

    def _similarities(self, semantic: SemanticQuery) -> npt.NDArray[np.float32] | None:
        """The query's cosine with every chunk of its space, computed once per search."""
        vectors = self.snap.spaces.get(semantic.space)
        if vectors is None:
            return None
        if semantic.space not in self._scores:
            self._scores[semantic.space] = vectors.scores(semantic.vector)
        return self._scores[semantic.space]

    def retrieve(
        self, request: SearchRequest, semantic: SemanticQuery | None
    ) -> tuple[list[Match], list[Match]]:
        lexical = self.lexical(request.query) if request.mode != "vector" else []
        return lexical, self.nearest(semantic, request.vector_k) if semantic is not None else []

    def nearest(self, semantic: SemanticQuery, k: int) -> list[Match]:
        """The k readable documents whose best chunk is most similar, at least the floor."""
        scores = self._similarities(semantic)
        return self.snap.nearest(
            semantic.space, semantic.vector, self.mask, k, semantic.min_similarity, scores
        )

    def lexical(self, query: str) -> list[Match]:
        """Every readable document with a keyword match, its best chunk's BM25 score, best first."""
        snap = self.snap
        term_ids = query_term_ids(self.index._vocab, query)
        if not term_ids or len(snap.chunk_rids) == 0:
            return []
        scores = snap.postings.scores(term_ids)
        hit = np.flatnonzero((scores > 0) & self.mask[snap.chunk_doc])
        if len(hit) == 0:
            return []
        hit = hit[np.argsort(-scores[hit], kind="stable")]
        docs = snap.chunk_doc[hit]
        _, first = np.unique(docs, return_index=True)  # best chunk of each document
        first.sort()
        best = hit[first]
        return list(
            zip(docs[first].tolist(), snap.chunk_rids[best].tolist(), scores[best].tolist(), strict=True)
        )

    def result(
        self,
        page: Sequence[Entry],
        lexical: Sequence[Match],
        nearest: Sequence[Match],
        request: SearchRequest,
        semantic: SemanticQuery | None,
    ) -> SearchResult:
        hits = self.index._hits(self.snap, [(int(d), c, s) for d, c, s in page], request.query)
        if page and self.by_group:
            hits = with_copies(hits, self.copies([d for d, _, _ in page]))
        members = _members(lexical, nearest)
        ranges = self._range_counts(lexical, request, semantic) if request.count_ranges else None
        return SearchResult(
            hits=hits,
            total=self.snap.groups.count(members, self.by_group),
            facets=self.snap.facets(members, self.by_group),
            range_counts=ranges,
        )

    def _range_counts(
        self, lexical: Sequence[Match], request: SearchRequest, semantic: SemanticQuery | None
    ) -> list[int]:
        snap = self.snap  # one similarity pass for every range: its nearest = its k most similar documents
        best = None
        if semantic is not None:
            scores = self._similarities(semantic)
            best = snap.best_similarity(
                semantic.space, semantic.vector, self.mask, semantic.min_similarity, scores
            )
        lex_docs = np.array([d for d, _, _ in lexical], dtype=np.int64)
        counts = []
        for lo, hi in request.count_ranges:
            in_range = snap.range_mask(lo, hi)
            docs = lex_docs[in_range[lex_docs]]
            if best is not None:
                cand = np.flatnonzero(in_range & np.isfinite(best))
                if len(cand) > request.vector_k:
                    cand = cand[np.argpartition(-best[cand], request.vector_k - 1)[: request.vector_k]]
                docs = np.union1d(docs, cand)
            counts.append(snap.groups.count(docs, self.by_group))
        return counts

    def groups(self, docs: Sequence[Key]) -> list[Hashable]:
        if not self.by_group:
            return list(docs)
        return list(self.snap.groups.codes[np.asarray(docs, dtype=np.int64)].tolist())

    def copies(self, docs: Sequence[Key]) -> Copies:
        others = {int(d): self.snap.groups.copies(int(d), self.mask) for d in docs}
        others = {d: found for d, found in others.items() if len(found)}
        if not others:
            return {}
        wanted = {*others, *(int(c) for found in others.values() for c in found)}
        rids = self.snap.doc_rids[np.array(sorted(wanted), dtype=np.int64)].tolist()
        where: dict[int, Location] = {}
        for part, marks in in_batches(rids):
            sql = f"SELECT {LOCATION_COLUMNS} FROM documents WHERE rid IN ({marks})"
            rows = self.index._db.execute(sql, part)
            where |= {int(r[0]): Location(*r[1:]) for r in rows}
        out: Copies = {}
        for doc, found in others.items():
            locations = [where[rid] for rid in self.snap.doc_rids[found].tolist() if rid in where]
            out[where[int(self.snap.doc_rids[doc])].doc_id] = tuple(
                sorted(locations, key=lambda loc: (loc.source, loc.external_id, loc.doc_id))
            )
        return out

    def browse(self, request: SearchRequest) -> SearchResult:
        ranked = self.snap.browse(self.mask)
        page = collapse(
            lambda top: [(d, 0.0) for d in ranked[:top]], self.groups, request.offset, request.limit
        )
        hits = self.index._hits(self.snap, [(d, None, 0.0) for d, _ in page], "")
        hits = with_copies(hits, self.copies([d for d, _ in page]) if page and self.by_group else {})
        groups, by_group = self.snap.groups, self.by_group
        ranges = [
            groups.count(np.flatnonzero(self.mask & self.snap.range_mask(lo, hi)), by_group)
            for lo, hi in request.count_ranges
        ]
        readable = np.flatnonzero(self.mask)  # the same documents as `ranked`: counts need no order
        return SearchResult(
            hits=hits,
            total=groups.count(readable, by_group),
            facets=self.snap.facets(readable, by_group),
            range_counts=ranges if request.count_ranges else None,
        )
