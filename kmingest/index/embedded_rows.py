"""Rows of the embedded index (index/embedded.py): the SQLite schema they live in, and the rows read into
what searches and reports return: a page's hits, one document, the facts of many documents, doc ids. The
callers hold the index lock or a read transaction; nothing here writes.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import TypeVar

from kmingest.index.base import Caller, DocumentFacts, SearchHit, allowed, make_snippet, text_fingerprint
from kmingest.index.snapshot import Snapshot
from kmingest.models import PUBLIC

T = TypeVar("T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    rid INTEGER PRIMARY KEY, doc_id TEXT NOT NULL UNIQUE, source TEXT NOT NULL, external_id TEXT NOT NULL,
    system TEXT NOT NULL, title TEXT NOT NULL, department TEXT NOT NULL, doc_type TEXT NOT NULL,
    updated_at TEXT, updated_ts REAL, author TEXT, url TEXT, acl TEXT NOT NULL, content_hash TEXT NOT NULL,
    text TEXT NOT NULL, metadata TEXT NOT NULL, fingerprint TEXT);
CREATE TABLE IF NOT EXISTS doc_acl (principal TEXT NOT NULL, rid INTEGER NOT NULL,
    PRIMARY KEY (principal, rid)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS doc_acl_rid ON doc_acl (rid);
CREATE TABLE IF NOT EXISTS chunks (
    rid INTEGER PRIMARY KEY, chunk_id TEXT NOT NULL UNIQUE, doc_rid INTEGER NOT NULL,
    ordinal INTEGER NOT NULL,
    section TEXT NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL, text TEXT NOT NULL,
    space TEXT NOT NULL, vector BLOB NOT NULL, term_ids BLOB NOT NULL, term_tfs BLOB NOT NULL,
    length REAL NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks (doc_rid);
"""
SCHEMA_VERSION = "3"  # 3: a vector space per chunk (one model per script)

DOCUMENT_COLUMNS = (
    "doc_id",
    "source",
    "external_id",
    "system",
    "title",
    "department",
    "doc_type",
    "updated_at",
    "author",
    "url",
    "content_hash",
    "text",
    "metadata",
)


def page_hits(
    db: sqlite3.Connection, snap: Snapshot, page: Sequence[tuple[int, int | None, float]], query: str
) -> list[SearchHit]:
    """The page's hits: (doc index, its chunk rid or None for the first chunk, score) each, read in two
    queries (not the documents' whole text: the snippet comes from a chunk)."""
    rids = [int(snap.doc_rids[d]) for d, _, _ in page]
    marks = ",".join("?" * len(rids))
    docs = {
        row[0]: row[1:]
        for row in db.execute(
            "SELECT rid, doc_id, title, source, system, department, doc_type, updated_at, url, external_id,"
            f" author FROM documents WHERE rid IN ({marks})",
            rids,
        )
    }
    wanted = [c for _, c, _ in page if c is not None]
    chunks = {
        row[0]: row[1:]
        for row in db.execute(
            f"SELECT rid, section, text FROM chunks WHERE rid IN ({','.join('?' * len(wanted))})", wanted
        )
    }
    hits = []
    for rid, (_, chunk_rid, score) in zip(rids, page, strict=True):
        doc = docs[rid]
        row = (
            chunks.get(chunk_rid)
            if chunk_rid is not None
            else db.execute(
                "SELECT section, text FROM chunks WHERE doc_rid = ? ORDER BY ordinal LIMIT 1", (rid,)
            ).fetchone()
        )
        if row is None:  # a document without chunks (no text)
            row = ("", db.execute("SELECT text FROM documents WHERE rid = ?", (rid,)).fetchone()[0])
        section, passage = row
        hits.append(
            SearchHit(
                doc_id=doc[0],
                score=score,
                title=doc[1],
                source=doc[2],
                system=doc[3],
                department=doc[4],
                doc_type=doc[5],
                updated_at=datetime.fromisoformat(doc[6]) if doc[6] else None,
                url=doc[7],
                external_id=doc[8],
                section=section,
                snippet_html=make_snippet(passage, query),
                author=doc[9],
            )
        )
    return hits


def read_document(db: sqlite3.Connection, doc_id: str, caller: Caller) -> dict[str, object] | None:
    """The document with its ACL, metadata and chunk count, or None if it is missing or the caller may not
    read it: the ACL first, and the same work for a missing and a forbidden id (nothing else is read)."""
    found = db.execute("SELECT rid, acl FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
    acl = json.loads(found[1]) if found is not None else []
    if found is None or not allowed(acl, caller):
        return None
    row = db.execute(
        f"SELECT {', '.join(DOCUMENT_COLUMNS)} FROM documents WHERE rid = ?", (found[0],)
    ).fetchone()
    doc: dict[str, object] = dict(zip(DOCUMENT_COLUMNS, row, strict=True))
    doc["acl"] = acl
    doc["metadata"] = json.loads(str(doc["metadata"]))
    doc["chunks"] = db.execute(
        "SELECT COUNT(*) FROM chunks c JOIN documents d ON d.rid = c.doc_rid WHERE d.doc_id = ?",
        (doc_id,),
    ).fetchone()[0]
    return doc


def in_batches(values: Sequence[T], size: int = 500) -> Iterator[tuple[list[T], str]]:
    """The values in parts of `size` (SQLite's bound-parameter limit), each with its `?,?,...`
    placeholders for an IN (...) clause."""
    for i in range(0, len(values), size):
        part = list(values[i : i + size])
        yield part, ",".join("?" * len(part))


def doc_ids_of(db: sqlite3.Connection, rids: Sequence[int]) -> list[str]:
    """The doc_id of these document rows, read 500 at a time."""
    found: list[str] = []
    for part, marks in in_batches(rids):
        found += [r[0] for r in db.execute(f"SELECT doc_id FROM documents WHERE rid IN ({marks})", part)]
    return found


def read_facts(db: sqlite3.Connection, rids: Sequence[int]) -> list[DocumentFacts]:
    """DocumentFacts of these document rows, in row order, read 500 at a time."""
    facts: list[DocumentFacts] = []
    for part, marks in in_batches(rids):
        rows = db.execute(
            "SELECT d.doc_id, d.source, d.external_id, d.system, d.department, d.doc_type, d.title,"
            " d.author, d.updated_at, d.text, COUNT(c.rid), COALESCE(SUM(length(c.vector) > 0), 0), d.acl"
            f" FROM documents d LEFT JOIN chunks c ON c.doc_rid = d.rid WHERE d.rid IN ({marks})"
            " GROUP BY d.rid ORDER BY d.rid",
            part,
        )
        facts += [
            DocumentFacts(
                doc_id=r[0],
                source=r[1],
                external_id=r[2],
                system=r[3],
                department=r[4],
                doc_type=r[5],
                title=r[6],
                author=r[7] or None,
                updated_at=datetime.fromisoformat(r[8]) if r[8] else None,
                text_chars=len(r[9].strip()),
                text_fingerprint=text_fingerprint(r[9]),
                chunks=int(r[10]),
                embedded_chunks=int(r[11]),
                public=PUBLIC in json.loads(r[12]),
            )
            for r in rows
        ]
    return facts
