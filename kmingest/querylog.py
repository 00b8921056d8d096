"""Query log: what employees searched for in the portal, for search-gap analytics and rollout figures.

portal search -> QueryLog.record(...) ; portal click -> QueryLog.record_click(...)
coverage (analytics.py, rollout.py) -> entries()

One SQLite file, `state_dir/querylog.db`. It holds the asker's departments and a pseudonymous searcher id,
never the user name, and never any document text: only the query, its filters, the result count, latency
and which documents were opened. Old entries are purged after `portal.query_log_retention_days`.

The searcher id (`searcher_id`) is a keyed hash (HMAC-SHA256) of the user name: the same person always gets
the same id under the same key, so active searchers can be counted per month, but the name cannot be read
back, nor guessed and checked, without the key. The portal takes the key from `KMINGEST_SEARCHER_KEY`, else
from its session key (portal.session_secret_env); see docs/rollout.md.

Each query keeps an opaque `owner` key (the portal's keyed hash of the session, or of the token/SSO user):
a click counts only when it comes with the owner of its query, so a `?qid=` passed around in a link never
attaches another person's clicks to it.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from kmingest.sqlite_files import open_shared

NO_DEPARTMENT = "(none)"
DEPARTMENT_SEPARATOR = "\x1f"
ADDED_COLUMNS = {"owner": "TEXT", "departments": "TEXT", "searcher": "TEXT"}  # newer than the first schema
MAX_QUERY_ID = 2**63 - 1  # SQLite's largest integer


def parse_query_id(text: str | None) -> int | None:
    """A query id from a URL parameter; None for anything that is not one (never an error)."""
    if not text or not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if 1 <= value <= MAX_QUERY_ID else None


def searcher_id(key: bytes, user_name: str) -> str:
    """The pseudonym the log keeps for a user: 22 URL-safe characters of HMAC-SHA256(key, name)."""
    digest = hmac.new(key, f"searcher|{user_name}".encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


# `departments`: every department of the asker, joined by DEPARTMENT_SEPARATOR ("" for none);
# `department` keeps the first one (or NO_DEPARTMENT), as logs written before `departments` existed did
SCHEMA = """
CREATE TABLE IF NOT EXISTS queries (
    query_id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, department TEXT NOT NULL,
    query TEXT NOT NULL, filters TEXT NOT NULL, mode TEXT NOT NULL, result_count INTEGER NOT NULL,
    latency_ms REAL NOT NULL, owner TEXT, departments TEXT, searcher TEXT);
CREATE INDEX IF NOT EXISTS queries_at ON queries (at);
CREATE TABLE IF NOT EXISTS clicks (
    query_id INTEGER NOT NULL REFERENCES queries (query_id) ON DELETE CASCADE, doc_id TEXT NOT NULL,
    at TEXT NOT NULL, PRIMARY KEY (query_id, doc_id)) WITHOUT ROWID;
"""


@dataclass(frozen=True)
class LoggedQuery:
    query_id: int
    at: datetime
    department: str
    query: str
    filters: dict[str, Any]
    mode: str
    result_count: int
    latency_ms: float
    clicked: tuple[str, ...] = field(default=())
    departments: tuple[str, ...] = ()  # all of the asker's departments; () for none
    searcher: str | None = None  # pseudonymous searcher id (searcher_id); None in entries logged before it


def normalize_query(query: str) -> str:
    """The form queries are grouped by in analytics: trimmed, inner whitespace collapsed, lower case."""
    return " ".join(query.split()).lower()


class QueryLog:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        # no fsync per logged search (the commits serialise across portal workers): a power cut may lose
        # the last queries' analytics, never the index
        self._db = open_shared(path, SCHEMA)
        self._migrate()

    def _migrate(self) -> None:
        """Bring a log written by an older version up to date, keeping every row: add the newer columns and
        fill `departments` of old rows from their one `department`."""
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(queries)")}
        for name, kind in ADDED_COLUMNS.items():
            if name not in columns:  # old rows: clicks stay unbound (no owner), no searcher id
                with contextlib.suppress(sqlite3.OperationalError):  # another process added it meanwhile
                    self._db.execute(f"ALTER TABLE queries ADD COLUMN {name} {kind}")
        with self._lock, self._db:
            self._db.execute(
                "UPDATE queries SET departments = CASE WHEN department = ? THEN '' ELSE department END"
                " WHERE departments IS NULL",
                (NO_DEPARTMENT,),
            )

    def record(
        self,
        department: str | None,
        query: str,
        filters: dict[str, Any],
        result_count: int,
        latency_ms: float,
        mode: str = "hybrid",
        at: datetime | None = None,
        owner: str | None = None,
        departments: Sequence[str] | None = None,
        searcher: str | None = None,
    ) -> int:
        """Log one search; returns its id (the portal passes it along with result links for clicks).
        `owner`: who may log clicks on it (see record_click). `departments`: all of the asker's (default:
        `department` alone); `department` defaults to the first of them. `searcher`: the asker's
        pseudonym (searcher_id), never a name."""
        depts = tuple(departments) if departments is not None else ((department,) if department else ())
        first = department or (depts[0] if depts else NO_DEPARTMENT)
        when = (at or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="milliseconds")
        row = (
            when,
            first,
            query,
            json.dumps(filters, sort_keys=True, default=str),
            mode,
            int(result_count),
            float(latency_ms),
            owner,
            DEPARTMENT_SEPARATOR.join(depts),
            searcher,
        )
        with self._lock, self._db:
            cur = self._db.execute(
                "INSERT INTO queries (at, department, query, filters, mode, result_count, latency_ms, owner,"
                " departments, searcher) VALUES (?,?,?,?,?,?,?,?,?,?)",
                row,
            )
        assert cur.lastrowid is not None
        return cur.lastrowid

    def record_click(self, query_id: int, doc_id: str, owner: str | None = None) -> bool:
        """Remember that a result of a logged query was opened; False (nothing recorded) if the query id is
        unknown or the query belongs to another owner (another session's search)."""
        if not 1 <= query_id <= MAX_QUERY_ID:
            return False
        with self._lock, self._db:
            found = self._db.execute(
                "SELECT 1 FROM queries WHERE query_id = ? AND owner IS ?", (query_id, owner)
            ).fetchone()
            if found is None:
                return False
            self._db.execute(
                "INSERT OR IGNORE INTO clicks VALUES (?, ?, ?)",
                (query_id, doc_id, datetime.now(UTC).isoformat(timespec="milliseconds")),
            )
        return True

    def purge(self, retention_days: int, now: datetime | None = None) -> int:
        """Delete entries older than the retention period; returns how many queries were removed."""
        cutoff = ((now or datetime.now(UTC)) - timedelta(days=retention_days)).astimezone(UTC)
        with self._lock, self._db:
            cur = self._db.execute(
                "DELETE FROM queries WHERE at < ?", (cutoff.isoformat(timespec="milliseconds"),)
            )
        return cur.rowcount

    def entries(self, since: datetime | None = None, until: datetime | None = None) -> Iterator[LoggedQuery]:
        """Logged queries with since <= time <= until (both ends included: times are kept to the
        millisecond, so a query logged in the same millisecond as `until` still counts), in time order, each
        with the documents opened from it."""
        lo = since.astimezone(UTC).isoformat(timespec="milliseconds") if since else ""
        hi = until.astimezone(UTC).isoformat(timespec="milliseconds") if until else "9999"
        with self._lock:
            rows = self._db.execute(
                "SELECT q.query_id, q.at, q.department, q.query, q.filters, q.mode, q.result_count,"
                " q.latency_ms, group_concat(c.doc_id, char(31)), q.departments, q.searcher FROM queries q"
                " LEFT JOIN clicks c ON c.query_id = q.query_id WHERE q.at >= ? AND q.at <= ?"
                " GROUP BY q.query_id ORDER BY q.at, q.query_id",
                (lo, hi),
            ).fetchall()
        for r in rows:
            yield LoggedQuery(
                query_id=r[0],
                at=datetime.fromisoformat(r[1]),
                department=r[2],
                query=r[3],
                filters=json.loads(r[4]),
                mode=r[5],
                result_count=r[6],
                latency_ms=r[7],
                clicked=tuple(sorted(r[8].split("\x1f"))) if r[8] else (),
                departments=_departments(r[9], r[2]),
                searcher=r[10],
            )

    def close(self) -> None:
        self._db.close()


def _departments(stored: str | None, first: str) -> tuple[str, ...]:
    """A row's departments; a row an older version wrote after the migration has only its first one."""
    if stored is None:
        return () if first == NO_DEPARTMENT else (first,)
    return tuple(stored.split(DEPARTMENT_SEPARATOR)) if stored else ()


def query_log_path(state_dir: Path) -> Path:
    return state_dir / "querylog.db"
