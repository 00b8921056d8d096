"""Portal fixtures: a small indexed corpus (with an HR-only, a Sales-only and an XSS document), the app on
it, signed-in clients, and a real uvicorn server for browser tests.

The subject here is the portal, not the model: the corpus (about 25 short files, built once per session)
and the bundled samples of `sample_project` are embedded by the hashed test embedder
(kmingest.testing.embedder). `project_config(..., real_models=True)` keeps the default models, for
`kmingest serve` in child processes, which the hashed embedder of this process cannot reach.
"""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient

from kmingest.config import Config, parse_config
from kmingest.portal import create_app
from kmingest.testing.embedder import hashed_embedding
from kmingest.workspace import Workspace

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "portal"
XSS_TITLE = 'Payload review <script>window.__xss=1</script> <img src=x onerror="window.__xss=2">'
XSS_BODY = (
    "Payload review notes. The string <script>window.__xss=1</script> must show as text, and so must "
    '<img src=x onerror="window.__xss=2"> and <b>bold</b>. Reviewed by the security team.'
)
TOKEN = "test-token-for-alice-0123456789"
SESSION_SECRET = "test-session-secret-of-32-bytes-or-more"  # the portal refuses shorter keys
HR_SECRET_TITLE = "Salary bands 2026 (confidential)"


def _write(folder: Path, name: str, text: str, **meta: Any) -> None:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    if meta:
        (folder / f"{name}.meta.json").write_text(json.dumps(meta), encoding="utf-8")


def write_corpus(docs: Path) -> None:
    _write(
        docs,
        "Quality/calibration.md",
        "# Calibration\n\n" + "Torque wrenches are calibrated every six "
        "months by the metrology lab, and every inspection gauge yearly. " * 3,
        updated_at="2025-03-01",
    )
    for i in range(14):  # enough inspection records for two result pages
        _write(
            docs,
            f"Quality/inspection-{i:02d}.txt",
            f"Valve inspection record {i}: pressure test passed, seat leakage within limits, "
            f"inspector signed off batch {1000 + i}.",
            updated_at=f"{2026 - i % 3}-0{1 + i % 9}-10",
            doc_type="inspection",
        )
    _write(
        docs,
        "Production/changeover.txt",
        "Line 3 changeover: clean the die, check the inspection sheet, restart at low speed.",
        updated_at="2024-06-01",
    )
    _write(
        docs,
        "HR/leave.md",
        "# Annual leave\n\nEmployees get fifteen days of annual leave per year.",
        updated_at="2026-01-05",
    )
    _write(
        docs,
        "HR/salary-bands.md",
        "# Salary bands\n\nConfidential salary bands for inspection "
        "engineers and valve designers: G5 12000-18000 CNY.",
        acl=["dept:HR"],
        title=HR_SECRET_TITLE,
        updated_at="2026-02-01",
    )
    _write(
        docs,
        "Sales/pricing.md",
        "# Discount approval\n\nDiscounts above 15 percent need approval by the sales director.",
        acl=["dept:Sales"],
        updated_at="2026-01-15",
    )
    _write(docs, "Sales/payload.txt", XSS_BODY, title=XSS_TITLE, updated_at="2026-03-03")


def project_config(root: Path, portal: dict[str, Any] | None = None, real_models: bool = False) -> Config:
    cache = {"cache_path": str(root / "state" / "emb.db")}
    data = {
        "state_dir": str(root / "state"),
        "index": {"path": str(root / "state" / "index.db")},
        "embedding": cache if real_models else hashed_embedding(**cache),
        "sources": [
            {
                "name": "docs",
                "connector": "filesystem",
                "path": str(root / "docs"),
                "system": "fileshare",
                "department_from_folder": True,
            }
        ],
        "access": {
            "users": {
                "alice": {"departments": ["Sales"], "display_name": "Alice"},
                "hana": {"departments": ["HR"]},
                "bob": {"departments": ["Quality"]},
                "kmlead": {},
            },
            "admins": ["km-admin"],
            "km_leads": ["kmlead"],
        },
        "portal": {
            "demo_logins": True,
            "page_size": 10,
            "query_log_retention_days": 30,
            "source_links": {"fileshare": "https://files.example.com/open?path={external_id}"},
            **(portal or {}),
        },
    }
    return parse_config(data, root / "kmingest.yaml")


@pytest.fixture(scope="session")
def corpus_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("portal")
    write_corpus(root / "docs")
    with Workspace(project_config(root)) as ws:
        stats = ws.ingest(["docs"])["docs"]
    assert stats.failed == 0 and stats.indexed == 20, stats
    return root


@pytest.fixture
def make_app(corpus_root: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """make_app(**portal_overrides) -> TestClient (as a context manager: startup/shutdown run)."""
    monkeypatch.setenv("KMINGEST_SESSION_SECRET", SESSION_SECRET)
    monkeypatch.setenv("KMINGEST_API_TOKENS", f"{TOKEN}=alice,short=bob")
    clients: list[TestClient] = []

    def make(raise_errors: bool = True, **portal: Any) -> TestClient:
        client = TestClient(
            create_app(project_config(corpus_root, portal)), raise_server_exceptions=raise_errors
        )
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def make_secure_app(corpus_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """make_secure_app(peer=("testclient", 50000), passwords={user: hash}, **portal_overrides) -> TestClient
    on the shared index,
    with its own state folder (sessions, sign-in throttle, query log), so what a security test counts
    starts at zero and never leaks into other tests."""
    monkeypatch.setenv("KMINGEST_SESSION_SECRET", SESSION_SECRET)
    monkeypatch.setenv("KMINGEST_API_TOKENS", f"{TOKEN}=alice,{TOKEN}-kmlead=kmlead")
    clients: list[TestClient] = []

    def make(
        peer: tuple[str, int] = ("testclient", 50000), passwords: dict[str, str] | None = None, **portal: Any
    ) -> TestClient:
        cfg = project_config(corpus_root, portal).model_copy(update={"state_dir": tmp_path / "state"})
        users = {
            name: user.model_copy(update={"password_hash": (passwords or {})[name]})
            if name in (passwords or {})
            else user
            for name, user in cfg.access.users.items()
        }
        cfg = cfg.model_copy(update={"access": cfg.access.model_copy(update={"users": users})})
        client = TestClient(create_app(cfg), client=peer)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_app: Any) -> TestClient:
    c: TestClient = make_app()
    return c


def sign_in(client: TestClient, user: str) -> TestClient:
    response = client.post("/login", data={"username": user, "next": "/search"}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return client


# ---- a real server ---------------------------------------------------------------------------------------
@dataclass
class LiveServer:
    url: str
    app: FastAPI
    server: uvicorn.Server
    thread: threading.Thread


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(app: FastAPI, timeout: float = 60.0) -> LiveServer:
    """uvicorn in a thread on a free port; returns once /api/health answers 200."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while True:  # readiness check: poll the health endpoint until it answers
        try:
            if httpx.get(f"{url}/api/health", timeout=2).status_code == 200:
                return LiveServer(url, app, server, thread)
        except httpx.TransportError:
            pass
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"portal did not become ready on {url}")
        time.sleep(0.05)


def stop_server(live: LiveServer) -> None:
    live.server.should_exit = True
    live.thread.join(timeout=30)


@pytest.fixture(scope="session")
def sample_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled samples and kmingest.yaml (its models replaced by the hashed test embedder), ingested
    by `kmingest quickstart --no-serve`."""
    from click.testing import CliRunner

    from kmingest.cli import cli

    work = tmp_path_factory.mktemp("samples-project")
    shutil.copytree(REPO / "samples", work / "samples")
    project = yaml.safe_load((REPO / "kmingest.yaml").read_text(encoding="utf-8"))
    # Chinese samples share many bigrams (质量 is in most Quality records): a higher floor keeps every
    # sample query's vector results under vector_k, as the real models' floors do; past vector_k a facet
    # counts the unfiltered nearest documents only, and its filter finds more
    project["embedding"] = hashed_embedding(floors={"cjk": 0.3})
    (work / "kmingest.yaml").write_text(yaml.safe_dump(project, allow_unicode=True), encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["--config", str(work / "kmingest.yaml"), "quickstart", "--no-serve"], obj={}
    )
    assert result.exit_code == 0, result.output
    assert "Knowledge portal: http://localhost:8080/" in result.output and "alice" in result.output
    return work
