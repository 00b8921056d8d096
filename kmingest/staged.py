"""Staged source runs: one run split into steps that a scheduler (the Airflow DAGs in `dags/`) runs as
separate, retryable tasks, possibly in different processes or on different workers sharing the state folder.

    plan_run(run_key)       extract + classify (SourceRun.scan); stage the new/changed records in batch files
                            under <state_dir>/staging/<source>/<run key hash>/; return the batch paths
    process_batch(path)     parse, chunk, embed, index, commit record state (SourceRun.process)
    finalize_run(run_key)   full-sync deletions, checkpoint, run stats (SourceRun.finish)
    fail_run(run_key)       the scheduler gave up on a step (its failure callback): the run is marked failed

Only paths travel between steps, never document bodies. Every step is idempotent: a retried plan reuses its
run id and rewrites its batches; a retried batch upserts the same documents under the same ids; a retried
finalize returns the stats it already committed. Batch files are pickles written and read only by kmingest,
so the staging folder must be as trusted as the state folder it lives in.
"""

from __future__ import annotations

import hashlib
import json
import logging
import pickle
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from kmingest.config import Config
from kmingest.pipeline import Pending, Scan, SourceRun
from kmingest.state import RunStats, StateStore
from kmingest.workspace import Workspace

log = logging.getLogger("kmingest.staged")

MANIFEST = "manifest.json"
RESULT = "result.json"


@dataclass(frozen=True)
class PlannedRun:
    run_id: int
    run_dir: str
    batches: list[str]  # paths of the batch files, in order
    stats: dict[str, int]  # what the extraction counted (seen, new, updated, unchanged, failed)


def run_dir(config: Config, source: str, run_key: str) -> Path:
    return config.state_dir / "staging" / source / hashlib.sha256(run_key.encode("utf-8")).hexdigest()[:16]


def plan_run(
    ws: Workspace, source: str, run_key: str, full: bool = False, force: bool = False, batch_records: int = 64
) -> PlannedRun:
    """Extract what changed since the checkpoint (everything when `full`) and stage it in batches.
    `run_key` names the scheduler's run (Airflow's run_id): planning the same key again reuses its run."""
    run = ws.source_run(source, full=full, force=force)  # a broken source config fails here, with its fix
    ws.check_model()
    folder = run_dir(ws.config, source, run_key)
    _abandon_others(ws, folder.parent, keep=folder)
    previous = _read_json(folder / MANIFEST)
    if previous is not None:
        run.run_id = int(previous["run_id"])
        ws.state.restart_run(run.run_id)
    else:
        run.run_id = ws.state.start_run(source, full, owned=False)  # spans processes: no pid to watch
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    _write_json(folder / MANIFEST, {"source": source, "run_key": run_key, "run_id": run.run_id})
    scan = Scan()
    batches: list[str] = []
    try:
        batch: list[Pending] = []
        for pending in run.scan(scan):
            batch.append(pending)
            if len(batch) >= batch_records:
                batches.append(_write_batch(folder, len(batches), batch))
                batch = []
        if batch:
            batches.append(_write_batch(folder, len(batches), batch))
    except BaseException as err:
        ws.state.finish_run(run.run_id, "failed", run.stats, f"{type(err).__name__}: {err}")
        raise
    manifest = {
        "source": source, "run_key": run_key, "run_id": run.run_id, "full": full, "force": force,
        "newest": scan.newest.isoformat() if scan.newest else None, "seen": sorted(scan.seen),
        "covered": sorted(scan.covered),
        "batches": [Path(b).name for b in batches], "stats": run.stats.as_dict(),
    }  # fmt: skip
    _write_json(folder / MANIFEST, manifest)
    log.info("%s: planned run %d: %d batch(es), %s", source, run.run_id, len(batches), run.stats.as_dict())
    return PlannedRun(run.run_id, str(folder), batches, run.stats.as_dict())


def process_batch(ws: Workspace, batch_path: str) -> dict[str, int]:
    """Parse, chunk, embed and index one staged batch; returns (and keeps beside it) the batch's stats."""
    path = Path(batch_path)
    manifest = _manifest(path.parent)
    run = _resume(ws, manifest)
    try:
        with path.open("rb") as fh:
            batch: list[Pending] = pickle.load(fh)
        ws.check_model()
        run.process(batch)
    except BaseException as err:
        ws.state.finish_run(run.run_id, "failed", run.stats, f"{type(err).__name__}: {err} (in {path.name})")
        raise
    stats = run.stats.as_dict()
    _write_json(path.with_suffix(".stats.json"), stats)
    return stats


def finalize_run(ws: Workspace, source: str, run_key: str) -> dict[str, int]:
    """After every batch: deletions (SourceRun.finish) and the checkpoint, then the run's total stats."""
    folder = run_dir(ws.config, source, run_key)
    done = _read_json(folder / RESULT)
    if done is not None:
        return {k: int(v) for k, v in done.items()}
    manifest = _manifest(folder)
    run = _resume(ws, manifest)
    total = RunStats(**manifest["stats"])
    for name in manifest["batches"]:
        part = _read_json((folder / name).with_suffix(".stats.json"))
        if part is None:
            raise RuntimeError(f"{folder / name}: batch was never processed; run its task before finalize")
        for key, value in part.items():
            setattr(total, key, getattr(total, key) + int(value))
    run.stats = total
    newest = datetime.fromisoformat(manifest["newest"]) if manifest["newest"] else None
    run.finish(Scan(seen=set(manifest["seen"]), newest=newest, covered=set(manifest.get("covered", []))))
    ws.state.finish_run(run.run_id, "ok", total)
    _write_json(folder / RESULT, total.as_dict())
    for name in manifest["batches"]:
        (folder / name).unlink(missing_ok=True)  # record bodies are not kept once they are indexed
    log.info("%s: run %d finished: %s", manifest["source"], run.run_id, total.as_dict())
    return total.as_dict()


def fail_run(config: Config, source: str, run_key: str, error: str) -> int | None:
    """A step failed for good (after its retries) or was killed: a run still "running" is marked failed with
    the error and the counts its extraction staged (a run a step already marked keeps its own error). Opens
    only the state store (the index may be what failed). Returns the run id; None when none was staged."""
    manifest = _read_json(run_dir(config, source, run_key) / MANIFEST)
    if manifest is None:
        return None
    state = StateStore(config.state_dir / "state.db")
    try:
        info = state.run(int(manifest["run_id"]))
        if info is not None and info.status == "running":
            stats = RunStats(**(info.stats or manifest.get("stats") or {}))
            state.finish_run(info.run_id, "failed", stats, error)
    finally:
        state.close()
    return None if info is None else info.run_id


def _resume(ws: Workspace, manifest: dict[str, Any]) -> SourceRun:
    run = ws.source_run(manifest["source"], full=bool(manifest["full"]), force=bool(manifest["force"]))
    run.run_id = int(manifest["run_id"])
    return run


def _abandon_others(ws: Workspace, folder: Path, keep: Path) -> None:
    """Staging left by earlier runs of this source: a finished one is removed; an unfinished one (its
    scheduler run failed for good) is marked failed first, so run history never shows it running forever."""
    if not folder.is_dir():
        return
    for other in folder.iterdir():
        if other == keep or not other.is_dir():
            continue
        manifest = _read_json(other / MANIFEST)
        if manifest is not None and not (other / RESULT).exists():
            info = ws.state.run(int(manifest["run_id"]))
            if info is not None and info.status == "running":
                ws.state.finish_run(info.run_id, "failed", RunStats(**info.stats) if info.stats else RunStats(),
                                    "abandoned: a later scheduled run started before it finished")  # fmt: skip
        shutil.rmtree(other, ignore_errors=True)


def _write_batch(folder: Path, number: int, batch: list[Pending]) -> str:
    path = folder / f"batch-{number:05d}.pkl"
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as fh:
        pickle.dump(batch, fh, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(path)
    return str(path)


def _manifest(folder: Path) -> dict[str, Any]:
    manifest = _read_json(folder / MANIFEST)
    if manifest is None:
        raise FileNotFoundError(f"{folder / MANIFEST}: no staged run here (was the plan step cleared?)")
    return manifest


def _read_json(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)
