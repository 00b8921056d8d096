"""How kmingest opens its SQLite files (query log, portal sessions, sign-in throttle): shared by the threads
of one process and by several processes (portal workers), so WAL mode, a busy timeout instead of "database
is locked", and no fsync per commit where losing the last writes to a power cut is acceptable.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path


def open_shared(path: Path, schema: str, timeout: float = 30.0, durable: bool = False) -> sqlite3.Connection:
    """Open (creating the folder and the tables) a SQLite file that several threads and processes use.
    `durable=False` skips the fsync per commit: WAL stays consistent, a power cut may lose the last
    commits. Callers serialise their own statements with a lock (one connection per process)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, check_same_thread=False, timeout=timeout)
    db.execute("PRAGMA journal_mode=WAL")
    if not durable:
        db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA foreign_keys=ON")
    db.executescript(schema)
    return db
