"""Staged runs (plan -> process batches -> finalize), the steps the Airflow DAGs run as separate tasks:
the same outcome as one `kmingest ingest`, and every step safe to retry."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import fsspec  # type: ignore[import-untyped]
import pytest

from kmingest import staged
from kmingest.config import StagingConfig
from kmingest.index.base import Caller
from kmingest.workspace import Workspace
from tests.test_pipeline import folder, make_config, titles  # noqa: F401  (the same small folder)
from tests.test_pipeline_isolation import POISON, poison


def run_all(ws: Workspace, key: str, full: bool = False, batch_records: int = 2) -> dict[str, int]:
    plan = staged.plan_run(ws, "docs", key, full=full, batch_records=batch_records)
    for batch in plan.batches:
        staged.process_batch(ws, batch)
    return staged.finalize_run(ws, "docs", key)


def test_staged_run_gives_the_same_index_and_stats_as_one_ingest(folder: Path) -> None:  # noqa: F811
    with Workspace(make_config(folder)) as ws:
        plan = staged.plan_run(ws, "docs", "run-1", batch_records=2)
        assert len(plan.batches) == 3  # 6 new records in batches of 2
        assert all(Path(b).parent == Path(plan.run_dir) for b in plan.batches)
        for batch in plan.batches:
            staged.process_batch(ws, batch)
        stats = staged.finalize_run(ws, "docs", "run-1")
        assert (stats["seen"], stats["new"], stats["indexed"], stats["skipped"], stats["failed"]) == (
            6,
            6,
            4,
            1,
            1,
        )
        assert stats["embedded"] == stats["chunks"] > 0
        assert titles(ws, "torque") == ["Calibration"]
        assert ws.index.counts(Caller.system(), ["department"]) == {("Quality",): 1, ("HR",): 3}
        [info] = ws.state.runs("docs")
        assert (info.status, info.stats) == ("ok", stats)
        assert not list(Path(plan.run_dir).glob("*.jsonl"))  # record bodies are gone once indexed
        assert {d["external_id"] for d in ws.state.dead_letters("docs")} == {"HR/scan.jpg", "HR/broken.pdf"}


def test_every_step_can_be_retried_without_duplicates_or_losses(folder: Path) -> None:  # noqa: F811
    with Workspace(make_config(folder)) as ws:
        first = staged.plan_run(ws, "docs", "run-1", batch_records=4)
        retried = staged.plan_run(ws, "docs", "run-1", batch_records=4)  # the extract task ran twice
        assert retried.run_id == first.run_id and retried.batches == first.batches
        for batch in retried.batches:
            staged.process_batch(ws, batch)
            staged.process_batch(ws, batch)  # a mapped task retried after its index write
        stats = staged.finalize_run(ws, "docs", "run-1")
        assert staged.finalize_run(ws, "docs", "run-1") == stats  # finalize retried
        assert ws.index.stats()["documents"] == 4
        assert len(ws.state.runs("docs")) == 1
        assert stats["indexed"] == 4 and stats["new"] == 6


def test_a_second_run_with_nothing_changed_stages_only_the_failed_record(folder: Path) -> None:  # noqa: F811
    with Workspace(make_config(folder)) as ws:
        run_all(ws, "run-1")
        plan = staged.plan_run(ws, "docs", "run-2")
        assert len(plan.batches) == 1  # only broken.pdf, which failed last time: retried
        staged.process_batch(ws, plan.batches[0])
        stats = staged.finalize_run(ws, "docs", "run-2")
        assert (stats["unchanged"], stats["retried"], stats["indexed"], stats["embedded"]) == (5, 1, 0, 0)
        # the staging of run-1 was removed when run-2 started
        assert [p.name for p in Path(plan.run_dir).parent.iterdir()] == [Path(plan.run_dir).name]


def test_a_folder_source_deletes_removed_files_on_its_next_staged_run(folder: Path) -> None:  # noqa: F811
    with Workspace(make_config(folder)) as ws:
        run_all(ws, "run-1")
        (folder / "docs" / "Quality" / "calibration.md").unlink()
        assert run_all(ws, "run-2")["deleted"] == 1  # a folder is listed whole on every run
        assert titles(ws, "torque") == []
        assert ws.index.stats()["documents"] == 3
        assert run_all(ws, "run-3", full=True)["deleted"] == 0


def test_finalize_refuses_while_a_batch_was_never_processed(folder: Path) -> None:  # noqa: F811
    with Workspace(make_config(folder)) as ws:
        staged.plan_run(ws, "docs", "run-1", batch_records=3)
        with pytest.raises(RuntimeError, match="never processed"):
            staged.finalize_run(ws, "docs", "run-1")
        assert ws.state.checkpoint("docs") is None


def test_an_unfinished_run_is_marked_failed_and_its_staging_removed_after_retention(folder: Path) -> None:  # noqa: F811
    with Workspace(make_config(folder)) as ws:
        abandoned = staged.plan_run(ws, "docs", "run-1")
        current = staged.plan_run(ws, "docs", "run-2")
        info = ws.state.run(abandoned.run_id)
        assert info is not None and info.status == "failed" and "abandoned" in (info.error or "")
        assert Path(abandoned.batches[0]).is_file()  # kept to look into (or retry) for retention_days
        assert (
            staged.remove_expired(ws, "docs", keep=current.run_dir, now=datetime.now(UTC) + timedelta(days=6))
            == []
        )
        later = datetime.now(UTC) + timedelta(days=7, hours=1)  # staging.retention_days: 7 by default
        assert staged.remove_expired(ws, "docs", keep=current.run_dir, now=later) == [abandoned.run_dir]
        assert not Path(abandoned.run_dir).exists() and Path(current.batches[0]).is_file()


def test_a_broken_source_fails_the_plan_with_the_config_error(folder: Path) -> None:  # noqa: F811
    import shutil

    shutil.rmtree(folder / "docs")
    with Workspace(make_config(folder)) as ws, pytest.raises(Exception, match="docs") as err:
        staged.plan_run(ws, "docs", "run-1")
    assert "fix" in str(err.value)


@pytest.mark.parametrize("stage", ["chunk", "index"])
def test_a_poisoned_record_fails_alone_inside_its_staged_batch(
    folder: Path,  # noqa: F811
    stage: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (folder / "docs" / "HR" / "pump.txt").write_text(f"{POISON} pump seal notes.", encoding="utf-8")
    with Workspace(make_config(folder)) as ws:
        error_type = poison(stage, ws, monkeypatch)
        stats = run_all(ws, "run-1", batch_records=7)  # one batch holds every record
        assert (stats["seen"], stats["indexed"], stats["skipped"], stats["failed"]) == (7, 4, 1, 2)
        reasons = {d["external_id"]: d["reason"] for d in ws.state.dead_letters("docs")}
        assert reasons["HR/pump.txt"].startswith(f"{stage}: unexpected error: {error_type}")
        assert ws.state.runs("docs")[0].status == "ok" and ws.state.checkpoint("docs") is not None
        assert titles(ws, "torque") == ["Calibration"]


def test_batches_travel_through_fsspec_memory_storage(folder: Path) -> None:  # noqa: F811
    url = f"memory://kmingest-{uuid.uuid4().hex[:8]}/staging"
    config = make_config(folder).model_copy(update={"staging": StagingConfig(url=url)})
    with Workspace(config) as ws:
        plan = staged.plan_run(ws, "docs", "run-1", batch_records=4)
        assert plan.run_dir.startswith("memory://") and all(b.startswith(plan.run_dir) for b in plan.batches)
        with fsspec.open(plan.batches[0], "r", encoding="utf-8") as fh:
            header = json.loads(fh.readline())
        assert (header["format"], header["version"], header["records"]) == ("kmingest-staged-batch", 1, 4)
    with Workspace(config) as other_worker:  # nothing shared but the config: the store and the state
        for batch in plan.batches:
            staged.process_batch(other_worker, batch)
        stats = staged.finalize_run(other_worker, "docs", "run-1")
        assert (stats["seen"], stats["indexed"], stats["skipped"], stats["failed"]) == (6, 4, 1, 1)
        assert titles(other_worker, "torque") == ["Calibration"]
    assert not (folder / "state" / "staging").exists()
    assert not fsspec.filesystem("memory").exists(plan.batches[0])  # bodies removed once indexed


def test_batches_travel_through_a_shared_folder(folder: Path) -> None:  # noqa: F811
    shared = folder / "mnt" / "shared"
    config = make_config(folder).model_copy(update={"staging": StagingConfig(url=f"file://{shared}")})
    with Workspace(config) as ws:
        plan = staged.plan_run(ws, "docs", "run-1", batch_records=3)
    assert [Path(b).parent for b in plan.batches] == [shared / "docs" / Path(plan.run_dir).name] * 2
    with Workspace(config) as other_worker:
        for batch in plan.batches:
            staged.process_batch(other_worker, batch)
        assert staged.finalize_run(other_worker, "docs", "run-1")["indexed"] == 4


def test_a_batch_another_worker_cannot_reach_fails_naming_the_setting(folder: Path) -> None:  # noqa: F811
    with Workspace(make_config(folder)) as ws:
        plan = staged.plan_run(ws, "docs", "run-1", batch_records=3)
        Path(plan.batches[0]).unlink()  # as on a worker whose <state_dir>/staging is another disk
        with pytest.raises(staged.StagingError, match=r"staged batch not found .*fix: set staging\.url"):
            staged.process_batch(ws, plan.batches[0])
        assert ws.state.runs("docs")[0].status == "failed"


@pytest.mark.integration
def test_a_run_shared_by_workers_keeps_state_and_vectors_in_postgres(
    folder: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from kmingest.config import StateConfig
    from kmingest.state.postgres import PostgresDatabase
    from tests.state.conftest import POSTGRES_URL

    schema = f"test_{uuid.uuid4().hex[:12]}"
    monkeypatch.setenv("KMINGEST_STATE_URL", POSTGRES_URL)
    shared = {
        "state": StateConfig(backend="postgres", schema_name=schema),
        "staging": StagingConfig(url=f"memory://kmingest-{uuid.uuid4().hex[:8]}"),
    }
    try:
        with Workspace(make_config(folder).model_copy(update=shared)) as ws:
            plan = staged.plan_run(ws, "docs", "run-1", batch_records=4)
        with Workspace(make_config(folder).model_copy(update=shared)) as other_worker:
            for batch in plan.batches:
                staged.process_batch(other_worker, batch)
            stats = staged.finalize_run(other_worker, "docs", "run-1")
            assert stats["indexed"] == 4 and stats["embedded"] > 0
            assert other_worker.state.runs("docs")[0].status == "ok"
        assert not (folder / "state" / "state.db").exists() and not (folder / "state" / "emb.db").exists()
        database = PostgresDatabase(POSTGRES_URL, schema)
        assert database.query("SELECT COUNT(*) FROM vectors") == [(stats["embedded"],)]
        database.close()
    finally:
        cleaner = PostgresDatabase(POSTGRES_URL, schema)
        cleaner.drop_schema()
        cleaner.close()
