"""Staged source runs: one run split into steps that a scheduler (the Airflow DAGs in `dags/`) runs as
separate, retryable tasks, possibly in different processes or on different hosts.

    plan_run(run_key)       extract + classify (SourceRun.batches); stage the new/changed records in batch
                            files under staging.url (kmingest/staging.py); return their locations
    process_batch(location) parse, chunk, embed, index, commit record state (SourceRun.process)
    finalize_run(run_key)   full-sync deletions, checkpoint, run stats (SourceRun.finish)
    fail_run(run_key)       the scheduler gave up on a step (its failure callback): the run is marked failed

This module only keeps what travels between the steps; the runner (kmingest/pipeline.py) does the work and
keeps its run id and counts (`start`, `resume`, `end`). Only locations travel between steps (XCom), never
document bodies. Every step is idempotent: a retried plan reuses its run id and rewrites its batches; a
retried batch upserts the same documents under the same ids; a retried finalize returns the stats it
already committed. With workers on several hosts, staging.url and the state store (state.backend) must be
shared by all of them. A run that did not finish keeps its staging for staging.retention_days (to look into,
or to retry its tasks); `remove_expired` then removes it, at the start of any later staged run.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from kmingest.batch_write import Scan
from kmingest.config import Config
from kmingest.pipeline import SourceRun
from kmingest.staging import Staging, StagingError, planned_at
from kmingest.state import RunStats, StateStore, open_state
from kmingest.workspace import Workspace

log = logging.getLogger("kmingest.staged")

MANIFEST = "manifest.json"
RESULT = "result.json"
ABANDONED = "abandoned: a later scheduled run started before it finished"

__all__ = [
    "PlannedRun",
    "StagingError",
    "fail_run",
    "finalize_run",
    "plan_run",
    "process_batch",
    "remove_expired",
    "run_dir",
]


@dataclass(frozen=True)
class PlannedRun:
    run_id: int
    run_dir: str
    batches: list[str]  # locations of the batch files, in order
    stats: dict[str, int]  # what the extraction counted (seen, new, updated, unchanged, failed)


def staging(config: Config) -> Staging:
    base = config.source_file.parent if config.source_file else Path.cwd()
    return Staging(config.staging.location(config.state_dir, base))


def run_dir(config: Config, source: str, run_key: str) -> str:
    """Where a run's files are staged (a location: a folder, or a URL)."""
    store = staging(config)
    return store.location(store.join(source, hashlib.sha256(run_key.encode("utf-8")).hexdigest()[:16]))


def plan_run(
    ws: Workspace, source: str, run_key: str, full: bool = False, force: bool = False, batch_records: int = 64
) -> PlannedRun:
    """Extract what changed since the checkpoint (everything when `full`) and stage it in batches.
    `run_key` names the scheduler's run (Airflow's run_id): planning the same key again reuses its run."""
    run = ws.source_run(source, full=full, force=force)  # a broken source config fails here, with its fix
    ws.check_model()
    store = staging(ws.config)
    folder = store.path(run_dir(ws.config, source, run_key))
    remove_expired(ws, source, keep=folder)
    previous = store.read_json(store.join(folder, MANIFEST))
    if previous is not None:
        run.resume(int(previous["run_id"]), restart=True)
    else:
        run.start(owned=False)  # spans processes: no pid to watch
    store.remove(folder)
    head = {"source": source, "run_key": run_key, "run_id": run.run_id, "planned_at": _now().isoformat()}
    store.write_json(store.join(folder, MANIFEST), head)
    scan = Scan()
    names: list[str] = []
    try:
        for batch in run.batches(scan, batch_records):
            names.append(f"batch-{len(names):05d}.jsonl")
            store.write_batch(store.join(folder, names[-1]), {"source": source, "run_id": run.run_id}, batch)
    except BaseException as err:
        run.end("failed", f"{type(err).__name__}: {err}")
        raise
    manifest = head | {
        "full": full,
        "force": force,
        "newest": scan.newest.isoformat() if scan.newest else None,
        "seen": sorted(scan.seen),
        "covered": sorted(scan.covered),
        "batches": names,
        "stats": run.stats.as_dict(),
    }
    store.write_json(store.join(folder, MANIFEST), manifest)
    log.info("%s: planned run %d: %d batch(es), %s", source, run.run_id, len(names), run.stats.as_dict())
    batches = [store.location(store.join(folder, name)) for name in names]
    return PlannedRun(run.run_id, store.location(folder), batches, run.stats.as_dict())


def process_batch(ws: Workspace, batch_path: str) -> dict[str, int]:
    """Parse, chunk, embed and index one staged batch; returns (and keeps beside it) the batch's stats."""
    store = staging(ws.config)
    path = store.path(batch_path)
    manifest = _manifest(store, path.rsplit("/", 1)[0])
    run = _resume(ws, manifest)
    try:
        batch = store.read_batch(batch_path)
        ws.check_model()
        run.process(batch)
    except BaseException as err:
        name = path.rsplit("/", 1)[-1]
        run.end("failed", f"{type(err).__name__}: {err} (in {name})")
        raise
    stats = run.stats.as_dict()
    store.write_json(_stats_path(path), stats)
    return stats


def finalize_run(ws: Workspace, source: str, run_key: str) -> dict[str, int]:
    """After every batch: deletions (SourceRun.finish) and the checkpoint, then the run's total stats."""
    store = staging(ws.config)
    folder = store.path(run_dir(ws.config, source, run_key))
    done = store.read_json(store.join(folder, RESULT))
    if done is not None:
        return {k: int(v) for k, v in done.items()}
    manifest = _manifest(store, folder)
    total = RunStats(**manifest["stats"])
    for name in manifest["batches"]:
        part = store.read_json(_stats_path(store.join(folder, name)))
        if part is None:
            where = store.location(store.join(folder, name))
            raise RuntimeError(f"{where}: batch was never processed; run its task before finalize")
        total.add(part)
    run = _resume(ws, manifest, total)
    newest = datetime.fromisoformat(manifest["newest"]) if manifest["newest"] else None
    run.finish(Scan(seen=set(manifest["seen"]), newest=newest, covered=set(manifest.get("covered", []))))
    run.end("ok")
    store.write_json(store.join(folder, RESULT), run.stats.as_dict())
    for name in manifest["batches"]:
        store.remove(store.join(folder, name))  # record bodies are not kept once they are indexed
    log.info("%s: run %d finished: %s", manifest["source"], run.run_id, run.stats.as_dict())
    return run.stats.as_dict()


def fail_run(config: Config, source: str, run_key: str, error: str) -> int | None:
    """A step failed for good (after its retries) or was killed: a run still "running" is marked failed with
    the error and the counts its extraction staged (a run a step already marked keeps its own error). Opens
    only the state store (the index may be what failed). Returns the run id; None when none was staged.
    Its staging stays for staging.retention_days."""
    store = staging(config)
    manifest = store.read_json(store.join(store.path(run_dir(config, source, run_key)), MANIFEST))
    if manifest is None:
        return None
    state = open_state(config)
    try:
        info = state.run(int(manifest["run_id"]))
        if info is not None and info.status == "running":
            stats = RunStats(**(info.stats or manifest.get("stats") or {}))
            state.finish_run(info.run_id, "failed", stats, error)
    finally:
        state.close()
    return None if info is None else info.run_id


def remove_expired(
    ws: Workspace, source: str, keep: str | None = None, now: datetime | None = None
) -> list[str]:
    """Staging left by earlier runs, of every source: a finished run's is removed; an unfinished run of
    `source` is marked failed (a later run of it started, so its scheduler run is over), and its files are
    removed once planned more than staging.retention_days ago. Returns the removed run folders."""
    store = staging(ws.config)
    cutoff = (now or _now()) - timedelta(days=ws.config.staging.retention_days)
    removed: list[str] = []
    for folder in [run for src in store.folders(store.root) for run in store.folders(src)]:
        manifest = store.read_json(store.join(folder, MANIFEST))
        if folder == keep or manifest is None:
            continue  # the run being planned; or a folder another plan is filling right now
        finished = store.exists(store.join(folder, RESULT))
        if not finished and manifest.get("source") == source:
            _abandon(ws.state, int(manifest["run_id"]))
        if finished or planned_at(manifest) < cutoff:
            store.remove(folder)
            removed.append(store.location(folder))
    return removed


def _abandon(state: StateStore, run_id: int) -> None:
    info = state.run(run_id)
    if info is not None and info.status == "running":
        state.finish_run(
            info.run_id, "failed", RunStats(**info.stats) if info.stats else RunStats(), ABANDONED
        )


def _resume(ws: Workspace, manifest: dict[str, Any], counted: RunStats | None = None) -> SourceRun:
    run = ws.source_run(manifest["source"], full=bool(manifest["full"]), force=bool(manifest["force"]))
    run.resume(int(manifest["run_id"]), counted)
    return run


def _manifest(store: Staging, folder: str) -> dict[str, Any]:
    manifest = store.read_json(store.join(folder, MANIFEST))
    if manifest is None:
        where = store.location(store.join(folder, MANIFEST))
        raise StagingError(
            f"{where}: no staged run here (fix: set staging.url to a location every worker "
            "reaches; or clear the DAG run's extract task, so it stages the run again)"
        )
    return manifest


def _stats_path(batch: str) -> str:
    return batch.removesuffix(".jsonl") + ".stats.json"


def _now() -> datetime:
    return datetime.now(UTC)
