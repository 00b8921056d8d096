"""The Elasticsearch backend against the shipped index contract (kmingest.testing.index_contract), on the
real node `.ci/run` starts (scripts/elasticsearch.sh; KMINGEST_ES_URL overrides the address), plus what
only it has (an index created by an earlier version, shards and replicas from config)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from kmingest.config import Config, IndexConfig
from kmingest.embedding import Embedder
from kmingest.index import elastic_bulk, es_schema
from kmingest.index.base import Caller, IndexBackend
from kmingest.index.elastic import ElasticIndex
from kmingest.index.es_requests import composite_buckets
from kmingest.index.es_schema import make_client
from kmingest.testing.index_contract import SemanticIndexContract
from kmingest.testing.index_corpus import COPIES, HANA_HR, ContractSearch, ext_ids, index_docs

pytestmark = pytest.mark.integration

ES_URL = os.environ.get("KMINGEST_ES_URL", "http://127.0.0.1:9200")


def healthy_client() -> Elasticsearch:
    client = make_client(IndexConfig(backend="elasticsearch", url=ES_URL))
    health = client.cluster.health(wait_for_status="yellow", timeout="30s")
    assert health["status"] in ("green", "yellow"), f"Elasticsearch at {ES_URL} is not healthy: {health}"
    return client


@contextmanager
def new_elastic_index() -> Iterator[ElasticIndex]:
    """A new index under a prefix of its own, with its own client (closing the index closes it), dropped
    on exit."""
    index = ElasticIndex(healthy_client(), f"kmingest-test-{uuid.uuid4().hex[:8]}")
    try:
        yield index
    finally:
        index.layout.drop()
        index.close()


class TestElasticsearchContract(SemanticIndexContract):
    @pytest.fixture(scope="class")
    @classmethod
    def open_index(cls) -> Callable[[], AbstractContextManager[IndexBackend]]:
        return new_elastic_index

    @pytest.fixture(scope="class")
    @classmethod
    def search(cls, embedder: Embedder) -> ContractSearch:
        return ContractSearch(embedder, Config())  # the session's real models (tests/conftest.py)


@pytest.fixture
def backend() -> Iterator[ElasticIndex]:
    with new_elastic_index() as index:
        yield index


@pytest.fixture(scope="module")
def search() -> ContractSearch:
    return ContractSearch.hashed()


def test_an_index_created_before_fingerprints_is_searched_then_written_and_collapses(
    backend: ElasticIndex, search: ContractSearch, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = es_schema.load_mapping

    def without_fingerprint(kind: str, spaces: Mapping[str, int]) -> dict[str, Any]:
        body = original(kind, spaces)
        del body["mappings"]["properties"]["fingerprint"]
        return body

    with monkeypatch.context() as old:  # what the previous version created and wrote
        old.setattr(es_schema, "load_mapping", without_fingerprint)
        old.setattr(elastic_bulk, "group_fingerprint", lambda text: None)
        backend._fingerprint_mapped = True
        index_docs(backend, search.embedder, COPIES[:2])
    before = search.query(backend, "forklift licence", caller=HANA_HR, mode="bm25")
    assert sorted(ext_ids(before)) == ["archive/1", "inbox/1"] and before.total == 2  # no collapsing yet
    writer = ElasticIndex(backend.client, backend.layout.prefix)  # this version: adds the field on write
    search.index(writer, COPIES)
    after = search.query(backend, "forklift licence", caller=HANA_HR, mode="bm25")
    assert len([h for h in after.hits if h.external_id != "fleet"]) == 1 and after.total == 2


def test_index_shards_and_replicas_from_config_are_written_into_both_indices(tmp_path: Path) -> None:
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


def test_keyword_matches_read_every_page_of_the_composite_aggregation(
    backend: ElasticIndex, search: ContractSearch
) -> None:
    """Coverage asks for every document with a term, past the 10,000 hits a search can return: the ids come
    from a composite aggregation read page by page (here 3 per page over the four documents)."""
    index_docs(backend, search.embedder, COPIES)
    by_doc = [{"doc_id": {"terms": {"field": "doc_id"}}}]
    buckets = composite_buckets(backend.client, backend.chunks, {"match_all": {}}, by_doc, page=3)
    paged = [str(b["key"]["doc_id"]) for b in buckets]
    assert len(paged) == len(set(paged)) == len(COPIES) == 4
    assert set(paged) == backend.keyword_matches("forklift", Caller.system())
    assert len(backend.keyword_matches("forklift", HANA_HR)) == 3  # the Sales copy is not readable
