"""The Elasticsearch client built from config: index.url may list several nodes (comma-separated), and the
client fails over between them (tests/test_elasticsearch_cluster.py stops nodes under it)."""

from __future__ import annotations

from kmingest.config import IndexConfig
from kmingest.index.es_schema import make_client, node_urls


def test_one_url_or_several_separated_by_commas() -> None:
    assert node_urls("http://127.0.0.1:9200") == ["http://127.0.0.1:9200"]
    assert node_urls(" http://es1:9200, http://es2:9200 ,,") == ["http://es1:9200", "http://es2:9200"]


def test_the_client_gets_every_listed_node() -> None:
    client = make_client(IndexConfig(backend="elasticsearch", url="http://es1:9200, http://es2:9201"))
    hosts = sorted((node.host, node.port) for node in client.transport.node_pool.all())
    assert hosts == [("es1", 9200), ("es2", 9201)]
    client.close()
