"""The state-store contract: what the pipeline, `kmingest status` and the coverage report rely on, the same
on SQLite and on PostgreSQL (each test runs on both; see conftest.py)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import numpy as np

from kmingest.embedding import EmbeddingCache
from kmingest.state import Attribution, Database, RecordOutcome, RunStats, StateStore

HR = Attribution("HR", "oa", "pdf", ("dept:HR",))


def outcome(eid: str, status: str = "indexed", content: str = "v1", **kw: object) -> RecordOutcome:
    return RecordOutcome(eid, f"doc-{eid}", f"hash-{content}", status, **kw)  # type: ignore[arg-type]


def test_records_are_upserted_counted_and_forgotten(store: StateStore) -> None:
    store.commit_records(
        "docs",
        1,
        [
            outcome("a"),
            outcome("b", "failed", reason="parse: bad", failures=2),
            outcome("c", "skipped", reason="no text"),
        ],
    )
    store.commit_records("docs", 2, [outcome("a", content="v2", chunks=3)])  # a changed: replaced
    assert store.known("docs") == {
        "a": ("hash-v2", "indexed", "doc-a"),
        "b": ("hash-v1", "failed", "doc-b"),
        "c": ("hash-v1", "skipped", "doc-c"),
    }
    assert store.failures("docs") == {"b": 2}
    assert store.record_counts("docs") == {"indexed": 1, "failed": 1, "skipped": 1}
    assert store.known("other") == {}
    store.forget("docs", ["b", "c"])
    assert set(store.known("docs")) == {"a"} and store.dead_letters("docs") == []


def test_many_records_in_one_commit_and_an_id_twice_keeps_its_last_outcome(store: StateStore) -> None:
    batch = [outcome(f"r{i:04d}") for i in range(1200)]  # more rows than one statement carries
    store.commit_records("docs", 1, [*batch, outcome("r0001", "failed", reason="parse: bad")])
    assert len(store.known("docs")) == 1200 and store.failures("docs") == {"r0001": 1}
    store.forget("docs", [o.external_id for o in batch[:1100]])
    assert len(store.known("docs")) == 100 and store.dead_letters("docs") == []


def test_dead_letters_keep_reason_and_attribution_until_the_record_is_indexed(store: StateStore) -> None:
    store.commit_records("docs", 1, [outcome("b", "failed", reason="parse: bad", attribution=HR)])
    store.add_dead_letter("docs", "x/unreadable", "permission denied", 1)
    store.add_dead_letter("crm", "row-1", "duplicate id", 1)
    letters = store.dead_letters("docs")
    assert [(d["external_id"], d["kind"], d["reason"]) for d in letters] == [
        ("b", "failed", "parse: bad"),
        ("x/unreadable", "failed", "permission denied"),
    ]
    assert (letters[0]["department"], letters[0]["acl"]) == ("HR", ("dept:HR",))
    assert letters[1]["acl"] is None and store.unattributed("docs") == {"x/unreadable"}
    store.attribute("docs", {"x/unreadable": HR})
    assert store.dead_letters("docs")[1]["department"] == "HR" and store.unattributed("docs") == set()
    assert [d["source"] for d in store.dead_letters()] == ["crm", "docs", "docs"]  # every source, in order
    store.commit_records("docs", 2, [outcome("b")])  # fixed: indexed now
    store.prune_dead_letters("docs", keep={"b"})  # a full sync no longer saw x/unreadable
    assert store.dead_letters("docs") == [] and len(store.dead_letters()) == 1


def test_text_a_database_cannot_hold_is_stored_escaped(store: StateStore) -> None:
    store.add_dead_letter("docs", "caf\udce9.txt", "bad \x00 byte", 1)  # a Latin-1 file name; a NUL
    [letter] = store.dead_letters("docs")
    assert letter["external_id"] == "caf\\udce9.txt" and "byte" in letter["reason"]


def test_checkpoints_are_replaced_and_read_as_times(store: StateStore) -> None:
    assert store.checkpoint("docs") is None and store.checkpoint_time("docs") is None
    store.set_checkpoint("docs", "2026-01-02T03:04:05+00:00")
    store.set_checkpoint("docs", "2026-02-01T00:00:00+00:00")
    store.set_checkpoint("crm", "page-7")  # a connector's own cursor
    when = store.checkpoint_time("docs")
    assert when is not None and when.month == 2
    assert store.checkpoint("crm") == "page-7" and store.checkpoint_time("crm") is None


def test_run_history_from_start_to_outcome(store: StateStore) -> None:
    first = store.start_run("docs", full_sync=True)
    second = store.start_run("crm", full_sync=False, owned=False)
    assert second > first
    store.finish_run(first, "ok", RunStats(seen=3, indexed=2))
    store.finish_run(second, "failed", RunStats(seen=1), "IndexError_: index down")
    [docs] = store.runs("docs")
    assert (docs.status, docs.full_sync, docs.stats["indexed"], docs.pid is not None) == ("ok", True, 2, True)
    crm = store.run(second)
    assert crm is not None and (crm.status, crm.error, crm.pid, crm.host) == (
        "failed",
        "IndexError_: index down",
        None,
        None,
    )
    store.restart_run(second)  # a scheduler retried its first step
    again = store.run(second)
    assert again is not None and again.status == "running" and again.error is None
    assert [r.run_id for r in store.runs()] == [second, first] and len(store.runs(limit=1)) == 1
    assert store.sources() == ["crm", "docs"] and store.run(second + 100) is None


def test_a_run_whose_process_is_gone_is_marked_interrupted(store: StateStore) -> None:
    run_id = store.start_run("docs", full_sync=False)
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    store._db.write(
        lambda tx: tx.execute("UPDATE runs SET pid = ? WHERE run_id = ?", (int(gone.stdout), run_id))
    )
    assert store.mark_interrupted() == [run_id]
    info = store.run(run_id)
    assert info is not None and info.status == "interrupted" and "process ended" in (info.error or "")


def test_binding_another_index_forgets_hashes_and_checkpoints(store: StateStore) -> None:
    assert store.bind_index("index-1") is False  # nothing recorded yet
    store.commit_records("docs", 1, [outcome("a")])
    store.set_checkpoint("docs", "2026-01-01T00:00:00+00:00")
    assert store.bind_index("index-1") is False  # same index: kept
    assert store.bind_index("index-2") is True  # recreated: every record is written again
    assert store.known("docs") == {} and store.checkpoint("docs") is None
    assert store.bind_index("index-2") is False


def test_state_survives_closing_and_opening_again(open_db: Callable[[], Database]) -> None:
    store = StateStore(open_db())
    run_id = store.start_run("docs", full_sync=False)
    store.commit_records("docs", run_id, [outcome("a")])
    store.set_checkpoint("docs", "c1")
    store.close()
    again = StateStore(open_db())
    assert again.known("docs") == {"a": ("hash-v1", "indexed", "doc-a")} and again.checkpoint("docs") == "c1"
    assert [r.run_id for r in again.runs("docs")] == [run_id] and again.start_run("docs", False) > run_id


def test_the_embedding_cache_returns_what_was_put(open_db: Callable[[], Database]) -> None:
    cache = EmbeddingCache(open_db())
    vectors = {f"h{i}": np.full(4, i, dtype=np.float32) for i in range(600)}  # more than one IN list
    cache.put_many("bge-small-en-v1.5", list(vectors.items()))
    cache.put_many("bge-small-en-v1.5", [("h1", np.full(4, 9, dtype=np.float32))])  # written again
    found = cache.get_many("bge-small-en-v1.5", [*vectors, "unknown"])
    assert len(found) == 600 and found["h599"].tolist() == [599.0] * 4 and found["h1"].tolist() == [9.0] * 4
    assert cache.get_many("bge-small-zh-v1.5", ["h1"]) == {}  # another model's space
