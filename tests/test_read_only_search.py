"""The read path only reads: `kmingest search` and the portal's search on an index that does not exist yet
create nothing (no index file, no Elasticsearch index, no state) and say so; an index built with other
models fails with the fix; a built index is searched as before. Both backends."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from elasticsearch import Elasticsearch

from kmingest.cli import cli
from kmingest.config import Config, load_config
from kmingest.index.base import Caller
from kmingest.index.embedded import EmbeddedIndex
from kmingest.index.es_schema import make_client
from kmingest.portal.auth import PortalUser
from kmingest.portal.context import Portal
from kmingest.portal.service import SearchParams, run_search
from kmingest.testing.embedder import hashed_embedding
from kmingest.workspace import Workspace, open_index
from tests.index.test_elasticsearch import ES_URL

OTHER_MODEL = {"some-other-model": 256}


def write_project(root: Path, index: str = "") -> Path:
    (root / "docs").mkdir()
    (root / "docs" / "valves.txt").write_text(
        "Valve maintenance schedule: every six months.", encoding="utf-8"
    )
    config = root / "kmingest.yaml"
    embedding = f"embedding: {json.dumps(hashed_embedding())}\n"  # JSON is YAML
    sources = "sources:\n  - {name: docs, connector: filesystem, path: docs}\n"
    config.write_text(f"state_dir: state\n{index}{embedding}{sources}", encoding="utf-8")
    return config


def tree(root: Path) -> list[str]:
    """Every file and folder under the project, to show a command created nothing."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def invoke(config: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), *args], obj={})


def es_indices(client: Elasticsearch, prefix: str) -> list[str]:
    return sorted(client.indices.get(index=f"{prefix}-*", expand_wildcards="all").keys())


@pytest.fixture
def es_prefix() -> Iterator[str]:
    prefix = f"kmingest-test-ro-{uuid.uuid4().hex[:8]}"
    client = Elasticsearch(ES_URL)
    yield prefix
    for name in es_indices(client, prefix):
        client.indices.delete(index=name)
    client.close()


def test_search_before_any_ingest_creates_nothing_and_says_to_ingest(tmp_path: Path) -> None:
    config = write_project(tmp_path)
    before = tree(tmp_path)
    result = invoke(config, "search", "valve maintenance")
    assert result.exit_code == 2
    assert f"no index yet at {tmp_path / '.kmingest' / 'index.db'}" in result.output
    assert "run `kmingest ingest --all` first" in result.output
    assert tree(tmp_path) == before  # no index.db, no state.db, no embedding cache


def test_search_on_an_index_of_other_models_fails_with_the_fix_and_changes_nothing(tmp_path: Path) -> None:
    config = write_project(tmp_path)
    index_path = tmp_path / ".kmingest" / "index.db"
    other = EmbeddedIndex(index_path)
    other.ensure_spaces(OTHER_MODEL)
    other.close()
    before = tree(tmp_path)
    result = invoke(config, "search", "valve maintenance")
    assert result.exit_code == 2
    assert "was built with embedding models some-other-model (256-d)" in result.output
    assert "fix: set embedding.models back, or re-embed" in result.output
    assert tree(tmp_path) == before  # no state.db, no embedding cache
    again = EmbeddedIndex(index_path)
    assert again.stored_spaces() == OTHER_MODEL
    again.close()


def test_search_after_ingest_finds_the_document(tmp_path: Path) -> None:
    config = write_project(tmp_path)
    assert invoke(config, "ingest", "--all").exit_code == 0
    result = invoke(config, "search", "valve maintenance", "--json")
    assert result.exit_code == 0, result.output
    assert [h["title"] for h in json.loads(result.stdout)["hits"]] == ["valves"]


def portal_search(config: Config, query: str) -> int:
    """The portal's search as an anonymous user on a workspace the test opens; the total found."""
    with Workspace(config) as ws:
        portal = Portal.open(config, ws)
        try:
            user = PortalUser(
                name="",
                display_name="",
                departments=(),
                groups=(),
                caller=Caller.anonymous(),
                via="token",
                logs_queries=False,
            )
            return run_search(portal, user, SearchParams(q=query)).result.total
        finally:
            portal.close()


def state_rows(config: Config) -> int:
    with Workspace(config) as ws:
        db = ws.state._db
        tables = [r[0] for r in db.query("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return sum(int(db.query(f"SELECT COUNT(*) FROM {t}")[0][0]) for t in tables)


@pytest.mark.integration
def test_elasticsearch_search_before_any_ingest_creates_no_index(tmp_path: Path, es_prefix: str) -> None:
    config = write_project(
        tmp_path, f"index: {{backend: elasticsearch, url: '{ES_URL}', index_prefix: {es_prefix}}}\n"
    )
    before = tree(tmp_path)
    result = invoke(config, "search", "valve maintenance")
    assert result.exit_code == 2
    assert f"no index yet at Elasticsearch index prefix '{es_prefix}'" in result.output
    assert tree(tmp_path) == before
    cfg = load_config(config)
    assert portal_search(cfg, "valve maintenance") == 0
    client = make_client(cfg.index)
    assert es_indices(client, es_prefix) == []  # the portal's search created no index either
    client.close()
    assert state_rows(cfg) == 0


@pytest.mark.integration
def test_elasticsearch_model_mismatch_fails_and_a_built_index_is_searched(
    tmp_path: Path, es_prefix: str
) -> None:
    config = write_project(
        tmp_path, f"index: {{backend: elasticsearch, url: '{ES_URL}', index_prefix: {es_prefix}}}\n"
    )
    cfg = load_config(config)
    other = open_index(cfg)
    other.ensure_spaces(OTHER_MODEL)
    before = tree(tmp_path)
    result = invoke(config, "search", "valve maintenance")
    assert result.exit_code == 2
    assert "was built with embedding models some-other-model (256-d)" in result.output
    assert other.stored_spaces() == OTHER_MODEL and tree(tmp_path) == before
    for name in es_indices(other.client, es_prefix):  # type: ignore[attr-defined]
        other.client.indices.delete(index=name)  # type: ignore[attr-defined]
    other.close()
    assert invoke(config, "ingest", "--all").exit_code == 0
    found = invoke(config, "search", "valve maintenance", "--json")
    assert found.exit_code == 0, found.output
    assert [h["title"] for h in json.loads(found.stdout)["hits"]] == ["valves"]
    assert portal_search(cfg, "valve maintenance") == 1
