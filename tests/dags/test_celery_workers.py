"""A source DAG on a real multi-worker Airflow deployment (tests/dags/celery_cluster.py): CeleryExecutor with
Redis, PostgreSQL for Airflow's metadata and for kmingest's state, two Celery workers standing for two hosts
with separate working folders, and the Elasticsearch backend. Every host gets the same kmingest.yaml in its
own folder, so its relative paths (state_dir, the export) are its own; the hosts share only the staging URL,
the databases and Elasticsearch. The export exists on host A only.

A cluster policy routes `extract` to host A's queue and `process` to host B's; `finalize` starts on host B,
whose first try fails (an injected fault) while B is drained, so its retry runs on host A. The documents in
the index (external ids, chunk counts, text fingerprints) equal those of a dag.test() run of the same DAG on
the same files. Which task ran where is printed (pytest -s) and checked.
"""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml

from kmingest.config import load_config
from kmingest.embedding import default_model_dir
from kmingest.index.base import Caller
from kmingest.workspace import Workspace
from tests.conftest import REPO
from tests.dags.celery_cluster import FAULT_ENV, QUEUES_ENV, CeleryCluster, Host, print_placement
from tests.dags.conftest import Airflow
from tests.index.test_elasticsearch import ES_URL

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.celery]

SOURCE, DAG_ID, POOL, STATE_ENV = "notes", "kmingest_notes", "kmingest_index_writes", "KMINGEST_STATE_URL"
WAIT_S = 600  # the longest wait for one step (start, parse, run) on a busy 2-core machine
NOTES = {
    "Quality/torque.md": "# Torque wrenches\n\nTorque wrenches are calibrated every year by the lab.",
    "Quality/gauges.md": "# Gauge blocks\n\nGauge blocks are checked monthly against the master set.",
    "Quality/audit.md": "# Supplier audit\n\nEach supplier is audited on site every two years.",
    "Sales/discounts.md": "# Discounts\n\nDiscounts above ten percent need the sales director's approval.",
    "Sales/visits.md": "# Customer visits\n\nKey accounts are visited once a quarter; notes go into the CRM.",
}  # five files, two per batch: process[0], process[1], process[2]


def script(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    command = ["bash", f"scripts/{name}.sh", *args]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=180)


@pytest.fixture(scope="module")
def services() -> Iterator[dict[str, str]]:
    """Redis (scripts/redis.sh) and PostgreSQL (scripts/postgres.sh), used as they are when CI started them,
    else started here and stopped afterwards; two fresh databases: Airflow's metadata and kmingest's state."""
    started = []
    for name in ("redis", "postgres"):
        if script(name, "status").returncode != 0:
            proc = script(name, "start")
            assert proc.returncode == 0, f"scripts/{name}.sh start failed:\n{proc.stdout}{proc.stderr}"
            started.append(name)
    tag = uuid.uuid4().hex[:8]
    databases = {"airflow_db": f"airflow_celery_{tag}", "state_db": f"kmingest_state_{tag}"}
    urls = {}
    for key, database in databases.items():
        assert script("postgres", "createdb", database).returncode == 0
        urls[key] = script("postgres", "url", database).stdout.strip()
    try:
        airflow_db = urls["airflow_db"].replace("postgresql://", "postgresql+psycopg://", 1)
        yield {
            "broker": script("redis", "url").stdout.strip(),
            "airflow_db": airflow_db,
            "state": urls["state_db"],
        }
    finally:
        with psycopg.connect(urls["airflow_db"].rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
            for database in databases.values():
                conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        for name in reversed(started):
            script(name, "stop")


def deployment_config(prefix: str, shared: Path | None) -> dict[str, Any]:
    """One kmingest.yaml for every host: relative paths are the host's own, URLs are shared. Without
    `shared`: a one-machine config (SQLite state, staging in state_dir)."""
    cluster = {"state": {"backend": "postgres", "url_env": STATE_ENV}, "staging": {"url": f"file://{shared}"}}
    return {
        **(cluster if shared else {}),
        "state_dir": "state",
        "index": {"backend": "elasticsearch", "url": ES_URL, "index_prefix": prefix},
        "embedding": {"cache_path": "state/embeddings.db", "model_dir": str(default_model_dir())},
        "sources": [
            {
                "name": SOURCE,
                "connector": "filesystem",
                "path": "export/notes",
                "department_from_folder": True,
                "schedule": None,
                "dag": {"batch_records": 2, "retry_delay_minutes": 0.15},
            }
        ],
    }


def host(
    root: Path,
    name: str,
    config: dict[str, Any],
    queues: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
) -> Host:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "kmingest.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return Host(name, folder, folder / "kmingest.yaml", queues, env or {})


def export_notes(host: Host) -> None:
    for rel, text in NOTES.items():
        path = host.root / "export" / "notes" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def indexed(config: Path) -> tuple[dict[str, int], list[tuple[Any, ...]]]:
    """The index's totals and, per document, what a run must reproduce exactly."""
    with Workspace(load_config(config)) as ws:
        facts = sorted(
            (f.external_id, f.department, f.title, f.chunks, f.embedded_chunks, f.text_fingerprint)
            for f in ws.index.document_facts(Caller.system())
        )
        return ws.index.stats(), facts


def placement(tries: list[dict[str, Any]]) -> dict[str, list[tuple[int, str, str]]]:
    """task[map index] -> [(try number, state, host)]"""
    out: dict[str, list[tuple[int, str, str]]] = {}
    for t in tries:
        key = t["task_id"] + (f"[{t['map_index']}]" if t["map_index"] >= 0 else "")
        out.setdefault(key, []).append((t["try_number"], t["state"], t["hostname"]))
    return out


def test_extract_and_process_run_on_different_hosts_a_retry_moves_and_the_index_matches_a_local_run(
    airflow: Airflow, services: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tag = uuid.uuid4().hex[:8]
    shared = tmp_path / "shared-staging"  # the one shared mount
    queues = {task: f"kmingest-{tag}-{task}" for task in ("extract", "process", "finalize")}
    config = deployment_config(f"kmingest-celery-{tag}", shared)
    state = {STATE_ENV: services["state"]}
    control = host(tmp_path, "control", config, env={**state, QUEUES_ENV: json.dumps(queues)})
    host_a = host(tmp_path, "host-a", config, (queues["extract"],), state)
    host_b = host(
        tmp_path, "host-b", config, (queues["process"], queues["finalize"]), {**state, FAULT_ENV: "finalize"}
    )
    local = host(tmp_path, "local", deployment_config(f"kmingest-local-{tag}", None))
    export_notes(host_a)
    export_notes(local)
    monkeypatch.setenv(STATE_ENV, services["state"])  # this process reads host A's state below
    cluster = CeleryCluster(services["airflow_db"], services["broker"], control, [host_a, host_b], WAIT_S)
    first = run_state = None
    try:
        clock = time.monotonic()
        runs: Any
        runs, log = airflow.run(local.config, "test", DAG_ID)
        assert runs[0]["state"] == "success", log[-4000:]
        timings = {"dag.test": time.monotonic() - clock}
        with cluster:
            timings["cluster up"] = time.monotonic() - clock - timings["dag.test"]
            cluster.pool(POOL, 4)
            cluster.wait_for_dag(DAG_ID)
            run_id = cluster.trigger(DAG_ID)

            def finalize_started() -> str | None:
                states = {ti["task_id"]: ti["state"] for ti in cluster.task_instances(DAG_ID, run_id)}
                return None if states.get("finalize") in (None, "scheduled", "queued") else states["finalize"]

            first = cluster.wait("finalize to start on host B", finalize_started)
            if first in ("running", "up_for_retry"):
                cluster.move_queue(queues["finalize"], host_b, host_a)  # drain host B: the retry goes to A
                run_state = cluster.wait_for_run(DAG_ID, run_id)
            tries = cluster.tries(DAG_ID, run_id)
        timings["cluster run and stop"] = time.monotonic() - clock - sum(timings.values())
        print_placement(tries)
        print("timings:", ", ".join(f"{k} {v:.0f} s" for k, v in timings.items()))
        logs = "\n".join(cluster.log_tail(n) for n in ("host-a", "host-b", "scheduler"))
        assert first in ("running", "up_for_retry") and run_state == "success", logs

        where = placement(tries)
        assert where["extract"] == [(1, "success", "host-a")]
        processed = sorted(k for k in where if k.startswith("process["))
        assert processed == ["process[0]", "process[1]", "process[2]"]
        assert all(where[k] == [(1, "success", "host-b")] for k in processed), where
        assert where["finalize"] == [(1, "failed", "host-b"), (2, "success", "host-a")]

        expected_stats, expected_docs = indexed(local.config)
        assert len(expected_docs) == len(NOTES) and expected_stats["chunks"] >= len(NOTES)
        assert indexed(host_a.config) == (expected_stats, expected_docs)
        assert not (host_b.root / "export").exists()  # B indexed what it read from the shared staging
        staged = [p.name for p in shared.rglob("*") if p.is_file()]
        assert "manifest.json" in staged and "result.json" in staged, staged
        assert not [n for n in staged if n.endswith(".jsonl")], staged  # no record bodies left behind
        with Workspace(load_config(host_a.config)) as ws:  # the run history in the shared state store
            [run] = ws.state.runs(SOURCE)
            assert (run.status, run.stats["indexed"]) == ("ok", len(NOTES))
    finally:
        for h in (local, host_a):
            with Workspace(load_config(h.config)) as ws:
                ws.index.layout.drop()  # type: ignore[attr-defined]
