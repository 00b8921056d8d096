"""The same coverage report (areas with their semantic matches, discovered topics) from the Elasticsearch
backend as from the embedded one (tiny project, real node from scripts/elasticsearch.sh; KMINGEST_ES_URL
overrides the address)."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kmingest.config import Config
from kmingest.coverage.report import build_report
from kmingest.index.elastic import ElasticIndex
from kmingest.workspace import Workspace
from tests.coverage.conftest import tiny_config

pytestmark = pytest.mark.integration
AS_OF = datetime(2026, 10, 1, tzinfo=UTC)


def test_report_is_the_same_on_both_backends(tiny: tuple[Path, Config]) -> None:
    root, embedded_cfg = tiny
    prefix = f"kmingest-cov-{uuid.uuid4().hex[:8]}"
    es_cfg = tiny_config(
        root,
        index={
            "backend": "elasticsearch",
            "index_prefix": prefix,
            "url": os.environ.get("KMINGEST_ES_URL", "http://127.0.0.1:9200"),
        },
        state_dir=str(root / "state-es"),
    )
    with Workspace(embedded_cfg) as ws:
        embedded = build_report(embedded_cfg, ws, as_of=AS_OF)
    with Workspace(es_cfg) as ws:
        try:
            ws.ingest(["docs", "wiki"])
            elastic = build_report(es_cfg, ws, as_of=AS_OF)
        finally:
            assert isinstance(ws.index, ElasticIndex)
            ws.index.layout.drop()
    assert elastic.backend == "elasticsearch" and embedded.backend == "embedded"
    assert elastic.cells == embedded.cells and elastic.totals == embedded.totals
    assert elastic.freshness == embedded.freshness and elastic.problems == embedded.problems
    assert elastic.areas == embedded.areas  # semantic matches too: the same text, models and vectors
    assert elastic.topics == embedded.topics and elastic.area_similarity == embedded.area_similarity
