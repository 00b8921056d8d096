"""`kmingest reindex` on the real Elasticsearch node (.ci/run starts it): the CLI parses and prints; the
version build, alias swap and clean-up are kmingest.index.reindex's. A failing source leaves the aliases
where they were and deletes the half-built version."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from kmingest.cli import cli
from kmingest.config import parse_config
from kmingest.index.es_schema import Layout, make_client
from tests.index.test_elasticsearch import ES_URL

pytestmark = pytest.mark.integration


def test_a_failing_source_keeps_the_aliases_then_a_good_run_swaps_them(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "valves.txt").write_text("Gate valve torque figures for DN150.", encoding="utf-8")
    prefix = f"kmingest-test-{uuid.uuid4().hex[:8]}"
    docs = {"name": "docs", "connector": "filesystem", "path": str(tmp_path / "docs")}
    broken = {"name": "broken", "connector": "tabular", "path": str(tmp_path / "missing"), "tables": []}
    config: dict[str, object] = {
        "state_dir": str(tmp_path / "state"),
        "index": {"backend": "elasticsearch", "url": ES_URL, "index_prefix": prefix},
        "sources": [docs],
    }
    path = tmp_path / "k.yaml"
    path.write_text(json.dumps(config), encoding="utf-8")
    cfg = parse_config(config, path)
    layout = Layout(make_client(cfg.index), prefix)
    runner = CliRunner()
    try:
        assert runner.invoke(cli, ["--config", str(path), "ingest", "--all"], obj={}).exit_code == 0
        assert layout.current_version() == 1

        path.write_text(json.dumps({**config, "sources": [docs, broken]}), encoding="utf-8")
        failed = runner.invoke(cli, ["--config", str(path), "reindex"], obj={})
        assert failed.exit_code == 2  # a source's configuration: exit 2, as for ingest
        assert failed.output.splitlines()[0] == f"building {prefix} v2 from 2 source(s)"
        assert failed.output.splitlines()[-1].startswith("error: source broken: ")
        assert failed.output.rstrip().endswith("; v2 deleted, the aliases still point at v1")
        assert layout.current_version() == 1
        assert not layout.client.indices.exists(index=f"{prefix}-chunks-v2")

        path.write_text(json.dumps(config), encoding="utf-8")
        done = runner.invoke(cli, ["--config", str(path), "reindex"], obj={})
        assert done.exit_code == 0, done.output
        assert done.output.splitlines() == [
            f"building {prefix} v2 from 1 source(s)",
            "  docs: indexed 1, failed 0, skipped 0",
            "aliases now point at v2; v1 deleted",
        ]
        assert layout.current_version() == 2
        assert not layout.client.indices.exists(index=f"{prefix}-chunks-v1")
    finally:
        layout.drop()
