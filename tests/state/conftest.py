"""The state-store contract runs on both databases: `backend` is "sqlite" (a file in tmp_path) or
"postgres" (marked integration: the server of scripts/postgres.sh, one fresh schema per test, dropped after).
KMINGEST_TEST_POSTGRES_URL overrides the server (default: the database `kmingest_test` on 127.0.0.1:5433)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kmingest.state import Database, StateStore
from kmingest.state.database import SqliteDatabase

POSTGRES_URL = os.environ.get(
    "KMINGEST_TEST_POSTGRES_URL", "postgresql://kmingest:kmingest@127.0.0.1:5433/kmingest_test"
)
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.integration)]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def open_db(backend: str, tmp_path: Path) -> Iterator[Callable[[], Database]]:
    """Opens (again) the same database: a SQLite file, or one PostgreSQL schema of this test."""
    schema = f"test_{uuid.uuid4().hex[:12]}"
    opened: list[Database] = []

    def open_() -> Database:
        if backend == "sqlite":
            db: Database = SqliteDatabase(tmp_path / "state.db")
        else:
            from kmingest.state.postgres import PostgresDatabase

            db = PostgresDatabase(POSTGRES_URL, schema)
        opened.append(db)
        return db

    yield open_
    if backend == "postgres":
        from kmingest.state.postgres import PostgresDatabase

        cleaner = PostgresDatabase(POSTGRES_URL, schema)
        cleaner.drop_schema()
        cleaner.close()
    for db in opened:
        db.close()


@pytest.fixture
def store(open_db: Callable[[], Database]) -> StateStore:
    return StateStore(open_db())
