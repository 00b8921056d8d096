"""The docker-compose stack and the image, checked without a Docker engine: `docker compose config` (the real
compose CLI) accepts the stack, BuildKit's own Dockerfile frontend accepts the Dockerfile (which installs a
built wheel, not the source tree), every service has what it needs, and the stack's config says the same as
the local one."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from kmingest.config import load_config
from kmingest.scheduling import dag_specs
from tests.conftest import REPO

SERVICES = {
    "elasticsearch",
    "postgres",
    "airflow-init",
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
    "portal",
}
CHECKER_SOURCE = REPO / "tests" / "dockerfile_check"  # a Go program over BuildKit's Dockerfile frontend


def compose_config(tmp_path: Path) -> dict[str, Any]:
    if shutil.which("docker") is None:
        pytest.fail(
            "the docker client is not installed "
            "(.ci/run installs the compose plugin: scripts/compose-plugin.sh)"
        )
    env = tmp_path / "test.env"
    env.write_text(
        "AIRFLOW_JWT_SECRET=x\nAIRFLOW_FERNET_KEY=y\nKMINGEST_SESSION_SECRET=z\n", encoding="utf-8"
    )
    compose = ["docker", "compose", "--env-file", str(env), "-f", str(REPO / "docker-compose.yml")]
    proc = subprocess.run(
        [*compose, "config", "--format", "json"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    data: dict[str, Any] = json.loads(proc.stdout)
    return data


@pytest.mark.integration
def test_compose_file_is_valid_and_every_service_is_health_checked(tmp_path: Path) -> None:
    services = compose_config(tmp_path)["services"]
    assert set(services) == SERVICES
    for name, svc in services.items():
        if name != "airflow-init":  # a one-shot job; the others wait for it to complete
            assert svc.get("healthcheck", {}).get("test"), f"{name} has no health check"
    es = services["elasticsearch"]
    assert es["image"].startswith("docker.elastic.co/elasticsearch/elasticsearch:9.")
    assert es["environment"]["discovery.type"] == "single-node"
    airflow = {n: s for n, s in services.items() if n.startswith("airflow-")}
    for name, svc in airflow.items():
        env = svc["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor", name
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql"), name
        assert env["AIRFLOW__CORE__DAGS_FOLDER"] == "/opt/kmingest/dags", name
        assert svc["build"]["context"] == str(REPO), name
    for name in ("airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer"):
        deps = services[name]["depends_on"]
        assert deps["airflow-init"]["condition"] == "service_completed_successfully"
        assert deps["postgres"]["condition"] == deps["elasticsearch"]["condition"] == "service_healthy"
    pool = load_config(REPO / "docker" / "kmingest.yaml").airflow.pool
    assert f"airflow pools set {pool} " in " ".join(services["airflow-init"]["command"])
    assert services["portal"]["command"][:2] == ["kmingest", "serve"]
    assert (
        services["portal"]["environment"]["KMINGEST_SESSION_SECRET"] == "z"
    )  # from the env file, not the repo


@pytest.mark.integration
def test_compose_refuses_to_start_without_the_secrets(tmp_path: Path) -> None:
    empty = tmp_path / "empty.env"
    empty.write_text("", encoding="utf-8")
    compose = ["docker", "compose", "--env-file", str(empty), "-f", str(REPO / "docker-compose.yml")]
    proc = subprocess.run([*compose, "config"], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert proc.returncode != 0
    assert "run scripts/docker-up.sh or set it in .env" in proc.stderr


def test_stack_config_has_the_same_sources_and_users_as_the_local_one() -> None:
    local = load_config(REPO / "kmingest.yaml")
    stack = load_config(REPO / "docker" / "kmingest.yaml")
    assert stack.index.backend == "elasticsearch"
    assert [s.model_dump() for s in stack.sources] == [s.model_dump() for s in local.sources]
    assert stack.access == local.access
    assert stack.coverage.knowledge_map == local.coverage.knowledge_map
    assert [s.dag_id for s in dag_specs(stack)] == [s.dag_id for s in dag_specs(local)]


def dockerfile_checker() -> Path:
    """The checker binary, built once per source version under ~/.cache/kmingest (about a minute the first
    time; Go fetches BuildKit's frontend from the module proxy like scripts/compose-plugin.sh does)."""
    if shutil.which("go") is None:
        pytest.fail("the Go toolchain is not installed (.ci/run needs it for scripts/compose-plugin.sh too)")
    digest = hashlib.sha256()
    for name in ("main.go", "go.mod", "go.sum"):
        digest.update((CHECKER_SOURCE / name).read_bytes())
    cache = Path(os.environ.get("KMINGEST_VENV_ROOT", Path.home() / ".cache" / "kmingest"))
    binary = cache / f"dockerfile-check-{digest.hexdigest()[:12]}"
    if not binary.exists():
        cache.mkdir(parents=True, exist_ok=True)
        partial = binary.with_suffix(".tmp")
        build = ["go", "build", "-o", str(partial), "."]
        proc = subprocess.run(build, cwd=CHECKER_SOURCE, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr[-3000:]
        partial.replace(binary)
    return binary


@pytest.mark.integration
def test_buildkit_accepts_the_dockerfile_and_rejects_a_broken_one(tmp_path: Path) -> None:
    checker = dockerfile_checker()
    proc = subprocess.run([checker, REPO / "Dockerfile"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip().endswith("Dockerfile: 2 stage(s) ok")  # the wheel stage and the image
    broken = tmp_path / "Dockerfile"
    broken.write_text("FROM python:3.11-slim\nRUNN pip install kmingest\nCOPY only-one\n", encoding="utf-8")
    proc = subprocess.run([checker, broken], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert "unknown instruction: RUNN (did you mean RUN?)" in proc.stdout


def test_the_image_installs_the_built_wheel_not_the_source_tree() -> None:
    """The wheel carries mappings/ as package data, so the image needs no editable install (issue 15)."""
    lines = (REPO / "Dockerfile").read_text(encoding="utf-8").splitlines()
    runs = [line for line in lines if line.startswith("RUN ")]
    assert "RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels ." in runs
    assert any('pip install "$(ls /tmp/wheels/kmingest-*.whl)[airflow]"' in line for line in runs)
    assert not any("pip install -e" in line for line in lines)
    image_stage = lines[max(i for i, line in enumerate(lines) if line.startswith("FROM ")) :]
    assert "COPY kmingest kmingest" not in image_stage and "COPY mappings mappings" not in image_stage
