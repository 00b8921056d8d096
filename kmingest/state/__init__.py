"""Pipeline state: checkpoints, record hashes, run history, dead letters and the index they describe
(StateStore, kmingest/state/store.py) on the database the config names (`state.backend`): SQLite files on
one machine (kmingest/state/database.py) or PostgreSQL for workers on several hosts
(kmingest/state/postgres.py). `open_state` and `open_database` are where commands get them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from kmingest.run_history import RunInfo
from kmingest.state.database import Database, SqliteDatabase, StateDatabaseError
from kmingest.state.model import (
    UNATTRIBUTED,
    Attribution,
    RecordOutcome,
    RunStats,
    Status,
    group_problems,
    reason_kind,
)
from kmingest.state.store import StateStore

if TYPE_CHECKING:
    from kmingest.config import Config

__all__ = [
    "UNATTRIBUTED",
    "Attribution",
    "Database",
    "RecordOutcome",
    "RunInfo",
    "RunStats",
    "StateDatabaseError",
    "StateStore",
    "Status",
    "group_problems",
    "open_database",
    "open_state",
    "reason_kind",
]


def open_database(config: Config, sqlite_path: Path) -> Database:
    """The configured state database: the SQLite file `sqlite_path`, or a connection to PostgreSQL (its
    DSN from the environment variable `state.url_env` names; ConfigError naming the fix when it is unset)."""
    if config.state.backend == "postgres":
        from kmingest.state.postgres import PostgresDatabase

        return PostgresDatabase(config.state.postgres_url(config.source_file), config.state.schema_name)
    return SqliteDatabase(sqlite_path)


def open_state(config: Config) -> StateStore:
    """The state store of a config: `state_dir/state.db`, or the PostgreSQL database."""
    return StateStore(open_database(config, config.state_dir / "state.db"))
