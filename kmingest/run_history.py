"""Run history in the state store (`runs` table of the state database): one row per source run, from
"running" to "ok", "failed" or "interrupted", with its stats and error. `kmingest status` shows the last one.

A run started by a process that runs it to the end (the CLI, `Workspace.ingest`) records that process's pid
and host. Such a process may be killed (SIGKILL, a reboot) before it can write an outcome: the next run on
the same host, and `kmingest status`, find its process gone and mark the run "interrupted". A staged run
(`kmingest/staged.py`) spans several processes, so it records no pid; its scheduler reports the outcome.
Part of StateStore (kmingest/state/store.py), which opens the database (SQLite or PostgreSQL) and migrates
older files; run ids come from the database, so runs started by workers on several hosts never collide.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kmingest.state.database import Database
    from kmingest.state.model import RunStats

HOST = socket.gethostname()
INTERRUPTED_REASON = "interrupted: its process ended before the run finished"


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class RunInfo:
    run_id: int
    source: str
    full_sync: bool
    started_at: str
    finished_at: str | None
    status: str
    stats: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    pid: int | None = None  # the process running it (None: a staged run, or one from an older version)
    host: str | None = None


_RUN_COLUMNS = (
    "SELECT run_id, source, full_sync, started_at, finished_at, status, stats, error, pid, host FROM runs"
)


def _run_info(r: tuple[Any, ...]) -> RunInfo:
    return RunInfo(r[0], r[1], bool(r[2]), r[3], r[4], r[5], json.loads(r[6]), r[7], r[8], r[9])


class RunHistory:
    """The run-history part of StateStore."""

    _db: Database

    def start_run(self, source: str, full_sync: bool, owned: bool = True) -> int:
        """A new run, "running". `owned`: this process runs it to the end, so its pid and host are kept and
        the run counts as interrupted once that process is gone (a staged run spans several processes: its
        scheduler reports the outcome instead)."""
        self.mark_interrupted()
        pid, host = (os.getpid(), HOST) if owned else (None, None)
        row = (source, int(full_sync), now(), pid, host)
        return self._db.write(
            lambda tx: tx.insert_id(
                "INSERT INTO runs (source, full_sync, started_at, status, stats, pid, host) "
                "VALUES (?, ?, ?, 'running', '{}', ?, ?)",
                row,
                "run_id",
            )
        )

    def mark_interrupted(self) -> list[int]:
        """Runs left "running" by a process of this host that is gone (killed, machine restarted) become
        "interrupted"; returns their ids. Runs of other hosts cannot be checked from here and stay."""
        rows = self._db.query(
            "SELECT run_id, pid FROM runs WHERE status = 'running' AND pid IS NOT NULL AND host = ?", (HOST,)
        )
        gone = sorted(int(run_id) for run_id, pid in rows if not _alive(int(pid)))
        if gone:
            marks = [(now(), INTERRUPTED_REASON, run_id) for run_id in gone]
            self._db.write(
                lambda tx: tx.executemany(
                    "UPDATE runs SET status = 'interrupted', finished_at = ?, error = ? "
                    "WHERE run_id = ? AND status = 'running'",
                    marks,
                )
            )
        return gone

    def finish_run(self, run_id: int, status: str, stats: RunStats, error: str | None = None) -> None:
        row = (now(), status, json.dumps(stats.as_dict()), error, run_id)
        self._db.write(
            lambda tx: tx.execute(
                "UPDATE runs SET finished_at = ?, status = ?, stats = ?, error = ? WHERE run_id = ?", row
            )
        )

    def runs(self, source: str | None = None, limit: int = 20) -> list[RunInfo]:
        sql = _RUN_COLUMNS + (" WHERE source = ?" if source else "") + " ORDER BY run_id DESC LIMIT ?"
        args: tuple[Any, ...] = (source, limit) if source else (limit,)
        return [_run_info(r) for r in self._db.query(sql, args)]

    def run(self, run_id: int) -> RunInfo | None:
        rows = self._db.query(_RUN_COLUMNS + " WHERE run_id = ?", (run_id,))
        return _run_info(rows[0]) if rows else None

    def restart_run(self, run_id: int) -> None:
        """A scheduler retried the first step of a run: it is running again."""
        self._db.write(
            lambda tx: tx.execute(
                "UPDATE runs SET status = 'running', finished_at = NULL, error = NULL WHERE run_id = ?",
                (run_id,),
            )
        )

    def sources(self) -> list[str]:
        return sorted(str(r[0]) for r in self._db.query("SELECT DISTINCT source FROM runs"))


def _alive(pid: int) -> bool:
    """Whether a process with this pid exists on this host (signal 0 only checks). A pid reused by another
    process after a reboot reads as alive: the run then stays "running" until that process ends."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        return True
    return True
