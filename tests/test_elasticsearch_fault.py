"""Fault test with a real node: Elasticsearch stops in the middle of an ingest. The run fails with a clear
error and the checkpoint does not advance; after the node is back, a rerun converges to exactly the
documents of the source (none lost, none duplicated). Uses its own node (port 9202) so the shared one
the other tests use keeps running."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from elasticsearch import ConnectionError as ESConnectionError

from kmingest.config import parse_config
from kmingest.index.base import Caller
from kmingest.workspace import Workspace

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[1]
PORT = "9202"


def node(action: str) -> None:
    env = {**os.environ, "KMINGEST_ES_PORT": PORT}
    subprocess.run(
        ["bash", str(REPO / "scripts" / "elasticsearch.sh"), action], check=True, env=env, capture_output=True
    )


@pytest.fixture
def own_node() -> Iterator[str]:
    node("start")
    yield f"http://127.0.0.1:{PORT}"
    node("stop")


def test_node_stopping_mid_ingest_fails_the_run_and_a_rerun_converges(tmp_path: Path, own_node: str) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(200):
        (docs / f"note-{i:03d}.txt").write_text(f"Maintenance note {i}: pump {i % 7} seal checked.", "utf-8")
    cfg = parse_config(
        {
            "state_dir": str(tmp_path / "state"),
            "index": {
                "backend": "elasticsearch",
                "url": own_node,
                "index_prefix": f"kmingest-fault-{uuid.uuid4().hex[:8]}",
            },
            "sources": [{"name": "notes", "connector": "filesystem", "path": str(docs)}],
        },
        tmp_path / "kmingest.yaml",
    )
    stopped = []

    def stop_after_first_batches(seen: int) -> None:
        if seen == 100 and not stopped:  # batches of 64: one batch is committed, the second is pending
            node("stop")
            stopped.append(seen)

    with Workspace(cfg) as ws:
        with pytest.raises(ESConnectionError):
            ws.ingest(["notes"], progress=lambda name: stop_after_first_batches)
        assert stopped == [100]
        assert ws.state.checkpoint("notes") is None
        run = ws.state.runs("notes")[0]
        assert run.status == "failed" and "Connection" in (run.error or "")
        assert len(ws.state.known("notes")) == 64  # only what the node acknowledged is recorded
    node("start")
    with Workspace(cfg) as ws:
        stats = ws.ingest(["notes"])["notes"]
        assert (stats.unchanged, stats.new) == (64, 136)
        assert ws.index.stats() == {"documents": 200, "chunks": 200}
        assert sum(ws.index.counts(Caller.system(), ["source"]).values()) == 200
        assert ws.state.checkpoint("notes") is not None
        again = ws.ingest(["notes"], full=True)["notes"]
        assert (again.unchanged, again.indexed, again.deleted) == (200, 0, 0)
        assert ws.index.stats() == {"documents": 200, "chunks": 200}
        ws.index.layout.drop()  # type: ignore[attr-defined]
