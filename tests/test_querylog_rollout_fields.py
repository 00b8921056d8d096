"""The query log's rollout fields: every department of the asker and a pseudonymous searcher id, never the
name; a log written by an older version keeps all its rows and clicks when opened."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from kmingest.querylog import NO_DEPARTMENT, QueryLog, searcher_id

OLD_SCHEMA = """
CREATE TABLE queries (
    query_id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, department TEXT NOT NULL,
    query TEXT NOT NULL, filters TEXT NOT NULL, mode TEXT NOT NULL, result_count INTEGER NOT NULL,
    latency_ms REAL NOT NULL);
CREATE INDEX queries_at ON queries (at);
CREATE TABLE clicks (
    query_id INTEGER NOT NULL REFERENCES queries (query_id) ON DELETE CASCADE, doc_id TEXT NOT NULL,
    at TEXT NOT NULL, PRIMARY KEY (query_id, doc_id)) WITHOUT ROWID;
"""


def test_searcher_id_is_stable_per_key_and_does_not_contain_the_name() -> None:
    key = b"k" * 32
    assert searcher_id(key, "alice") == searcher_id(key, "alice")
    assert searcher_id(key, "alice") != searcher_id(key, "bob")
    assert searcher_id(key, "alice") != searcher_id(b"x" * 32, "alice")  # without the key: not guessable
    assert "alice" not in searcher_id(key, "alice") and len(searcher_id(key, "alice")) == 22


def test_all_departments_and_the_searcher_are_recorded(tmp_path: Path) -> None:
    log = QueryLog(tmp_path / "q.db")
    both = log.record(None, "valve", {}, 3, 5.0, departments=("Quality", "R&D"), searcher="p1")
    none = log.record(None, "leave", {}, 0, 5.0, departments=(), searcher="p2")
    legacy_call = log.record("HR", "salary", {}, 1, 5.0)
    entries = {e.query_id: e for e in log.entries()}
    first = entries[both]
    assert (first.department, first.departments, first.searcher) == ("Quality", ("Quality", "R&D"), "p1")
    assert (entries[none].department, entries[none].departments) == (NO_DEPARTMENT, ())
    assert (entries[legacy_call].departments, entries[legacy_call].searcher) == (("HR",), None)
    log.close()


def test_a_log_of_an_older_version_is_migrated_without_losing_rows(tmp_path: Path) -> None:
    path = tmp_path / "querylog.db"
    db = sqlite3.connect(path)
    db.executescript(OLD_SCHEMA)
    rows = [
        ("2026-05-02T10:00:00.000+00:00", "Sales", "price list"),
        ("2026-06-03T11:00:00.000+00:00", NO_DEPARTMENT, "canteen menu"),
        ("2026-07-04T12:00:00.000+00:00", "HR", "leave"),
    ]
    for at, dept, query in rows:
        db.execute(
            "INSERT INTO queries (at, department, query, filters, mode, result_count, latency_ms)"
            " VALUES (?, ?, ?, '{}', 'hybrid', 2, 9.5)",
            (at, dept, query),
        )
    db.execute("INSERT INTO clicks VALUES (1, 'doc-a', '2026-05-02T10:00:05.000+00:00')")
    db.commit()
    db.close()

    log = QueryLog(path)
    old = list(log.entries())
    assert [(e.query, e.department, e.departments, e.searcher) for e in old] == [
        ("price list", "Sales", ("Sales",), None),
        ("canteen menu", NO_DEPARTMENT, (), None),
        ("leave", "HR", ("HR",), None),
    ]
    assert old[0].clicked == ("doc-a",)
    when = datetime(2026, 8, 1, tzinfo=UTC)
    new = log.record(None, "audit", {}, 1, 3.0, at=when, departments=("Quality",), searcher="p9")
    older_worker = sqlite3.connect(path)  # a portal of the older version still writes its old columns
    older_worker.execute(
        "INSERT INTO queries (at, department, query, filters, mode, result_count, latency_ms)"
        " VALUES ('2026-08-02T00:00:00.000+00:00', 'Sales', 'price', '{}', 'hybrid', 1, 2.0)"
    )
    older_worker.commit()
    older_worker.close()
    assert [e.departments for e in log.entries() if e.query == "price"] == [("Sales",)]  # not migrated yet
    log.close()
    reopened = QueryLog(path)  # a second open (another worker) migrates nothing twice
    assert [e.query_id for e in reopened.entries()] == [1, 2, 3, new, new + 1]
    assert next(e for e in reopened.entries() if e.query_id == new).departments == ("Quality",)
    reopened.close()
