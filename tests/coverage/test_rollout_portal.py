"""The real portal logs what the rollout figures need: each search with the searcher's departments and a
pseudonym (never the name, in any byte of the log files), and the results opened; the rollout counts them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from kmingest.config import Config, parse_config
from kmingest.coverage.rollout import rollout_for
from kmingest.embedding import Embedder
from kmingest.portal import create_app
from kmingest.portal.context import SEARCHER_KEY_ENV
from kmingest.querylog import QueryLog, query_log_path, searcher_id
from kmingest.workspace import Workspace

REPO = Path(__file__).resolve().parents[2]
ACCESS = yaml.safe_load((REPO / "kmingest.yaml").read_text(encoding="utf-8"))["access"]
SEARCHER_KEY = "searcher-key-for-the-test-of-32-bytes-at-least"
SESSION_KEY = "session-key-for-the-test-of-32-bytes-at-least"


def project(root: Path) -> Config:
    for dept, text in (
        ("Quality", "Torque wrench calibration every six months."),
        ("R&D", "Pump impeller design review checklist."),
    ):
        (root / "docs" / dept).mkdir(parents=True)
        (root / "docs" / dept / "note.txt").write_text(text, encoding="utf-8")
    data = {
        "state_dir": str(root / "state"),
        "index": {"path": str(root / "state" / "index.db")},
        "embedding": {"cache_path": str(root / "emb.db")},
        "sources": [
            {
                "name": "docs",
                "connector": "filesystem",
                "path": str(root / "docs"),
                "system": "fileshare",
                "department_from_folder": True,
            }
        ],
        "access": ACCESS,
        "portal": {"demo_logins": True},
    }
    return parse_config(data, root / "kmingest.yaml")


@pytest.fixture
def portal(
    tmp_path: Path, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[TestClient, Config]]:
    monkeypatch.setenv("KMINGEST_SESSION_SECRET", SESSION_KEY)
    monkeypatch.setenv(SEARCHER_KEY_ENV, SEARCHER_KEY)
    config = project(tmp_path)
    with Workspace(config) as ws:
        assert ws.ingest(["docs"])["docs"].indexed == 2
    with TestClient(create_app(config)) as client:
        yield client, config


def search_as(client: TestClient, user: str, query: str, open_first: bool) -> None:
    client.cookies.clear()
    response = client.post("/login", data={"username": user, "next": "/search"}, follow_redirects=False)
    assert response.status_code == 303
    page = client.get("/search", params={"q": query}).text
    if open_first:
        start = page.index('<li class="hit"')
        href = page[page.index('href="', start) + 6 : page.index('"', page.index('href="', start) + 6)]
        assert client.get(href.replace("&amp;", "&")).status_code == 200


def test_searches_and_opens_are_logged_with_departments_and_pseudonym_only(
    portal: tuple[TestClient, Config],
) -> None:
    client, config = portal
    search_as(client, "bob", "torque calibration", open_first=True)
    search_as(client, "zhangsan", "impeller design", open_first=False)
    search_as(client, "kmlead", "calibration", open_first=False)

    log = QueryLog(query_log_path(config.state_dir))
    entries = {e.query: e for e in log.entries()}
    log.close()
    key = SEARCHER_KEY.encode()
    bob, zhang, lead = entries["torque calibration"], entries["impeller design"], entries["calibration"]
    assert (bob.departments, bob.searcher, len(bob.clicked)) == (("Quality",), searcher_id(key, "bob"), 1)
    assert (zhang.departments, zhang.searcher, zhang.clicked) == (("R&D",), searcher_id(key, "zhangsan"), ())
    assert (lead.departments, lead.searcher) == ((), searcher_id(key, "kmlead"))
    assert len({bob.searcher, zhang.searcher, lead.searcher}) == 3

    names = [n.encode() for n in ("bob", "zhangsan", "kmlead")]
    names += [u["display_name"].encode() for u in ACCESS["users"].values() if "display_name" in u]
    files = sorted(config.state_dir.glob("querylog.db*"))  # the database and its write-ahead log
    assert files and not [(f.name, n) for f in files for n in names if n in f.read_bytes()]

    rollout = rollout_for(config.state_dir, (), (), ("Quality",), datetime.now(UTC), months=1)
    rows = {r.name: r for r in rollout.departments}
    assert (rows["Quality"].searchers, rows["Quality"].searches, rows["Quality"].success_share) == (1, 1, 1.0)
    assert (rows["R&D"].searchers, rows["R&D"].opened, rows["R&D"].pilot) == (1, 0, False)
    assert rows["(none)"].searches == 1
    groups = {r.name: r for r in rollout.groups}
    assert (groups["pilot"].searchers, groups["others"].searchers, groups["all"].searchers) == (1, 2, 3)
    assert json.loads(rollout.model_dump_json())["pilot_departments"] == ["Quality"]
