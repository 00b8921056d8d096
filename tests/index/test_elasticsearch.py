"""The Elasticsearch backend against the shared index contract, on the real node `.ci/run` starts
(scripts/elasticsearch.sh; KMINGEST_ES_URL overrides the address)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from kmingest.config import IndexConfig
from kmingest.index.elastic import ElasticIndex
from kmingest.index.es_schema import make_client
from tests.index.contract import *  # noqa: F403  (the contract tests)

pytestmark = pytest.mark.integration

ES_URL = os.environ.get("KMINGEST_ES_URL", "http://127.0.0.1:9200")


@pytest.fixture
def backend() -> Iterator[ElasticIndex]:
    client = make_client(IndexConfig(backend="elasticsearch", url=ES_URL))
    health = client.cluster.health(wait_for_status="yellow", timeout="30s")
    assert health["status"] in ("green", "yellow"), f"Elasticsearch at {ES_URL} is not healthy: {health}"
    index = ElasticIndex(client, f"kmingest-test-{uuid.uuid4().hex[:8]}")
    yield index
    index.layout.drop()
    index.close()
