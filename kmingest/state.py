"""Pipeline state: per-source checkpoints, what each record looked like when last processed, run history
and the dead-letter list. One SQLite file beside the index (`state_dir/state.db`), shared by all backends.

The runner writes here only after the index write it describes has succeeded, so a crash can repeat work
(idempotent upserts) but never skip it. A failed record keeps its reason and `failures` (failed runs in a row
on the same content), so the next run can retry it. Run history (a run's pid and host; a run whose process
is gone is marked "interrupted"): kmingest/run_history.py, mixed into StateStore.
`group_problems` groups skip/failure reasons by kind (numbers and quoted names removed) for `kmingest status`.
A dead letter keeps what its record knew of itself (`Attribution`: department, system, type, ACL), so a
coverage report files and restricts it without reading the sources again.
Columns added later are added to older state files when they are opened (`_migrate`).
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path, PurePath
from typing import Any, Literal

from kmingest.models import SourceRecord
from kmingest.run_history import RunHistory, now

Status = Literal["indexed", "skipped", "failed"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    source TEXT NOT NULL, external_id TEXT NOT NULL, doc_id TEXT NOT NULL, content_hash TEXT NOT NULL,
    status TEXT NOT NULL, reason TEXT, chunks INTEGER NOT NULL DEFAULT 0, run_id INTEGER NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (source, external_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS checkpoints (source TEXT PRIMARY KEY, value TEXT, committed_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    run_id INTEGER PRIMARY KEY AUTOINCREMENT, source TEXT NOT NULL, full_sync INTEGER NOT NULL,
    started_at TEXT NOT NULL, finished_at TEXT, status TEXT NOT NULL, stats TEXT NOT NULL, error TEXT,
    pid INTEGER, host TEXT);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS dead_letters (
    source TEXT NOT NULL, external_id TEXT NOT NULL, kind TEXT NOT NULL, reason TEXT NOT NULL,
    run_id INTEGER NOT NULL, at TEXT NOT NULL, department TEXT, system TEXT, doc_type TEXT, acl TEXT,
    PRIMARY KEY (source, external_id)) WITHOUT ROWID;
"""
# columns newer than the first schema: added to existing state files by StateStore._migrate
ADDED_COLUMNS = {
    "records": {"failures": "INTEGER NOT NULL DEFAULT 0"},
    "runs": {"pid": "INTEGER", "host": "TEXT"},
    "dead_letters": {"department": "TEXT", "system": "TEXT", "doc_type": "TEXT", "acl": "TEXT"},
}
_LETTERS = "source, external_id, kind, reason, run_id, at, department, system, doc_type, acl"
_LETTER_COLUMNS = tuple(name.strip() for name in _LETTERS.split(","))
_INSERT_LETTER = f"INSERT OR REPLACE INTO dead_letters ({_LETTERS}) VALUES ({', '.join('?' * 10)})"


def _storable(text: str) -> str:
    """Text SQLite can store: surrogates (undecodable bytes of a file name) written as \\udcxx escapes."""
    return text if text.isascii() else text.encode("utf-8", "backslashreplace").decode("utf-8")


# what varies between equal problems: quoted names, and numbers (not in names like utf-8 or GB18030)
_VARIES = re.compile(r"(?<!\w)'[^'\n]*'(?!\w)|(?<!\w)\"[^\"\n]*\"(?!\w)|(?<![\w.-])\d+(?:\.\d+)?")


def reason_kind(reason: str) -> str:
    """A reason with numbers and quoted names replaced, so equal problems of different files group."""
    return _VARIES.sub(lambda m: "N" if m.group()[0].isdigit() else "'...'", reason)


def group_problems(problems: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Skipped/failed records grouped by kind and reason kind, most frequent first."""
    counts = Counter((str(p["kind"]), reason_kind(str(p["reason"]))) for p in problems)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [{"kind": kind, "reason": reason, "count": n} for (kind, reason), n in ranked]


@dataclass
class RunStats:
    seen: int = 0
    new: int = 0
    updated: int = 0
    retried: int = 0  # failed last time, content unchanged: processed again
    unchanged: int = 0
    deleted: int = 0
    skipped: int = 0
    failed: int = 0
    indexed: int = 0
    chunks: int = 0
    embedded: int = 0
    embedding_cache_hits: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    def count(self, outcomes: Iterable[RecordOutcome]) -> None:
        """Add committed record outcomes (call after commit_records, so stats match the saved records)."""
        for o in outcomes:
            if o.status == "indexed":
                self.indexed += 1
                self.chunks += o.chunks
            elif o.status == "skipped":
                self.skipped += 1
            else:
                self.failed += 1


@dataclass(frozen=True)
class Attribution:
    """What a record that is not indexed knew of itself: where a coverage report files it and who may read it.
    None: not known (an item the connector could not read, a dead letter kept by an older version); reported
    as "(unknown)" and, with no ACL, restricted (fail closed)."""

    department: str | None = None
    system: str | None = None
    doc_type: str | None = None  # the connector's type, else the file name's extension
    acl: tuple[str, ...] | None = None

    @classmethod
    def of(cls, record: SourceRecord) -> Attribution:
        suffix = PurePath(record.filename).suffix.lower().lstrip(".")
        return cls(
            record.department, record.system, record.doc_type or suffix or None, tuple(sorted(record.acl))
        )

    def row(self) -> tuple[str | None, str | None, str | None, str | None]:
        """The state columns department, system, doc_type, acl (JSON)."""
        acl = None if self.acl is None else json.dumps(list(self.acl), ensure_ascii=False)
        return _maybe(self.department), _maybe(self.system), _maybe(self.doc_type), _maybe(acl)


def _maybe(text: str | None) -> str | None:
    return None if text is None else _storable(text)


UNATTRIBUTED = Attribution()


@dataclass(frozen=True)
class RecordOutcome:
    external_id: str
    doc_id: str
    content_hash: str
    status: Status
    reason: str | None = None
    chunks: int = 0
    failures: int = 0  # failed runs in a row on this content (0 unless status is "failed")
    attribution: Attribution = UNATTRIBUTED  # kept with its dead letter when not indexed


class StateStore(RunHistory):
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        # several processes may write at once (Airflow tasks, the CLI): wait for the lock, don't fail
        self._db = sqlite3.connect(path, check_same_thread=False, timeout=60)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)
        self._migrate()

    def _migrate(self) -> None:
        for table, columns in ADDED_COLUMNS.items():
            have = {r[1] for r in self._db.execute(f"PRAGMA table_info({table})")}
            with self._db:
                for name, kind in columns.items():
                    if name not in have:
                        self._db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")

    def bind_index(self, index_id: str) -> bool:
        """Remember which index the records describe. When the index was recreated (another id), forget
        the content hashes so the next run writes everything again; returns True in that case."""
        row = self._db.execute("SELECT value FROM meta WHERE key = 'index_id'").fetchone()
        has_records = self._db.execute("SELECT 1 FROM records LIMIT 1").fetchone() is not None
        with self._db:
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('index_id', ?)", (index_id,))
            if has_records and (row is None or row[0] != index_id):
                self._db.execute("DELETE FROM records")
                self._db.execute("DELETE FROM checkpoints")
                return True
        return False

    # ---- records -----------------------------------------------------------------------------------
    def known(self, source: str) -> dict[str, tuple[str, str, str]]:
        """external_id -> (content_hash, status, doc_id) as of the last committed run."""
        rows = self._db.execute(
            "SELECT external_id, content_hash, status, doc_id FROM records WHERE source = ?", (source,)
        )
        return {r[0]: (r[1], r[2], r[3]) for r in rows}

    def failures(self, source: str) -> dict[str, int]:
        """external_id -> failed runs in a row, for the records whose last outcome was "failed"."""
        rows = self._db.execute(
            "SELECT external_id, failures FROM records WHERE source = ? AND status = 'failed'", (source,)
        )
        return {r[0]: max(int(r[1]), 1) for r in rows}

    def commit_records(self, source: str, run_id: int, outcomes: Sequence[RecordOutcome]) -> None:
        at = now()
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO records (source, external_id, doc_id, content_hash, status, reason, "
                "chunks, run_id, failures) VALUES (?,?,?,?,?,?,?,?,?)",
                [(source, o.external_id, o.doc_id, o.content_hash, o.status,
                  o.reason and _storable(o.reason), o.chunks, run_id, o.failures) for o in outcomes],
            )  # fmt: skip
            self._db.executemany(
                "DELETE FROM dead_letters WHERE source = ? AND external_id = ?",
                [(source, o.external_id) for o in outcomes if o.status == "indexed"],
            )
            self._db.executemany(
                _INSERT_LETTER,
                [(source, o.external_id, o.status, _storable(o.reason or ""), run_id, at, *o.attribution.row())
                 for o in outcomes if o.status != "indexed"],
            )  # fmt: skip

    def add_dead_letter(
        self, source: str, external_id: str, reason: str, run_id: int, attribution: Attribution = UNATTRIBUTED
    ) -> None:
        """A record the connector could not even read (or a duplicate id, an unhashable record): no content
        hash, retried on every run. `attribution`: what is known of it (for an unreadable item, nothing)."""
        at = now()
        with self._db:
            self._db.execute(
                _INSERT_LETTER,
                (source, _storable(external_id), "failed", _storable(reason), run_id, at, *attribution.row()),
            )

    def unattributed(self, source: str) -> set[str]:
        """Ids of the source's dead letters whose ACL is not known (unreadable items, older state files)."""
        rows = self._db.execute(
            "SELECT external_id FROM dead_letters WHERE source = ? AND acl IS NULL", (source,)
        )
        return {r[0] for r in rows}

    def attribute(self, source: str, attributions: dict[str, Attribution]) -> None:
        """Fill in what an unchanged record knows of itself into its dead letter kept without it (a state
        file from before dead letters kept it), so a coverage report can file it."""
        with self._db:
            self._db.executemany(
                "UPDATE dead_letters SET department = ?, system = ?, doc_type = ?, acl = ? "
                "WHERE source = ? AND external_id = ? AND acl IS NULL",
                [(*a.row(), source, eid) for eid, a in attributions.items()],
            )

    def forget(self, source: str, external_ids: Iterable[str]) -> None:
        with self._db:
            ids = [(source, e) for e in external_ids]
            self._db.executemany("DELETE FROM records WHERE source = ? AND external_id = ?", ids)
            self._db.executemany("DELETE FROM dead_letters WHERE source = ? AND external_id = ?", ids)

    def prune_dead_letters(self, source: str, keep: set[str]) -> None:
        """After a full sync: drop dead letters of items the source no longer has."""
        rows = self._db.execute("SELECT external_id FROM dead_letters WHERE source = ?", (source,)).fetchall()
        gone = [(source, r[0]) for r in rows if r[0] not in keep]
        with self._db:
            self._db.executemany("DELETE FROM dead_letters WHERE source = ? AND external_id = ?", gone)

    def dead_letters(self, source: str | None = None) -> list[dict[str, Any]]:
        """Failed and skipped records, each with its kind, reason, run, time and attribution (department,
        system, doc_type, acl: None where not known)."""
        sql = f"SELECT {_LETTERS} FROM dead_letters"
        rows = self._db.execute(sql + (" WHERE source = ?" if source else "") + " ORDER BY source, external_id",
                                (source,) if source else ())  # fmt: skip
        letters = [dict(zip(_LETTER_COLUMNS, r, strict=True)) for r in rows]
        for d in letters:
            d["acl"] = None if d["acl"] is None else tuple(json.loads(d["acl"]))
        return letters

    def record_counts(self, source: str) -> dict[str, int]:
        rows = self._db.execute(
            "SELECT status, COUNT(*) FROM records WHERE source = ? GROUP BY status", (source,)
        )
        return {str(s): int(n) for s, n in rows}

    # ---- checkpoints -------------------------------------------------------------------------------
    def checkpoint(self, source: str) -> str | None:
        row = self._db.execute("SELECT value FROM checkpoints WHERE source = ?", (source,)).fetchone()
        return None if row is None else row[0]

    def checkpoint_time(self, source: str) -> datetime | None:
        """The checkpoint as a time (None when there is none or it is not an ISO time)."""
        value = self.checkpoint(source)
        try:
            return datetime.fromisoformat(value) if value else None
        except ValueError:
            return None

    def set_checkpoint(self, source: str, value: str | None) -> None:
        with self._db:
            self._db.execute("INSERT OR REPLACE INTO checkpoints VALUES (?, ?, ?)", (source, value, now()))

    def close(self) -> None:
        self._db.close()
