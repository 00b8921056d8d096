"""Staged runs (plan -> process batches -> finalize), the steps the Airflow DAGs run as separate tasks:
the same outcome as one `kmingest ingest`, and every step safe to retry."""

from __future__ import annotations

from pathlib import Path

import pytest

from kmingest import staged
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
        assert not list(Path(plan.run_dir).glob("*.pkl"))  # record bodies are gone once indexed
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


def test_an_unfinished_run_is_marked_failed_when_the_next_one_starts(folder: Path) -> None:  # noqa: F811
    with Workspace(make_config(folder)) as ws:
        abandoned = staged.plan_run(ws, "docs", "run-1")
        staged.plan_run(ws, "docs", "run-2")
        info = ws.state.run(abandoned.run_id)
        assert info is not None and info.status == "failed" and "abandoned" in (info.error or "")
        assert not Path(abandoned.run_dir).exists()


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
