""" "People who wrote about this" never names a person known only from documents the searcher may not read:
per demo user of the repo's kmingest.yaml (access.users), on a real index (embedded; Elasticsearch too,
marked integration) built here from documents whose authors are known."""

from __future__ import annotations

import html
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from kmingest.config import Config, parse_config
from kmingest.embedding import Embedder
from kmingest.index.base import allowed
from kmingest.index.elastic import ElasticIndex
from kmingest.portal import create_app
from kmingest.search import caller_for
from kmingest.workspace import Workspace
from tests.portal.conftest import SESSION_SECRET, sign_in

REPO = Path(__file__).resolve().parents[2]
ACCESS = yaml.safe_load((REPO / "kmingest.yaml").read_text(encoding="utf-8"))["access"]
DEMO_USERS = sorted(ACCESS["users"])
DEPARTMENTS = ("Sales", "HR", "Quality", "R&D", "Production")
QUERY = "torque wrench calibration procedure"
# (folder, file, author field, acl, updated_at): every text matches QUERY and no two texts are the same
DOCS = [
    ("Quality", "public-a.md", "Pat Public", ["public"], "2026-05-01"),
    ("Quality", "public-b.md", "Pat Public; Quinn Open", ["public"], "2025-11-01"),
    *[(d, "restricted.md", f"Secret Writer of {d}", [f"dept:{d}"], "2026-08-01") for d in DEPARTMENTS],
    ("Production", "board.md", "Morgan Board", ["group:management"], "2026-07-01"),
]


def config_for(root: Path, index: dict[str, Any] | None = None, state: str = "state") -> Config:
    data = {
        "state_dir": str(root / state),
        "index": index or {"path": str(root / state / "index.db")},
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
        "portal": {"demo_logins": True, "page_size": 20},
    }
    return parse_config(data, root / "kmingest.yaml")


def write_docs(folder: Path) -> None:
    for i, (dept, name, author, acl, updated) in enumerate(DOCS):
        path = folder / dept / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            f"Torque wrench calibration procedure, note {i} for {dept}: calibrate every "
            f"{6 + i} months and record the result.",
            encoding="utf-8",
        )
        meta = {"author": author, "acl": acl, "updated_at": updated}
        (folder / dept / f"{name}.meta.json").write_text(json.dumps(meta), encoding="utf-8")


def readable_people(config: Config, user: str) -> set[str]:
    caller = caller_for(user, config.access)
    people = set()
    for _, _, author, acl, _ in DOCS:
        if allowed(acl, caller):
            people.update(name.strip() for name in author.split(";"))
    return people


ALL_PEOPLE = {name.strip() for _, _, author, _, _ in DOCS for name in author.split(";")}


@pytest.fixture(
    scope="module", params=["embedded", pytest.param("elasticsearch", marks=pytest.mark.integration)]
)
def project(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, embedder: Embedder
) -> Iterator[Config]:
    root = tmp_path_factory.mktemp("experts")
    write_docs(root / "docs")
    if request.param == "embedded":
        config = config_for(root)
    else:
        url = os.environ.get("KMINGEST_ES_URL", "http://127.0.0.1:9200")
        prefix = f"kmingest-experts-{uuid.uuid4().hex[:8]}"
        config = config_for(
            root, {"backend": "elasticsearch", "url": url, "index_prefix": prefix}, "state-es"
        )
    with Workspace(config) as ws:
        assert ws.ingest(["docs"])["docs"].indexed == len(DOCS)
    yield config
    if request.param == "elasticsearch":
        with Workspace(config) as ws:
            assert isinstance(ws.index, ElasticIndex)
            ws.index.layout.drop()


@pytest.fixture(scope="module")
def portal(project: Config) -> Iterator[TestClient]:
    mp = pytest.MonkeyPatch()
    mp.setenv("KMINGEST_SESSION_SECRET", SESSION_SECRET)
    with TestClient(create_app(project)) as client:
        yield client
    mp.undo()


def test_the_demo_users_are_the_repositorys() -> None:
    assert {"alice", "hana", "bob", "zhangsan", "wangwei", "kmlead"} <= set(DEMO_USERS)


@pytest.mark.parametrize("user", DEMO_USERS)
def test_experts_name_only_people_of_readable_documents(
    portal: TestClient, project: Config, user: str
) -> None:
    portal.cookies.clear()
    sign_in(portal, user)
    expected = readable_people(project, user)
    hidden = ALL_PEOPLE - expected
    assert hidden, "every demo user must have someone they may not see, or the test proves nothing"

    body = portal.get("/api/search", params={"q": QUERY, "size": 20}).json()
    named = {person["name"] for person in body["experts"]}
    assert named == expected  # everyone readable who wrote a result, nobody else
    raw = json.dumps(body, ensure_ascii=False)
    assert not [name for name in hidden if name in raw]

    page = portal.get("/search", params={"q": QUERY}).text
    assert "People who wrote about this" in page
    assert all(f'data-person="{html.escape(name)}"' in page for name in expected)  # R&D -> R&amp;D
    assert not [name for name in hidden if name in page or html.escape(name) in page]


def test_own_department_writer_counts_with_the_public_ones(portal: TestClient) -> None:
    portal.cookies.clear()
    sign_in(portal, "bob")  # Quality, group management
    people = {
        p["name"]: p for p in portal.get("/api/search", params={"q": QUERY, "size": 20}).json()["experts"]
    }
    assert set(people) == {"Pat Public", "Quinn Open", "Secret Writer of Quality", "Morgan Board"}
    assert people["Pat Public"]["documents"] == 2 and people["Pat Public"]["latest"].startswith("2026-05-01")


def test_browsing_without_a_query_shows_no_panel(portal: TestClient) -> None:
    portal.cookies.clear()
    sign_in(portal, "alice")
    assert portal.get("/api/search", params={"size": 20}).json()["experts"] == []
    assert "People who wrote about this" not in portal.get("/search").text
