"""In-memory snapshot of the embedded index for fast filtering, ACL masks, facets and vector search.

Loaded from SQLite once per index generation (every write bumps it): document attributes as integer codes,
an inverted ACL list (principal -> documents), the chunk vectors as one float32 matrix per vector space
(model profile) and the BM25 postings. All filters and the ACL are applied as one boolean mask over
documents before anything is ranked or counted. Duplicate groups (same text fingerprint, index/base.py)
are integer codes too, with the documents of each group in one run, so folding a page's duplicates and
counting groups touch only documents that have copies.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

import numpy as np
import numpy.typing as npt

from kmingest.index.base import (
    FACET_FIELDS,
    GROUP_FIELDS,
    Caller,
    Filters,
    check_group_by,
    group_fingerprint,
)
from kmingest.index.groups import Groups
from kmingest.index.lexical import Postings
from kmingest.models import PUBLIC

Mask = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


@dataclass
class SpaceVectors:
    """The chunks of one vector space: their positions in the snapshot's chunk arrays and vectors."""

    positions: IntArray
    matrix: npt.NDArray[np.float32]
    chunk_doc: IntArray  # document index of each row (-1: a chunk whose document is not in the snapshot)

    @cached_property
    def doc_runs(self) -> tuple[IntArray, IntArray, IntArray]:
        """(row order grouping rows by document, start of each document's run in it, that document)."""
        valid = np.flatnonzero(self.chunk_doc >= 0)
        order = valid[np.argsort(self.chunk_doc[valid], kind="stable")]
        docs = self.chunk_doc[order]
        starts = np.flatnonzero(np.r_[True, docs[1:] != docs[:-1]]) if len(docs) else np.arange(0)
        return order, starts, docs[starts]

    def scores(self, query: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """Cosine of every row with the (normalised) query."""
        return self.matrix @ np.asarray(query, dtype=np.float32).reshape(-1)


@dataclass
class Snapshot:
    generation: int
    doc_rids: IntArray
    codes: dict[str, IntArray]
    values: dict[str, list[str]]
    updated_ts: npt.NDArray[np.float64]
    acl: dict[str, IntArray]
    chunk_rids: IntArray
    chunk_doc: IntArray
    spaces: dict[str, SpaceVectors]
    postings: Postings
    groups: Groups
    _range_masks: dict[tuple[float | None, float | None], Mask] = field(default_factory=dict, init=False)

    @property
    def size(self) -> int:
        return len(self.doc_rids)

    def mask(self, filters: Filters, caller: Caller) -> Mask:
        mask = np.ones(self.size, dtype=bool)
        for name, wanted in (
            ("department", filters.departments),
            ("system", filters.systems),
            ("doc_type", filters.doc_types),
            ("source", filters.sources),
        ):
            if wanted:
                codes = [i for i, v in enumerate(self.values[name]) if v in wanted]
                mask &= np.isin(self.codes[name], codes)
        if filters.updated_from is not None or filters.updated_to is not None:
            mask &= self.range_mask(filters.updated_from, filters.updated_to)
        if not caller.admin:
            readable = np.zeros(self.size, dtype=bool)
            for principal in caller.principals | {PUBLIC}:
                idx = self.acl.get(principal)
                if idx is not None:
                    readable[idx] = True
            mask &= readable
        return mask

    def range_mask(self, start: datetime | None, end: datetime | None) -> Mask:
        """Documents updated within [start, end] (None: open); cached, as the portal's year facet asks for
        the same ranges on every search (the snapshot never changes)."""
        key = (None if start is None else start.timestamp(), None if end is None else end.timestamp())
        found = self._range_masks.get(key)
        if found is None:
            found = np.ones(self.size, dtype=bool)
            if key[0] is not None:
                found &= self.updated_ts >= key[0]
            if key[1] is not None:
                found &= self.updated_ts <= key[1]
            if len(self._range_masks) < 256:
                self._range_masks[key] = found
        return found

    def doc_index_of_chunks(self, chunk_rids: IntArray) -> IntArray:
        """Document index of each chunk rid; -1 for rids not in the snapshot."""
        if len(self.chunk_rids) == 0:
            return np.full(len(chunk_rids), -1, dtype=np.int64)
        pos = np.searchsorted(self.chunk_rids, chunk_rids)
        pos = np.clip(pos, 0, len(self.chunk_rids) - 1)
        found = self.chunk_rids[pos] == chunk_rids
        return np.where(found, self.chunk_doc[pos], -1)

    def nearest(
        self,
        space: str,
        query: npt.NDArray[np.float32],
        mask: Mask,
        k: int,
        min_similarity: float | None = None,
        scores: npt.NDArray[np.float32] | None = None,
    ) -> list[tuple[int, int, float]]:
        """(doc index, best chunk rid, cosine) of the k most similar readable documents in a vector space,
        best first; chunks less similar than `min_similarity` do not count. `scores`: the space's
        `SpaceVectors.scores(query)` when the caller has them already."""
        vectors = self.spaces.get(space)
        if vectors is None or len(vectors.positions) == 0 or k <= 0:
            return []
        chunk_doc = vectors.chunk_doc
        scores = (vectors.scores(query) if scores is None else scores).copy()
        scores[~mask[chunk_doc] | (chunk_doc < 0)] = -np.inf
        if min_similarity is not None:
            scores[scores < min_similarity] = -np.inf
        m = min(len(scores), k * 8)
        while True:
            top = np.argpartition(-scores, m - 1)[:m] if m < len(scores) else np.arange(len(scores))
            top = top[np.argsort(-scores[top], kind="stable")]
            result: dict[int, tuple[int, float]] = {}
            for c in top.tolist():
                if scores[c] == -np.inf:
                    break
                doc = int(chunk_doc[c])
                if doc not in result:
                    result[doc] = (int(self.chunk_rids[vectors.positions[c]]), float(scores[c]))
                if len(result) == k:
                    break
            if len(result) == k or m >= len(scores) or scores[top[-1]] == -np.inf:
                return [(d, c, s) for d, (c, s) in result.items()]
            m = min(len(scores), m * 4)

    def best_similarity(
        self,
        space: str,
        query: npt.NDArray[np.float32],
        mask: Mask,
        min_similarity: float | None,
        scores: npt.NDArray[np.float32] | None = None,
    ) -> npt.NDArray[np.float32]:
        """Per document: the cosine of its most similar chunk in the space, -inf where it has none, is
        masked out or stays under the floor (`nearest` = the k highest of these)."""
        best = np.full(self.size, -np.inf, dtype=np.float32)
        vectors = self.spaces.get(space)
        if vectors is not None and len(vectors.positions):
            order, starts, docs = vectors.doc_runs
            if len(order):
                chunk_scores = vectors.scores(query) if scores is None else scores
                best[docs] = np.maximum.reduceat(chunk_scores[order], starts)
        best[~mask] = -np.inf
        if min_similarity is not None:
            best[best < min_similarity] = -np.inf
        return best

    def browse(self, mask: Mask) -> list[int]:
        """Readable documents, newest first (undated last), then in index order."""
        idx = np.flatnonzero(mask)
        ts = np.nan_to_num(self.updated_ts[idx], nan=-np.inf)
        ranked: list[int] = idx[np.lexsort((idx, -ts))].tolist()
        return ranked

    def facets(
        self, members: Sequence[int] | IntArray, by_group: bool = True
    ) -> dict[str, list[tuple[str, int]]]:
        """Per facet value: the duplicate groups (by_group False: documents) among `members` with a
        document of that value."""
        out: dict[str, list[tuple[str, int]]] = {}
        sel = np.asarray(members, dtype=np.int64)
        shared = sel[self.groups.shared[sel]] if by_group else sel[:0]
        for name in FACET_FIELDS:
            size = len(self.values[name])
            counts = np.bincount(self.codes[name][sel], minlength=size)
            if len(shared):  # copies with the same value count once
                values = self.codes[name][shared]
                per_value = np.unique(values * len(self.groups.starts) + self.groups.codes[shared])
                counts -= np.bincount(values, minlength=size)
                counts += np.bincount(per_value // len(self.groups.starts), minlength=size)
            pairs = [(self.values[name][i], int(n)) for i, n in enumerate(counts) if n]
            out[name] = sorted(pairs, key=lambda p: (-p[1], p[0]))
        return out

    def group_counts(self, mask: Mask, group_by: Sequence[str]) -> dict[tuple[str, ...], int]:
        check_group_by(group_by)
        out: dict[tuple[str, ...], int] = {}
        idx = np.flatnonzero(mask)
        for i in idx.tolist():
            key = tuple(self.values[name][self.codes[name][i]] for name in group_by)
            out[key] = out.get(key, 0) + 1
        return out


def load_snapshot(db: sqlite3.Connection, generation: int) -> Snapshot:
    rows = db.execute(
        "SELECT rid, department, system, doc_type, source, updated_ts, fingerprint"
        " FROM documents ORDER BY rid"
    ).fetchall()
    doc_rids = np.array([r[0] for r in rows], dtype=np.int64)
    codes: dict[str, IntArray] = {}
    values: dict[str, list[str]] = {}
    for col, name in enumerate(GROUP_FIELDS, start=1):
        table: dict[str, int] = {}
        codes[name] = np.array([table.setdefault(r[col], len(table)) for r in rows], dtype=np.int64)
        values[name] = list(table)
    updated = np.array([np.nan if r[5] is None else r[5] for r in rows], dtype=np.float64)
    position = {rid: i for i, rid in enumerate(doc_rids.tolist())}
    acl_lists: dict[str, list[int]] = {}
    for principal, rid in db.execute("SELECT principal, rid FROM doc_acl"):
        if rid in position:
            acl_lists.setdefault(principal, []).append(position[rid])
    acl = {p: np.array(v, dtype=np.int64) for p, v in acl_lists.items()}
    chunk_rows = db.execute(
        "SELECT rid, doc_rid, space, vector, term_ids, term_tfs, length FROM chunks ORDER BY rid"
    ).fetchall()
    chunk_rids = np.array([r[0] for r in chunk_rows], dtype=np.int64)
    chunk_doc = np.array([position.get(r[1], -1) for r in chunk_rows], dtype=np.int64)
    by_space: dict[str, list[int]] = {}
    for i, r in enumerate(chunk_rows):
        by_space.setdefault(r[2], []).append(i)
    spaces = {
        name: SpaceVectors(
            np.array(pos, dtype=np.int64),
            np.frombuffer(b"".join(chunk_rows[i][3] for i in pos), dtype=np.float32).reshape(len(pos), -1),
            chunk_doc[np.array(pos, dtype=np.int64)],
        )
        for name, pos in by_space.items()
    }
    postings = Postings.build(
        [r[4] for r in chunk_rows], [r[5] for r in chunk_rows], [r[6] for r in chunk_rows]
    )
    groups = Groups.build(_fingerprints(db, rows))
    return Snapshot(
        generation, doc_rids, codes, values, updated, acl, chunk_rids, chunk_doc, spaces, postings, groups
    )


def _fingerprints(db: sqlite3.Connection, rows: Sequence[tuple[object, ...]]) -> list[str | None]:
    """Each document's stored fingerprint ("" for no text); computed from the text where a writer of an
    earlier version left it NULL."""
    found: list[str | None] = [None if r[6] is None else str(r[6]) or None for r in rows]
    missing = [i for i, r in enumerate(rows) if r[6] is None]
    for start in range(0, len(missing), 500):
        part = missing[start : start + 500]
        marks = ",".join("?" * len(part))
        texts = dict(
            db.execute(f"SELECT rid, text FROM documents WHERE rid IN ({marks})", [rows[i][0] for i in part])
        )
        for i in part:
            found[i] = group_fingerprint(str(texts.get(rows[i][0], "")))
    return found
