"""Embedded index backend (the default): one SQLite file, no server.

Tables: documents (metadata + full text), doc_acl (principal -> document), chunks (text, offsets, vector
space and float32 vector blob, BM25 term vector: see index/lexical.py) and vocab. Writes are one
transaction per `upsert`/`delete` call. Searches filter and rank in numpy over a snapshot of document
attributes, vectors and postings (see index/snapshot.py), reloaded when the index generation changes; the
search sequence itself is index/hybrid.py, asking index/embedded_search.py. Each document keeps its text
fingerprint (index/base.py `group_fingerprint`, "" for no text) for collapsing duplicates: written on
upsert, added to an index of an earlier version by `_migrate` on open.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from kmingest.index.base import (
    Caller,
    DocumentFacts,
    Filters,
    IndexError_,
    IndexItem,
    SearchHit,
    SearchRequest,
    SearchResult,
    SemanticQuery,
    group_fingerprint,
    spaces_mismatch,
)
from kmingest.index.embedded_rows import (
    SCHEMA,
    SCHEMA_VERSION,
    doc_ids_of,
    in_batches,
    page_hits,
    read_document,
    read_facts,
)
from kmingest.index.embedded_search import EmbeddedScope
from kmingest.index.hybrid import run_search
from kmingest.index.lexical import Vocabulary, chunk_terms
from kmingest.index.snapshot import Snapshot, load_snapshot


class EmbeddedIndex:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        self._vocab = Vocabulary(self._db)
        self._check_schema()
        self._lock = threading.RLock()
        self._snapshot: Snapshot | None = None

    # ---- model bookkeeping -------------------------------------------------------------------------
    def _meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def _check_schema(self) -> None:
        with self._db:
            stored = self._meta("schema")
            if stored is None and self._meta("model") is not None:
                stored = "1"  # written before the format was versioned
            if stored is None:
                self._db.execute(
                    "INSERT INTO meta VALUES ('schema', ?), ('index_id', ?)",
                    (SCHEMA_VERSION, uuid.uuid4().hex),
                )
            elif stored != SCHEMA_VERSION:
                raise IndexError_(
                    f"{self.path}: index format {stored} is not {SCHEMA_VERSION} "
                    "(fix: delete the file, then `kmingest ingest --all --full --force`)"
                )
        self._migrate()

    def _migrate(self) -> None:
        """Format 3 without fingerprints (before duplicate collapsing): add the column and fill it once.
        Rows that a process of the earlier version writes later are fingerprinted when a snapshot loads."""
        if self._meta("fingerprints") is not None:
            return
        with self._db:
            columns = {r[1] for r in self._db.execute("PRAGMA table_info(documents)")}
            if "fingerprint" not in columns:
                try:
                    self._db.execute("ALTER TABLE documents ADD COLUMN fingerprint TEXT")
                except sqlite3.OperationalError as err:  # another process added it first
                    if "duplicate column" not in str(err):
                        raise
            rows = self._db.execute("SELECT rid, text FROM documents WHERE fingerprint IS NULL").fetchall()
            self._db.executemany(
                "UPDATE documents SET fingerprint = ? WHERE rid = ?",
                [(group_fingerprint(text) or "", rid) for rid, text in rows],
            )
            self._db.execute("INSERT OR IGNORE INTO meta VALUES ('fingerprints', '1')")

    @property
    def index_id(self) -> str:
        return self._meta("index_id") or ""

    def stored_spaces(self) -> dict[str, int] | None:
        with self._lock:
            stored = self._meta("spaces")
        return None if stored is None else dict(json.loads(stored))

    def ensure_spaces(self, spaces: Mapping[str, int]) -> None:
        with self._lock, self._db:
            stored = self._meta("spaces")
            if stored is None:
                self._db.execute("INSERT INTO meta VALUES ('spaces', ?)", (json.dumps(dict(spaces)),))
            elif json.loads(stored) != dict(spaces):
                raise spaces_mismatch(
                    f"{self.path}: the index",
                    json.loads(stored),
                    spaces,
                    "re-embed with `kmingest ingest --all --full --force` into a new index.path",
                )

    def _bump_generation(self) -> None:
        self._db.execute(
            "INSERT INTO meta VALUES ('generation', '1') ON CONFLICT(key) "
            "DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )

    # ---- writes ------------------------------------------------------------------------------------
    def _delete_rids(self, rids: list[int]) -> None:
        for part, marks in in_batches(rids):
            self._db.execute(f"DELETE FROM chunks WHERE doc_rid IN ({marks})", part)
            self._db.execute(f"DELETE FROM doc_acl WHERE rid IN ({marks})", part)
            self._db.execute(f"DELETE FROM documents WHERE rid IN ({marks})", part)

    def _rids_of(self, doc_ids: Sequence[str]) -> list[int]:
        rids: list[int] = []
        for part, marks in in_batches(doc_ids):
            rids += [
                r[0] for r in self._db.execute(f"SELECT rid FROM documents WHERE doc_id IN ({marks})", part)
            ]
        return rids

    def upsert(self, items: Sequence[IndexItem]) -> None:
        if not items:
            return
        with self._lock:
            try:
                self._write(items)
            except BaseException:
                self._vocab.forget_cache()
                raise

    def _write(self, items: Sequence[IndexItem]) -> None:
        with self._db:
            self._delete_rids(self._rids_of([doc.doc_id for doc, _, _ in items]))
            for doc, chunks, vectors in items:
                if len(chunks) != len(vectors):
                    raise ValueError(f"{doc.doc_id}: {len(chunks)} chunks but {len(vectors)} vectors")
                cur = self._db.execute(
                    "INSERT INTO documents (doc_id, source, external_id, system, title, department, doc_type,"
                    " updated_at, updated_ts, author, url, acl, content_hash, text, metadata, fingerprint)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        doc.doc_id,
                        doc.source,
                        doc.external_id,
                        doc.system,
                        doc.title,
                        doc.department,
                        doc.doc_type,
                        doc.updated_at.isoformat() if doc.updated_at else None,
                        doc.updated_at.timestamp() if doc.updated_at else None,
                        doc.author,
                        doc.url,
                        json.dumps(sorted(doc.acl)),
                        doc.content_hash,
                        doc.text,
                        json.dumps(doc.metadata, default=str, ensure_ascii=False),
                        group_fingerprint(doc.text) or "",
                    ),
                )
                rid = cur.lastrowid
                self._db.executemany(
                    "INSERT OR IGNORE INTO doc_acl VALUES (?, ?)", [(p, rid) for p in doc.acl]
                )
                rows = []
                for chunk, (space, vector) in zip(chunks, vectors, strict=True):
                    ids, tfs, length = chunk_terms(self._vocab, doc.title, chunk.section, chunk.text)
                    rows.append(
                        (
                            chunk.chunk_id,
                            rid,
                            chunk.ordinal,
                            chunk.section,
                            chunk.start,
                            chunk.end,
                            chunk.text,
                            space,
                            np.asarray(vector, dtype=np.float32).tobytes(),
                            ids,
                            tfs,
                            length,
                        )
                    )
                self._db.executemany(
                    "INSERT INTO chunks (chunk_id, doc_rid, ordinal, section, start, end, text, space,"
                    " vector, term_ids, term_tfs, length) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    rows,
                )
            self._bump_generation()

    def delete(self, doc_ids: Sequence[str]) -> int:
        with self._lock, self._db:
            rids = self._rids_of(doc_ids)
            if rids:
                self._delete_rids(rids)
                self._bump_generation()
            return len(rids)

    # ---- reads -------------------------------------------------------------------------------------
    @contextmanager
    def _read(self) -> Iterator[Snapshot]:
        """The current snapshot, inside one SQLite read transaction: the snapshot and every row read while
        it is held come from the same committed state, even while another process writes (WAL)."""
        with self._lock:
            own = not self._db.in_transaction
            if own:
                self._db.execute("BEGIN")
            try:
                yield self._current()
            finally:
                if own:
                    self._db.execute("COMMIT")

    def _current(self) -> Snapshot:
        generation = int(self._meta("generation") or 0)
        if self._snapshot is None or self._snapshot.generation != generation:
            self._snapshot = load_snapshot(self._db, generation)
        return self._snapshot

    def search(
        self, request: SearchRequest, caller: Caller, semantic: SemanticQuery | None = None
    ) -> SearchResult:
        with self._read() as snap:
            return run_search(
                EmbeddedScope(self, snap, snap.mask(request.filters, caller), request.collapse_duplicates),
                request,
                semantic,
            )

    def _hits(
        self, snap: Snapshot, page: Sequence[tuple[int, int | None, float]], query: str
    ) -> list[SearchHit]:
        return page_hits(self._db, snap, page, query)

    def counts(
        self, caller: Caller, group_by: Sequence[str], filters: Filters = Filters()
    ) -> dict[tuple[str, ...], int]:
        with self._read() as snap:
            return snap.group_counts(snap.mask(filters, caller), group_by)

    def get_document(self, doc_id: str, caller: Caller) -> dict[str, object] | None:
        with self._lock:
            return read_document(self._db, doc_id, caller)

    def stats(self) -> dict[str, int]:
        with self._lock:
            docs = self._db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
            chunks = self._db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
            return {"documents": int(docs), "chunks": int(chunks)}

    def keyword_matches(self, query: str, caller: Caller, filters: Filters = Filters()) -> frozenset[str]:
        with self._read() as snap:
            matches = EmbeddedScope(self, snap, snap.mask(filters, caller)).lexical(query)
            return frozenset(doc_ids_of(self._db, snap.doc_rids[[int(d) for d, _, _ in matches]].tolist()))

    def document_facts(self, caller: Caller, filters: Filters = Filters()) -> Iterator[DocumentFacts]:
        # one read transaction for all of it: an upsert in another process re-inserts documents under new
        # row ids, so reading the rows of an older snapshot later would silently drop them
        with self._read() as snap:
            facts = read_facts(self._db, snap.doc_rids[snap.mask(filters, caller)].tolist())
        yield from facts

    def close(self) -> None:
        with self._lock:
            self._db.close()


_Scope = EmbeddedScope  # the name bench/fusion_sweep.py imports
