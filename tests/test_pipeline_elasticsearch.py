"""The pipeline end to end with index.backend: elasticsearch, on the real node `.ci/run` starts: one run
with the default models (the end-to-end path of this backend), and a model change through `kmingest
reindex` with the hashed test embedder (two hashed model ids)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from kmingest.config import parse_config
from kmingest.index.base import Caller, SearchRequest
from kmingest.index.elastic import ElasticIndex
from kmingest.testing.embedder import hashed_embedding
from kmingest.workspace import Workspace
from tests.index.test_elasticsearch import ES_URL
from tests.test_pipeline import folder  # noqa: F401  (the same small folder as the embedded runs)

pytestmark = pytest.mark.integration


def test_ingest_rerun_and_full_sync_on_elasticsearch(folder: Path) -> None:  # noqa: F811
    prefix = f"kmingest-test-{uuid.uuid4().hex[:8]}"
    cfg = parse_config(
        {
            "state_dir": str(folder / "state"),
            "index": {"backend": "elasticsearch", "url": ES_URL, "index_prefix": prefix},
            "sources": [
                {
                    "name": "docs",
                    "connector": "filesystem",
                    "path": str(folder / "docs"),
                    "department_from_folder": True,
                }
            ],
        },
        folder / "kmingest.yaml",
    )
    with Workspace(cfg) as ws:
        assert isinstance(ws.index, ElasticIndex)
        try:
            stats = ws.ingest(["docs"])["docs"]
            assert (stats.indexed, stats.skipped, stats.failed) == (4, 1, 1)
            hits = ws.index.search(SearchRequest(query="torque", mode="bm25"), Caller.system(), None).hits
            assert [h.title for h in hits] == ["Calibration"]
            assert "<mark>" in hits[0].snippet_html
            again = ws.ingest(["docs"])["docs"]
            # the failed record is retried (and fails again); nothing else is read again
            assert (again.unchanged, again.retried, again.indexed, again.embedded) == (5, 1, 0, 0)
            (folder / "docs" / "Quality" / "calibration.md").unlink()
            assert ws.ingest(["docs"], full=True)["docs"].deleted == 1
            assert (
                ws.index.search(SearchRequest(query="torque", mode="bm25"), Caller.system(), None).hits == []
            )
            assert ws.index.stats() == {"documents": 3, "chunks": 3}
            assert ws.index.counts(Caller.system(), ["department"]) == {("HR",): 3}
        finally:
            ws.index.layout.drop()


def test_reindex_builds_a_new_version_and_swaps_the_aliases(folder: Path) -> None:  # noqa: F811
    """A model change is refused until `kmingest reindex` builds the index with the new models."""
    import json

    from click.testing import CliRunner

    from kmingest.cli import cli

    prefix = f"kmingest-test-{uuid.uuid4().hex[:8]}"
    config = {
        "state_dir": str(folder / "state"),
        "index": {"backend": "elasticsearch", "url": ES_URL, "index_prefix": prefix},
        "embedding": hashed_embedding(),
        "sources": [{"name": "docs", "connector": "filesystem", "path": str(folder / "docs")}],
    }
    (folder / "k.yaml").write_text(json.dumps(config))
    runner = CliRunner()
    assert runner.invoke(cli, ["--config", str(folder / "k.yaml"), "ingest", "--all"], obj={}).exit_code == 0
    config["embedding"] = hashed_embedding(names={"latin": "hashed-latin-v2", "cjk": "hashed-cjk"})
    (folder / "k.yaml").write_text(json.dumps(config))
    refused = runner.invoke(cli, ["--config", str(folder / "k.yaml"), "ingest", "--all"], obj={})
    assert refused.exit_code == 2
    assert "hashed-latin (256-d)" in refused.output and "kmingest reindex" in refused.output
    result = runner.invoke(cli, ["--config", str(folder / "k.yaml"), "reindex"], obj={})
    assert result.exit_code == 0, result.output
    assert "aliases now point at v2; v1 deleted" in result.output
    cfg = parse_config(json.loads((folder / "k.yaml").read_text()), folder / "k.yaml")
    with Workspace(cfg) as ws:
        index = ws.index
        assert isinstance(index, ElasticIndex)
        try:
            assert index.layout.current_version() == 2
            assert index.stored_spaces() == {"hashed-latin-v2": 256, "hashed-cjk": 256}
            assert not index.client.indices.exists(index=f"{prefix}-chunks-v1")
            assert index.stats()["documents"] == 4
            assert [
                h.title
                for h in index.search(SearchRequest(query="torque", mode="bm25"), Caller.system(), None).hits
            ] == ["Calibration"]
            # the state follows the new index: a normal ingest afterwards changes nothing
            assert ws.ingest(["docs"])["docs"].indexed == 0
        finally:
            index.layout.drop()
