"""Real Airflow 3 for the DAG tests: a session-wide AIRFLOW_HOME in a temp folder with a SQLite metadata DB
migrated by `airflow db migrate`, and a helper that runs tests/dags/airflow_runner.py against it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO


@dataclass
class Airflow:
    env: dict[str, str]

    def run(self, config: Path, *args: str, timeout: float = 600) -> tuple[dict[str, Any], str]:
        """Run the runner with KMINGEST_CONFIG=config; returns (its JSON result, all its output)."""
        proc = subprocess.run(
            [sys.executable, "-m", "tests.dags.airflow_runner", *args],
            cwd=REPO,
            env={**self.env, "KMINGEST_CONFIG": str(config)},
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        output = proc.stdout + proc.stderr
        lines = proc.stdout.strip().splitlines()
        assert proc.returncode == 0 and lines, f"airflow runner failed ({proc.returncode}):\n{output[-5000:]}"
        return json.loads(lines[-1]), output


@pytest.fixture(scope="session")
def airflow(tmp_path_factory: pytest.TempPathFactory) -> Airflow:
    home = tmp_path_factory.mktemp("airflow-home")
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "PYTHONPATH": str(REPO),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    proc = subprocess.run(["airflow", "db", "migrate"], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return Airflow(env)


@pytest.fixture(scope="session")
def embedding_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One embedding cache for all DAG tests: the sample chunks are embedded once per session."""
    return tmp_path_factory.mktemp("embeddings") / "embeddings.db"


def write_config(root: Path, embedding_cache: Path, sources: list[dict[str, Any]], **extra: Any) -> Path:
    """A kmingest.yaml for one test: its own state and index under `root`, the sample exports as sources."""
    data = {
        "state_dir": str(root / "state"),
        "index": {"path": str(root / "state" / "index.db")},
        "embedding": {"cache_path": str(embedding_cache)},
        "sources": sources,
        **extra,
    }
    path = root / "kmingest.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path
