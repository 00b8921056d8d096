"""The Elasticsearch backend against the shared index contract, on the real node `.ci/run` starts
(scripts/elasticsearch.sh; KMINGEST_ES_URL overrides the address)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from kmingest.config import IndexConfig
from kmingest.index import elastic, es_schema
from kmingest.index.elastic import ElasticIndex
from kmingest.index.es_schema import make_client
from tests.index.contract import *  # noqa: F403  (the contract tests)
from tests.index.contract import COPIES, HANA_HR, ext_ids, index_docs, query

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


def test_an_index_created_before_fingerprints_is_searched_then_written_and_collapses(
    backend: ElasticIndex, embedder, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    original = es_schema.load_mapping

    def without_fingerprint(kind: str, spaces: Mapping[str, int]) -> dict[str, Any]:
        body = original(kind, spaces)
        del body["mappings"]["properties"]["fingerprint"]
        return body

    with monkeypatch.context() as old:  # what the previous version created and wrote
        old.setattr(es_schema, "load_mapping", without_fingerprint)
        old.setattr(elastic, "group_fingerprint", lambda text: None)
        backend._fingerprint_mapped = True
        index_docs(backend, embedder, COPIES[:2])
    before = query(backend, embedder, "forklift licence", caller=HANA_HR, mode="bm25")
    assert sorted(ext_ids(before)) == ["archive/1", "inbox/1"] and before.total == 2  # no collapsing yet
    writer = ElasticIndex(backend.client, backend.layout.prefix)  # this version: adds the field on write
    index_docs(writer, embedder, COPIES)
    after = query(backend, embedder, "forklift licence", caller=HANA_HR, mode="bm25")
    assert len([h for h in after.hits if h.external_id != "fleet"]) == 1 and after.total == 2


def test_index_shards_and_replicas_from_config_are_written_into_both_indices(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from kmingest.config import parse_config
    from kmingest.workspace import open_index

    prefix = f"kmingest-shards-{uuid.uuid4().hex[:8]}"
    cfg = parse_config(
        {
            "index": {
                "backend": "elasticsearch",
                "url": ES_URL,
                "index_prefix": prefix,
                "shards": 2,
                "replicas": 0,
            }
        },
        tmp_path / "kmingest.yaml",
    )
    index = open_index(cfg)
    assert isinstance(index, ElasticIndex)
    try:
        index.layout.create({"space": 4})
        for kind in ("chunks", "documents"):
            settings = index.client.indices.get_settings(index=index.layout.alias(kind))
            (body,) = settings.values()
            assert body["settings"]["index"]["number_of_shards"] == "2"
            assert body["settings"]["index"]["number_of_replicas"] == "0"
    finally:
        index.layout.drop()
        index.close()
