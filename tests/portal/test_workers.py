"""`kmingest serve --workers 2` for real: a uvicorn supervisor and two worker processes sharing one index.

The server runs without KMINGEST_SESSION_SECRET, so the parent generates the session key: a sign-in made on
one worker must be accepted by the other. Which worker serves a request is the kernel's choice (both accept
on the shared socket), so each request goes on a fresh connection and the test finds the worker holding the
server side of that connection (psutil), until both have answered.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil  # installed with apache-airflow (the [airflow] extra the tests need anyway)
import pytest
import yaml

from kmingest.cli.portal import usable_cpus
from kmingest.portal.auth import SESSION_COOKIE
from kmingest.workspace import Workspace
from tests.portal.conftest import TOKEN, free_port, project_config, write_corpus

pytestmark = pytest.mark.integration
SECRET_ENV = "KMINGEST_SESSION_SECRET"


@dataclass
class Served:
    url: str
    port: int
    proc: subprocess.Popen[bytes]
    workers: list[Any]  # psutil.Process
    log: Path


@pytest.fixture(scope="module")
def index_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The portal's small corpus, ingested, and its config written as a YAML file for `kmingest serve`."""
    root = tmp_path_factory.mktemp("workers")
    write_corpus(root / "docs")
    cfg = project_config(root, real_models=True)  # the workers are child processes: they load real models
    with Workspace(cfg) as ws:
        stats = ws.ingest(["docs"])["docs"]
    assert stats.failed == 0 and stats.indexed == 20, stats
    with sqlite3.connect(cfg.index.path) as db:  # the ingest's writes into the file: the WAL is empty now
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    (root / "index.sha256").write_text(hashlib.sha256(cfg.index.path.read_bytes()).hexdigest())
    (root / "kmingest.yaml").write_text(yaml.safe_dump(json.loads(cfg.model_dump_json())), encoding="utf-8")
    return root


def _ready(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while True:  # readiness: /api/health answers once a worker has loaded its models and snapshot
        try:
            if httpx.get(f"{url}/api/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(
                f"kmingest serve did not become ready:\n{log.read_text(errors='replace')[-3000:]}"
            )
        time.sleep(0.1)


def _listening_workers(
    proc: subprocess.Popen[bytes], port: int, count: int, timeout: float = 120
) -> list[Any]:
    """The child processes that hold the listening socket (they may still be starting up)."""
    parent = psutil.Process(proc.pid)
    deadline = time.monotonic() + timeout
    while True:
        workers = []
        for child in parent.children():
            try:
                if any(
                    c.laddr and c.laddr.port == port and c.status == psutil.CONN_LISTEN
                    for c in child.net_connections(kind="tcp")
                ):
                    workers.append(child)
            except psutil.NoSuchProcess:
                continue
        if len(workers) == count:
            return workers
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"expected {count} workers listening on {port}, found {len(workers)}")
        time.sleep(0.1)


@pytest.fixture(scope="module")
def served(index_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in (SECRET_ENV, "KMINGEST_EMBED_THREADS")}
    env["KMINGEST_API_TOKENS"] = f"{TOKEN}=alice"
    log = tmp_path_factory.mktemp("workers-log") / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kmingest.cli",
                "--config",
                str(index_root / "kmingest.yaml"),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                "2",
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    workers: list[Any] = []
    try:
        _ready(url, proc, log)
        workers = _listening_workers(proc, port, 2)
        live = Served(url, port, proc, workers, log)
        # readiness of each worker: a worker accepts connections only once its startup is done
        _until_every_worker(live, "/api/health", {}, lambda status, body: status == 200, timeout=180)
        yield live
    finally:
        proc.send_signal(signal.SIGTERM)  # the supervisor stops its workers
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)
        for worker in workers:  # only if the supervisor could not stop them
            if worker.is_running():
                worker.kill()


def _get(served: Served, path: str, headers: dict[str, str]) -> tuple[int, bytes, int]:
    """(status, body, pid of the worker that answered) over a fresh connection."""
    conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=60)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        client_port = conn.sock.getsockname()[1]  # the connection is still open (keep-alive)
        pids = [
            w.pid
            for w in served.workers
            if any(c.raddr and c.raddr.port == client_port for c in w.net_connections(kind="tcp"))
        ]
        assert len(pids) == 1, f"no single worker holds the connection from port {client_port}: {pids}"
        return response.status, body, pids[0]
    finally:
        conn.close()


def _until_every_worker(
    served: Served,
    path: str,
    headers: dict[str, str],
    ok: Callable[[int, bytes], bool],
    timeout: float = 60,
    at_least: int = 1,
) -> dict[int, int]:
    """GET `path` on fresh connections until every worker has answered (at least `at_least` requests in
    all); each answer must pass `ok`. Returns requests answered per worker pid."""
    answered: dict[int, int] = {}
    deadline = time.monotonic() + timeout
    while len(answered) < len(served.workers) or sum(answered.values()) < at_least:
        status, body, pid = _get(served, path, headers)
        assert ok(status, body), (path, status, body[:300])
        answered[pid] = answered.get(pid, 0) + 1
        if time.monotonic() > deadline:
            raise AssertionError(f"not every worker answered {path} within {timeout} s: {answered}")
        time.sleep(0.01)
    return answered


def test_health_answers_with_two_workers(served: Served) -> None:
    assert len({w.pid for w in served.workers}) == 2
    for _ in range(4):
        response = httpx.get(f"{served.url}/api/health", timeout=10)
        assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_a_sign_in_works_on_every_worker(served: Served) -> None:
    login = httpx.post(f"{served.url}/login", data={"username": "bob", "next": "/search"}, timeout=60)
    assert login.status_code == 303, login.text
    cookie = {"Cookie": f"{SESSION_COOKIE}={login.cookies[SESSION_COOKIE]}"}
    # consecutive requests, each on its own connection, until both workers accepted the cookie
    me = _until_every_worker(
        served,
        "/api/me",
        cookie,
        lambda status, body: status == 200 and json.loads(body)["name"] == "bob",
        at_least=6,
    )
    assert set(me) == {w.pid for w in served.workers}, me
    found = _until_every_worker(
        served,
        "/api/search?q=valve+inspection&size=3",
        cookie,
        lambda status, body: status == 200 and json.loads(body)["total"] > 0,
    )
    assert set(found) == {w.pid for w in served.workers}, found
    page = httpx.get(f"{served.url}/search?q=calibration", headers=cookie, timeout=60)
    assert page.status_code == 200 and "Calibration" in page.text
    status, _, _ = _get(served, "/api/me", {})  # and without the cookie: not signed in
    assert status == 401


def test_workers_share_a_generated_secret_that_is_never_printed(served: Served) -> None:
    secrets = {w.environ().get(SECRET_ENV) for w in served.workers}
    assert len(secrets) == 1, "the workers sign sessions with different keys"
    secret = secrets.pop()
    assert secret and len(secret) >= 32
    output = served.log.read_text(errors="replace")
    assert secret not in output and f"{SECRET_ENV} is not set" in output
    threads = str(max(1, usable_cpus() // 2))
    assert {w.environ().get("KMINGEST_EMBED_THREADS") for w in served.workers} == {threads}


def test_a_bearer_token_works_on_every_worker(served: Served) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    answered = _until_every_worker(
        served, "/api/me", auth, lambda status, body: status == 200 and json.loads(body)["name"] == "alice"
    )
    assert set(answered) == {w.pid for w in served.workers}


def test_workers_never_write_the_index(index_root: Path, served: Served) -> None:
    """After the startups and every search above, the index file is as the ingest left it and its WAL
    has no frame: no worker wrote a transaction (the query log is the only file the portal writes)."""
    index = index_root / "state" / "index.db"
    _until_every_worker(
        served,
        "/api/search?q=annual+leave",
        {"Authorization": f"Bearer {TOKEN}"},
        lambda status, body: status == 200,
        at_least=4,
    )
    wal = index.with_name("index.db-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    assert hashlib.sha256(index.read_bytes()).hexdigest() == (index_root / "index.sha256").read_text()
