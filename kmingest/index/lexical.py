"""BM25 for the embedded index: per-chunk term vectors on disk, an inverted index in memory.

Write path: a chunk's title, section and body are analyzed (kmingest.analysis) into term ids (a persistent
vocabulary table) with field-weighted term frequencies (BM25F-style: title x1.5), stored as two small
blobs beside the chunk. Read path: the snapshot concatenates those blobs into postings sorted by term
(CSR layout) once per index generation; a query then scores only the postings of its terms, in numpy.
This keeps long OR-queries fast where SQLite FTS5 had to compute bm25() for every matching row.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from kmingest.analysis import analyze, query_terms

K1 = 1.2
B = 0.75
FIELD_WEIGHTS = {"title": 1.5, "section": 1.0, "body": 1.0}

VOCAB_SCHEMA = "CREATE TABLE IF NOT EXISTS vocab (id INTEGER PRIMARY KEY, term TEXT NOT NULL UNIQUE)"


class Vocabulary:
    """term -> integer id, persisted in the index file; ids are never reused."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self._db.execute(VOCAB_SCHEMA)
        self._ids: dict[str, int] | None = None

    def _load(self) -> dict[str, int]:
        if self._ids is None:
            self._ids = dict(self._db.execute("SELECT term, id FROM vocab"))
        return self._ids

    def ids_for_write(self, terms: Sequence[str]) -> list[int]:
        """Ids of terms, adding new ones (call inside the write transaction)."""
        ids = self._load()
        new = [t for t in dict.fromkeys(terms) if t not in ids]
        if new:  # INSERT OR IGNORE + re-read: safe when another process added the same terms
            self._db.executemany("INSERT OR IGNORE INTO vocab (term) VALUES (?)", [(t,) for t in new])
            for i in range(0, len(new), 500):
                part = new[i : i + 500]
                marks = ",".join("?" * len(part))
                ids.update(self._db.execute(f"SELECT term, id FROM vocab WHERE term IN ({marks})", part))
        return [ids[t] for t in terms]

    def forget_cache(self) -> None:
        """After a rolled-back write the in-memory table may hold ids that were never stored."""
        self._ids = None

    def lookup(self, term: str) -> list[int]:
        """Ids matching a query term; a term ending in '*' is a prefix (single CJK characters)."""
        if term.endswith("*"):
            prefix = term[:-1]
            rows = self._db.execute(
                "SELECT id FROM vocab WHERE term >= ? AND term < ?", (prefix, prefix + "\U0010ffff")
            )
            return [r[0] for r in rows]
        row = self._db.execute("SELECT id FROM vocab WHERE term = ?", (term,)).fetchone()
        return [] if row is None else [row[0]]


def chunk_terms(vocab: Vocabulary, title: str, section: str, body: str) -> tuple[bytes, bytes, float]:
    """(term ids blob, weighted tf blob, weighted length) for one chunk."""
    weighted: dict[str, float] = {}
    length = 0.0
    for field, text in (("title", title), ("section", section), ("body", body)):
        terms = analyze(text)
        w = FIELD_WEIGHTS[field]
        length += w * len(terms)
        for t in terms:
            weighted[t] = weighted.get(t, 0.0) + w
    terms_sorted = sorted(weighted)
    ids = np.array(vocab.ids_for_write(terms_sorted), dtype=np.int32)
    tfs = np.array([weighted[t] for t in terms_sorted], dtype=np.float32)
    return ids.tobytes(), tfs.tobytes(), length


@dataclass
class Postings:
    """Inverted index over the snapshot's chunks (positions 0..n-1), CSR by term id."""

    offsets: npt.NDArray[np.int64]
    chunks: npt.NDArray[np.int32]
    tfs: npt.NDArray[np.float32]
    lengths: npt.NDArray[np.float32]

    @classmethod
    def build(
        cls, id_blobs: Sequence[bytes], tf_blobs: Sequence[bytes], lengths: Sequence[float]
    ) -> Postings:
        n = len(id_blobs)
        if n == 0:
            empty_i = np.zeros(0, dtype=np.int32)
            return cls(
                np.zeros(1, dtype=np.int64),
                empty_i,
                np.zeros(0, dtype=np.float32),
                np.zeros(0, dtype=np.float32),
            )
        ids = np.frombuffer(b"".join(id_blobs), dtype=np.int32)
        tfs = np.frombuffer(b"".join(tf_blobs), dtype=np.float32)
        counts = np.fromiter((len(b) // 4 for b in id_blobs), dtype=np.int64, count=n)
        positions = np.repeat(np.arange(n, dtype=np.int32), counts)
        order = np.argsort(ids, kind="stable")
        sorted_ids = ids[order]
        vocab_size = int(sorted_ids[-1]) + 1 if len(sorted_ids) else 0
        offsets = np.zeros(vocab_size + 1, dtype=np.int64)
        np.cumsum(np.bincount(sorted_ids, minlength=vocab_size), out=offsets[1:])
        return cls(offsets, positions[order], tfs[order], np.asarray(lengths, dtype=np.float32))

    def scores(self, term_ids: Sequence[Sequence[int]]) -> npt.NDArray[np.float32]:
        """BM25 score of every chunk for a query; each query term is a group of ids (prefix terms)."""
        n = len(self.lengths)
        out = np.zeros(n, dtype=np.float32)
        if n == 0:
            return out
        norm = K1 * (1 - B + B * self.lengths / max(float(self.lengths.mean()), 1e-9))
        for group in term_ids:
            parts = [
                (int(self.offsets[t]), int(self.offsets[t + 1])) for t in group if t + 1 < len(self.offsets)
            ]
            parts = [(s, e) for s, e in parts if e > s]
            if not parts:
                continue
            chunks = np.concatenate([self.chunks[s:e] for s, e in parts])
            tf = np.concatenate([self.tfs[s:e] for s, e in parts])
            if len(parts) > 1:  # a prefix term: a chunk counts once, with its summed frequency
                chunks, inverse = np.unique(chunks, return_inverse=True)
                tf = np.bincount(inverse, weights=tf).astype(np.float32)
            df = len(chunks)
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            out[chunks] += idf * tf * (K1 + 1) / (tf + norm[chunks])
        return out


def query_term_ids(vocab: Vocabulary, query: str) -> list[list[int]]:
    return [ids for ids in (vocab.lookup(t) for t in query_terms(query)) if ids]
