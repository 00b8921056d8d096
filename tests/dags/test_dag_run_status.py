"""A staged run's status in `kmingest status` follows the Airflow outcome: when a task after extract fails
for good, the kmingest run is failed with the task's error, never left "running, seen 0" (real Airflow 3,
`dag.test()`, via tests/dags/broken_steps.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kmingest.cli import cli
from tests.conftest import REPO
from tests.dags.conftest import Airflow, write_config

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def run_broken(airflow: Airflow, config: Path, *dag_ids: str) -> tuple[list[dict[str, Any]], str]:
    proc = subprocess.run(
        [sys.executable, "-m", "tests.dags.broken_steps", "test", *dag_ids],
        cwd=REPO,
        env={**airflow.env, "KMINGEST_CONFIG": str(config)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-5000:]
    runs: list[dict[str, Any]] = json.loads(proc.stdout.strip().splitlines()[-1])
    return runs, output


def status(config: Path) -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["--config", str(config), "status", "--json"], obj={})
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.output)
    return report


def test_a_failed_process_task_fails_the_kmingest_run(
    airflow: Airflow, tmp_path: Path, embedding_cache: Path
) -> None:
    no_retries = {"retries": 0}
    sources = [
        {
            "name": "moved",
            "connector": "config_broken_later",
            "marker": str(tmp_path / "unmounted"),
            "dag": no_retries,
        },
        {"name": "trapped", "connector": "unloadable_batch", "dag": no_retries},
    ]
    config = write_config(tmp_path, embedding_cache, sources)
    (moved, trapped), log = run_broken(airflow, config, "kmingest_moved", "kmingest_trapped")
    assert moved["state"] == trapped["state"] == "failed", log[-4000:]
    assert (moved["tasks"]["extract"], moved["tasks"]["process[0]"]) == ("success", "failed")
    assert trapped["tasks"]["process[0]"] == "failed"
    report = status(config)
    first = report["moved"]["last_run"]
    assert first["status"] == "failed" and first["stats"]["seen"] == 3  # the counts the extract staged
    assert first["error"].startswith("Airflow task process failed: configuration error (not retried)")
    assert "share is not mounted" in first["error"]
    second = report["trapped"]["last_run"]
    assert second["status"] == "failed" and "this batch cannot be loaded here" in second["error"]
