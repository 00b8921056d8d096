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


def test_dags_folder_has_one_dag_per_source_and_the_coverage_dag(
    airflow: Airflow, tmp_path: Path, embedding_cache: Path
) -> None:
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


def runs_of(config: Path, source: str) -> list[dict[str, Any]]:
    """The source's runs from kmingest's own run history, oldest first."""
    with Workspace(load_config(config)) as ws:
        return [{"status": r.status, **r.stats} for r in reversed(ws.state.runs(source))]


def test_source_dag_ingests_the_oa_sample_a_rerun_changes_nothing_and_coverage_follows(
    airflow: Airflow, tmp_path: Path, embedding_cache: Path
) -> None:
    km_map = str(REPO / "knowledge_map.yaml")
    config = write_config(tmp_path, embedding_cache, sample_sources("oa"), coverage={"knowledge_map": km_map})
    # the coverage DAG is scheduled on the source assets; dag.test runs it directly, twice: one report each
    runs, log = airflow.run(
        config, "test", "kmingest_oa", "kmingest_oa", "kmingest_coverage", "kmingest_coverage"
    )
    assert [r["state"] for r in runs] == ["success"] * 4, log[-4000:]
    first, again = runs[0]["tasks"], runs[1]["tasks"]
    assert {k for k in first if k.startswith("process[")} == {"process[0]", "process[1]"}  # 78 records / 64
    assert set(first.values()) == {"success"}
    # nothing changed: only the records that failed are retried, in one batch
    assert {k for k in again if k.startswith("process[")} == {"process[0]"}

    valid, written = EXPECTED["oa"]["valid_documents"], EXPECTED["oa"]["written_items"]
    stats, rerun = runs_of(config, "oa")
    assert stats["status"] == rerun["status"] == "ok"
    assert (stats["indexed"], stats["failed"], stats["seen"]) == (valid, written - valid, written)
    assert (rerun["indexed"], rerun["embedded"], rerun["new"], rerun["updated"]) == (0, 0, 0, 0)
    assert 0 < rerun["retried"] <= written - valid  # the broken files again (extract errors are not records)
    with Workspace(load_config(config)) as ws:
        assert ws.index.stats() == {"documents": valid, "chunks": stats["chunks"]}
        for probe in EXPECTED["oa"]["probes"]:
            hits = ws.index.search(
                SearchRequest(query=probe["query"], mode="bm25"), Caller.system(), None
            ).hits
            assert probe["expect_id"] in [h.external_id for h in hits[:3]], probe

    reports = sorted((tmp_path / "state" / "reports").glob("*/report.json"))
    assert len(reports) == 2 and all((r.parent / "coverage.html").exists() for r in reports)
    latest = json.loads(reports[-1].read_text(encoding="utf-8"))
    assert latest["totals"]["documents"] == valid
    assert latest["changes"]["previous_id"] == reports[0].parent.name


def test_full_resync_from_the_trigger_params_deletes_removed_files(
    airflow: Airflow, tmp_path: Path, embedding_cache: Path
) -> None:
    config = write_config(tmp_path, embedding_cache, [small_folder(tmp_path)])
    [run], _ = airflow.run(config, "test", "kmingest_notes")
    assert run["state"] == "success"
    (tmp_path / "notes" / "Quality" / "gauges.md").unlink()
    runs, log = airflow.run(config, "test", "kmingest_notes", 'kmingest_notes:{"full": true}')
    assert [r["state"] for r in runs] == ["success", "success"], log[-4000:]
    # a folder is listed whole on every run: the scheduled run after the removal deletes it already
    assert [r["deleted"] for r in runs_of(config, "notes")] == [0, 1, 0]
    with Workspace(load_config(config)) as ws:
        assert ws.index.stats()["documents"] == 1


def test_source_dag_on_the_real_elasticsearch_node(
    airflow: Airflow, tmp_path: Path, embedding_cache: Path
) -> None:
    prefix = f"kmingest-dagtest-{uuid.uuid4().hex[:8]}"
    index = {"backend": "elasticsearch", "url": ES_URL, "index_prefix": prefix}
    [oa] = sample_sources("oa")
    oa["dag"] = {"retries": 0}  # a node that is down fails the run now, not after minutes of backoff
    config = write_config(tmp_path, embedding_cache, [oa], index=index)
    valid = EXPECTED["oa"]["valid_documents"]
    try:
        runs, log = airflow.run(config, "test", "kmingest_oa", "kmingest_oa")
        assert [r["state"] for r in runs] == ["success", "success"], log[-4000:]
        first, rerun = runs_of(config, "oa")
        assert (first["indexed"], rerun["indexed"], rerun["embedded"]) == (valid, 0, 0)
        with Workspace(load_config(config)) as ws:
            assert ws.index.stats() == {"documents": valid, "chunks": first["chunks"]}
            hits = ws.index.search(SearchRequest(query="远程办公", mode="bm25"), Caller.system(), None).hits
            assert hits and hits[0].external_id == "OA-2023-0006"
    finally:
        with Workspace(load_config(config)) as ws:
            ws.index.layout.drop()  # type: ignore[attr-defined]


def test_broken_source_fails_its_own_run_with_the_config_error(
    airflow: Airflow, tmp_path: Path, embedding_cache: Path
) -> None:
    broken = {"name": "broken", "connector": "filesystem", "path": str(tmp_path / "no-such-folder")}
    config = write_config(tmp_path, embedding_cache, [broken, small_folder(tmp_path)])
    bag, _ = airflow.run(config, "list")
    assert bag["import_errors"] == {} and {"kmingest_broken", "kmingest_notes"} <= set(bag["dags"])
    (run, other), log = airflow.run(config, "test", "kmingest_broken", "kmingest_notes")
    assert run["state"] == "failed"
    assert run["tasks"]["extract"] == "failed"
    assert "configuration error (not retried)" in log and "no-such-folder" in log
    assert other["state"] == "success"


def test_an_invalid_config_file_is_an_import_error_naming_the_key(airflow: Airflow, tmp_path: Path) -> None:
    config = tmp_path / "kmingest.yaml"
    config.write_text("sources:\n  - name: erp\n    conector: erp\n", encoding="utf-8")
    bag, _ = airflow.run(config, "list")
    [error] = bag["import_errors"].values()
    assert str(config) in error and "sources[0].connector" in error and "fix:" in error
