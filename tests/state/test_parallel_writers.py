"""Several worker processes write the same source at once (the process tasks of one staged run on
several Celery workers): every record, dead letter, run and cached vector they committed is there after,
on SQLite (one machine) and on PostgreSQL (many)."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from pathlib import Path

import numpy as np

from kmingest.embedding import EmbeddingCache
from kmingest.state import Database, RecordOutcome, RunStats, StateStore
from kmingest.state.database import SqliteDatabase

WORKERS = 4
BATCHES = 8
OWN = 5  # records of one batch only this worker writes
SHARED = 3  # records of each batch every worker writes too: the same rows, concurrently, in its own order


def _open(backend: str, where: str) -> Database:
    if backend == "sqlite":
        return SqliteDatabase(Path(where))
    from kmingest.state.postgres import PostgresDatabase

    url, schema = where.split("#")
    return PostgresDatabase(url, schema)


def _worker(backend: str, where: str, worker: int, start: multiprocessing.synchronize.Event) -> None:
    store = StateStore(_open(backend, where))
    cache = EmbeddingCache(_open(backend, where))
    start.wait(30)  # every worker writes at the same moment
    run_id = store.start_run("docs", full_sync=False, owned=False)
    for b in range(BATCHES):
        shared = [f"shared-{b}-{i}" for i in range(SHARED)]
        ids = [f"w{worker}-{b}-{i}" for i in range(OWN)] + (shared if worker % 2 else shared[::-1])
        outcomes = [RecordOutcome(e, f"doc-{e}", f"hash-{worker}", "indexed", chunks=1) for e in ids]
        outcomes.append(
            RecordOutcome(f"bad-{worker}-{b}", "d", "h", "failed", reason=f"parse: worker {worker}")
        )
        store.commit_records("docs", run_id, outcomes)
        store.set_checkpoint("docs", f"2026-01-01T00:00:{worker:02d}+00:00")
        cache.put_many("m", [(f"t{b}", np.full(3, b, dtype=np.float32)), (f"t{worker}-{b}", np.zeros(3))])
    store.finish_run(run_id, "ok", RunStats(indexed=BATCHES * (OWN + SHARED)))
    store.close()
    cache.close()


def test_parallel_writers_lose_nothing(backend: str, open_db: Callable[[], Database], tmp_path: Path) -> None:
    db = open_db()
    StateStore(db)  # the tables exist before the workers start (they would also race to create them)
    if backend == "sqlite":
        where = str(tmp_path / "state.db")
    else:
        from tests.state.conftest import POSTGRES_URL

        where = f"{POSTGRES_URL}#{db.schema}"  # type: ignore[attr-defined]
    db.close()
    ctx = multiprocessing.get_context("fork")
    start = ctx.Event()
    procs = [ctx.Process(target=_worker, args=(backend, where, w, start)) for w in range(WORKERS)]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0] * WORKERS

    store = StateStore(open_db())
    known = store.known("docs")
    failed = WORKERS * BATCHES
    assert len(known) == WORKERS * BATCHES * OWN + BATCHES * SHARED + failed
    assert all(f"w{w}-{b}-{i}" in known for w in range(WORKERS) for b in range(BATCHES) for i in range(OWN))
    assert {known[f"shared-{b}-{i}"][0] for b in range(BATCHES) for i in range(SHARED)} <= {
        f"hash-{w}" for w in range(WORKERS)
    }
    assert len(store.dead_letters("docs")) == failed
    runs = store.runs("docs")
    assert len({r.run_id for r in runs}) == WORKERS and {r.status for r in runs} == {"ok"}
    assert store.checkpoint("docs") in {f"2026-01-01T00:00:{w:02d}+00:00" for w in range(WORKERS)}
    cached = EmbeddingCache(open_db()).get_many("m", [f"t{b}" for b in range(BATCHES)] + ["t0-0", "t3-7"])
    assert len(cached) == BATCHES + 2
