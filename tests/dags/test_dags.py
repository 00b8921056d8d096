"""The Airflow DAGs on real Airflow 3 (SQLite metadata DB, `dag.test()`): DAG generation from the config,
end-to-end runs on the sample exports against both index backends, re-runs, full re-sync and config errors."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from kmingest.config import load_config
from kmingest.index.base import Caller, SearchRequest
from kmingest.workspace import Workspace
from tests.conftest import REPO
from tests.dags.conftest import Airflow, write_config
from tests.index.test_elasticsearch import ES_URL

pytestmark = [pytest.mark.integration, pytest.mark.slow]

EXPECTED = json.loads((REPO / "samples" / "expected.json").read_text(encoding="utf-8"))["systems"]


def sample_sources(*names: str) -> list[dict[str, Any]]:
    """Source entries of the repo's kmingest.yaml, with absolute paths to the checked-in sample exports."""
    data = yaml.safe_load((REPO / "kmingest.yaml").read_text(encoding="utf-8"))
    picked = [dict(s) for s in data["sources"] if s["name"] in names]
    for s in picked:
        s["path"] = str(REPO / s["path"])
    return picked


def small_folder(root: Path) -> dict[str, Any]:
    docs = root / "notes"
    (docs / "Quality").mkdir(parents=True)
    (docs / "Quality" / "torque.md").write_text(
        "# Torque\n\nTorque wrenches are calibrated yearly.", encoding="utf-8"
    )
    (docs / "Quality" / "gauges.md").write_text(
        "# Gauges\n\nGauge blocks are checked monthly.", encoding="utf-8"
    )
    return {"name": "notes", "connector": "filesystem", "path": str(docs), "department_from_folder": True}


def last_run(config: Path, source: str) -> dict[str, Any]:
    with Workspace(load_config(config)) as ws:
        info = ws.state.runs(source, limit=1)[0]
        return {"status": info.status, **info.stats}


def test_dags_folder_has_one_dag_per_source_and_the_coverage_dag(airflow: Airflow, tmp_path: Path,
                                                                 embedding_cache: Path) -> None:  # fmt: skip
    sources = sample_sources("erp", "crm", "oa", "shared-drive")
    sources[0].update(schedule="@hourly", dag={"owner": "data-eng", "retries": 5, "timeout_minutes": 30})
    config = write_config(tmp_path, embedding_cache, sources, airflow={"pool": "km_writes"})
    bag, _ = airflow.run(config, "list")
    assert bag["import_errors"] == {}
    dags = bag["dags"]
    assert set(dags) == {
        "kmingest_erp",
        "kmingest_crm",
        "kmingest_oa",
        "kmingest_shared-drive",
        "kmingest_coverage",
    }
    erp = dags["kmingest_erp"]
    assert erp["max_active_runs"] == 1 and erp["catchup"] is False
    assert erp["params"] == ["force", "full"]
    assert (erp["schedule"], dags["kmingest_crm"]["schedule"]) == ("@hourly", "@daily")
    tasks = erp["tasks"]
    assert {k: v["downstream"] for k, v in tasks.items()} == {
        "extract": ["process"],
        "process": ["finalize"],
        "finalize": [],
    }
    assert tasks["process"]["mapped"] and not tasks["extract"]["mapped"]
    assert tasks["process"]["pool"] == tasks["finalize"]["pool"] == "km_writes"
    assert tasks["finalize"]["outlets"] == ["kmingest://sources/erp"]
    for t in tasks.values():
        assert (t["owner"], t["retries"], t["exponential_backoff"], t["timeout_s"]) == (
            "data-eng",
            5,
            True,
            1800,
        )
        assert (t["retry_delay_s"], t["max_retry_delay_s"]) == (300, 3600)
    assert dags["kmingest_oa"]["tasks"]["extract"]["retries"] == 2  # the default
    assert dags["kmingest_coverage"]["schedule"] == {  # runs after any source finished
        "any": sorted(f"kmingest://sources/{s}" for s in ("erp", "crm", "oa", "shared-drive"))
    }


def test_source_dag_ingests_the_oa_sample_and_a_second_run_changes_nothing(airflow: Airflow, tmp_path: Path,
                                                                          embedding_cache: Path) -> None:  # fmt: skip
    km_map = str(REPO / "knowledge_map.yaml")
    config = write_config(tmp_path, embedding_cache, sample_sources("oa"), coverage={"knowledge_map": km_map})
    run, log = airflow.run(config, "test", "kmingest_oa")
    assert run["state"] == "success", log[-4000:]
    assert {k for k in run["tasks"] if k.startswith("process[")} == {"process[0]", "process[1]"}  # 78 / 64
    assert set(run["tasks"].values()) == {"success"}
    stats = last_run(config, "oa")
    valid, written = EXPECTED["oa"]["valid_documents"], EXPECTED["oa"]["written_items"]
    assert stats["status"] == "ok"
    assert (stats["indexed"], stats["failed"], stats["seen"]) == (valid, written - valid, written)
    with Workspace(load_config(config)) as ws:
        assert ws.index.stats()["documents"] == valid
        chunks = ws.index.stats()["chunks"]
        for probe in EXPECTED["oa"]["probes"]:
            hits = ws.index.search(
                SearchRequest(query=probe["query"], mode="bm25"), Caller.system(), None
            ).hits
            assert probe["expect_id"] in [h.external_id for h in hits[:3]], probe

    again, log = airflow.run(config, "test", "kmingest_oa")
    assert again["state"] == "success", log[-4000:]
    assert "process[0]" not in again["tasks"]  # nothing changed: no batch to process
    stats = last_run(config, "oa")
    assert (stats["status"], stats["indexed"], stats["embedded"], stats["new"], stats["updated"]) == (
        "ok",
        0,
        0,
        0,
        0,
    )
    with Workspace(load_config(config)) as ws:
        assert ws.index.stats() == {"documents": valid, "chunks": chunks}

    # the coverage DAG (scheduled on the source assets; dag.test runs it directly) keeps a report per run
    for _ in range(2):
        run, log = airflow.run(config, "test", "kmingest_coverage")
        assert run["state"] == "success", log[-4000:]
    reports = sorted((tmp_path / "state" / "reports").glob("*/report.json"))
    assert len(reports) == 2 and all((r.parent / "coverage.html").exists() for r in reports)
    latest = json.loads(reports[-1].read_text(encoding="utf-8"))
    assert latest["totals"]["documents"] == valid
    assert latest["changes"]["previous_id"] == reports[0].parent.name


def test_full_resync_from_the_trigger_params_deletes_removed_files(airflow: Airflow, tmp_path: Path,
                                                                    embedding_cache: Path) -> None:  # fmt: skip
    config = write_config(tmp_path, embedding_cache, [small_folder(tmp_path)])
    assert airflow.run(config, "test", "kmingest_notes")[0]["state"] == "success"
    (tmp_path / "notes" / "Quality" / "gauges.md").unlink()
    assert airflow.run(config, "test", "kmingest_notes")[0]["state"] == "success"
    assert last_run(config, "notes")["deleted"] == 0  # an incremental run cannot see a deletion
    run, log = airflow.run(config, "test", "kmingest_notes", json.dumps({"full": True}))
    assert run["state"] == "success", log[-4000:]
    assert last_run(config, "notes")["deleted"] == 1
    with Workspace(load_config(config)) as ws:
        assert ws.index.stats()["documents"] == 1


def test_source_dag_on_the_real_elasticsearch_node(
    airflow: Airflow, tmp_path: Path, embedding_cache: Path
) -> None:
    prefix = f"kmingest-dagtest-{uuid.uuid4().hex[:8]}"
    index = {"backend": "elasticsearch", "url": ES_URL, "index_prefix": prefix}
    config = write_config(tmp_path, embedding_cache, sample_sources("oa"))
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    config.write_text(yaml.safe_dump({**data, "index": index}, allow_unicode=True), encoding="utf-8")
    valid = EXPECTED["oa"]["valid_documents"]
    try:
        run, log = airflow.run(config, "test", "kmingest_oa")
        assert run["state"] == "success", log[-4000:]
        with Workspace(load_config(config)) as ws:
            assert ws.index.stats()["documents"] == valid
            chunks = ws.index.stats()["chunks"]
            hits = ws.index.search(SearchRequest(query="远程办公", mode="bm25"), Caller.system(), None).hits
            assert hits and hits[0].external_id == "OA-2023-0006"
        again, log = airflow.run(config, "test", "kmingest_oa")
        assert again["state"] == "success", log[-4000:]
        assert last_run(config, "oa")["indexed"] == 0
        with Workspace(load_config(config)) as ws:
            assert ws.index.stats() == {"documents": valid, "chunks": chunks}
    finally:
        with Workspace(load_config(config)) as ws:
            ws.index.layout.drop()  # type: ignore[attr-defined]


def test_broken_source_fails_its_own_run_with_the_config_error(airflow: Airflow, tmp_path: Path,
                                                               embedding_cache: Path) -> None:  # fmt: skip
    broken = {"name": "broken", "connector": "filesystem", "path": str(tmp_path / "no-such-folder")}
    config = write_config(tmp_path, embedding_cache, [broken, small_folder(tmp_path)])
    bag, _ = airflow.run(config, "list")
    assert bag["import_errors"] == {} and {"kmingest_broken", "kmingest_notes"} <= set(bag["dags"])
    run, log = airflow.run(config, "test", "kmingest_broken")
    assert run["state"] == "failed"
    assert run["tasks"]["extract"] == "failed"
    assert "configuration error (not retried)" in log and "no-such-folder" in log
    other, log = airflow.run(config, "test", "kmingest_notes")
    assert other["state"] == "success", log[-4000:]


def test_an_invalid_config_file_is_an_import_error_naming_the_key(airflow: Airflow, tmp_path: Path) -> None:
    config = tmp_path / "kmingest.yaml"
    config.write_text("sources:\n  - name: erp\n    conector: erp\n", encoding="utf-8")
    bag, _ = airflow.run(config, "list")
    [error] = bag["import_errors"].values()
    assert str(config) in error and "sources[0].connector" in error and "fix:" in error
