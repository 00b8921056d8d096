"""What one search costs on Elasticsearch, counted on the wire against the real node (`.ci/run` starts it;
KMINGEST_ES_URL overrides the address): a portal page (results, facets, the year facet's eleven counts,
the copies under each hit) takes at most two requests. And the same requests give the same results on the
embedded index and on Elasticsearch, year counts included."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from kmingest.chunking import chunk_document
from kmingest.config import Config, IndexConfig
from kmingest.coverage.experts import Expert
from kmingest.embedding import Embedder
from kmingest.index.base import Caller, Filters, IndexBackend, Mode, SearchRequest, SearchResult
from kmingest.index.elastic import ElasticIndex
from kmingest.index.embedded import EmbeddedIndex
from kmingest.index.es_schema import make_client
from kmingest.models import Document, document_id, sha256_hex
from kmingest.portal.auth import PortalUser
from kmingest.portal.context import Portal
from kmingest.portal.service import SearchOutcome, SearchParams, people_who_wrote, run_search
from kmingest.search import embed_query

pytestmark = pytest.mark.integration

ES_URL = os.environ.get("KMINGEST_ES_URL", "http://127.0.0.1:9200")
QUALITY = Caller(frozenset({"public", "user:bob", "dept:Quality"}))
TOPICS = [
    ("Torque wrench calibration", "Torque wrenches are calibrated every six months by the quality lab."),
    ("Gauge calibration", "Gauges out of tolerance are locked and calibrated again before use."),
    ("Annual leave", "Employees receive ten working days of paid annual leave each year."),
    ("Valve body discount", "Key accounts get a discount on valve bodies ordered in bulk."),
    ("Forklift licence", "Forklift drivers renew their licence every three years at the safety office."),
    ("来料检验规程", "质量部检验员按照抽样计划对每批来料进行检验，不合格品移入隔离区。"),
    ("设备校准", "扭矩扳手每六个月由质量实验室校准一次。"),
]


def corpus() -> list[Document]:
    """Each topic written in several years (2015-2026); three documents repeat the text of the one before
    (duplicate groups); every fifth is readable by Quality only."""
    docs = []
    for n in range(24):
        title, text = TOPICS[n % len(TOPICS)]
        year = 2026 - (n * 5) % 12
        copy = n % 6 == 0 and n > 0  # the same text as the document before it: a duplicate group
        body = docs[-1].text if copy else f"{text} Revision {n}."
        docs.append(
            Document(
                doc_id=document_id("trips", f"doc-{n}"),
                source="trips",
                external_id=f"doc-{n}",
                system="oa",
                title=title,
                text=body,
                sections=(),
                doc_type="policy",
                department=("Quality", "HR", "Sales")[n % 3],
                acl=("dept:Quality",) if n % 5 == 0 else ("public",),
                content_hash=sha256_hex(body),
                updated_at=datetime(year, 1 + n % 12, 1 + n, tzinfo=UTC),
                author=("Li Na", "Wang Wei", "Zhang San", "Ada Park")[n % 4],
            )
        )
    return docs


def fill(index: IndexBackend, embedder: Embedder) -> None:
    index.ensure_spaces(embedder.spaces)
    items = []
    for doc in corpus():
        chunks = chunk_document(doc)
        items.append((doc, chunks, embedder.embed(chunks)))
    index.upsert(items)


@pytest.fixture(scope="module")
def both(
    embedder: Embedder, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[EmbeddedIndex, ElasticIndex]]:
    embedded = EmbeddedIndex(Path(tmp_path_factory.mktemp("trips")) / "index.db")
    elastic = ElasticIndex(
        make_client(IndexConfig(backend="elasticsearch", url=ES_URL)),
        f"kmingest-trips-{uuid.uuid4().hex[:8]}",
    )
    for index in (embedded, elastic):
        fill(index, embedder)
    yield embedded, elastic
    embedded.close()
    elastic.layout.drop()
    elastic.close()


class Wire:
    """Every HTTP request the client sends to a node, as 'METHOD /path' (retries each count)."""

    def __init__(self, index: ElasticIndex, monkeypatch: pytest.MonkeyPatch) -> None:
        self.sent: list[str] = []
        for node in index.client.transport.node_pool.all():
            monkeypatch.setattr(node, "perform_request", self._counting(node.perform_request))

    def _counting(self, send: Any) -> Any:
        def perform_request(method: str, target: str, *args: Any, **kwargs: Any) -> Any:
            self.sent.append(f"{method} {target.split('?')[0]}")
            return send(method, target, *args, **kwargs)

        return perform_request


def portal_page(
    index: IndexBackend, embedder: Embedder, params: SearchParams
) -> tuple[SearchOutcome, list[Expert]]:
    """kmingest.portal.service.run_search and the "people who wrote about this" panel, as the portal builds
    a results page for a signed-in Quality user."""
    workspace = SimpleNamespace(config=Config(), embedder=embedder, index=index)
    portal = cast(Portal, SimpleNamespace(workspace=workspace, zone=UTC, querylog=None))
    user = PortalUser(
        name="bob",
        display_name="Bob",
        departments=("Quality",),
        groups=(),
        caller=QUALITY,
        via="session",
        logs_queries=False,
    )
    outcome = run_search(portal, user, params)
    return outcome, people_who_wrote(portal, user, outcome)


PAGES = [
    SearchParams(q="torque wrench calibration"),
    SearchParams(q="how often are tools checked"),
    SearchParams(q="来料检验"),
    SearchParams(q="calibration", mode="bm25"),
    SearchParams(q="calibration", mode="vector"),
    SearchParams(q="calibration", departments=("Quality",), year="2023"),
    SearchParams(q="licence", page=2, size=2),
    SearchParams(),  # no query: the newest documents
]


@pytest.mark.parametrize("params", PAGES, ids=lambda p: f"{p.mode}:{p.q or 'browse'}")
def test_a_portal_page_on_elasticsearch_costs_at_most_two_requests(
    both: tuple[EmbeddedIndex, ElasticIndex],
    embedder: Embedder,
    params: SearchParams,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    elastic = both[1]
    wire = Wire(elastic, monkeypatch)
    outcome, experts = portal_page(elastic, embedder, params)
    assert outcome.result.total > 0 and outcome.result.hits, params
    readable = {h.author for h in outcome.result.hits[:20]}
    assert {e.name for e in experts} == (readable if params.q else set())  # the panel: no extra requests
    assert outcome.years, "the year facet is shown"
    assert 1 <= len(wire.sent) <= 2, wire.sent
    assert all(sent.endswith("/_msearch") or sent.endswith("/_search") for sent in wire.sent), wire.sent


def comparable(result: SearchResult) -> tuple[Any, ...]:
    hits = [(h.external_id, tuple(d.external_id for d in h.duplicates)) for h in result.hits]
    return hits, result.total, result.facets, result.range_counts


CASES: list[tuple[str, Mode]] = [
    ("calibration of torque wrenches", "hybrid"),
    ("质量检验", "hybrid"),
    ("annual leave", "vector"),
    ("valve", "bm25"),
    ("", "hybrid"),
]
YEARS = tuple(
    (datetime(y, 1, 1, tzinfo=UTC), datetime(y, 12, 31, 23, 59, 59, tzinfo=UTC))
    for y in range(2026, 2014, -1)
)


@pytest.mark.parametrize("vector_k", [50, 2])
def test_both_backends_give_the_same_page_counts_and_year_counts(
    both: tuple[EmbeddedIndex, ElasticIndex], embedder: Embedder, vector_k: int
) -> None:
    """vector_k=2: each year's own nearest documents differ from the unfiltered ones, so Elasticsearch
    counts them from its per-range kNN; the counts still equal what each year's filter returns."""
    for text, mode in CASES:
        semantic = embed_query(embedder, Config(), text, mode)
        request = SearchRequest(query=text, mode=mode, vector_k=vector_k, count_ranges=YEARS, limit=5)
        embedded, elastic = (index.search(request, QUALITY, semantic) for index in both)
        assert comparable(elastic) == comparable(embedded), (text, mode)
        assert elastic.total > 0 and sum(elastic.range_counts or []) > 0, (text, mode)
        per_year = []
        for lo, hi in YEARS:
            in_year = replace(
                request, count_ranges=(), limit=0, filters=Filters(updated_from=lo, updated_to=hi)
            )
            per_year.append(both[1].search(in_year, QUALITY, semantic).total)
        assert elastic.range_counts == per_year, (text, mode)


def test_a_page_past_the_lexical_depth_still_continues_the_keyword_ranking(
    both: tuple[EmbeddedIndex, ElasticIndex],
) -> None:
    for index in both:
        ranking = index.search(SearchRequest(query="calibration", mode="bm25", limit=100), QUALITY)
        assert len(ranking.hits) >= 5
        deep = SearchRequest(query="calibration", mode="bm25", lexical_k=2, offset=3, limit=2)
        page = index.search(deep, QUALITY)
        assert [h.external_id for h in page.hits] == [h.external_id for h in ranking.hits[3:5]]
        assert page.total == ranking.total


@pytest.mark.parametrize("vector_k", [1, 3, 8])
def test_hybrid_counts_agree_where_a_group_has_keyword_and_nearest_copies_in_different_departments(
    both: tuple[EmbeddedIndex, ElasticIndex], embedder: Embedder, vector_k: int
) -> None:
    """Copies share their text but not their title or department, so a duplicate group can have its
    keyword match in one department and its nearest copy in another. Elasticsearch counts the keyword
    matches with their ranking and adds the nearest documents' groups afterwards: each group must still
    count once in all, per facet value and per year, as on the embedded index."""
    queries = [t for title, _ in TOPICS for t in (title, title.split()[0].lower())]
    for text in queries:
        semantic = embed_query(embedder, Config(), text, "hybrid")
        request = SearchRequest(query=text, vector_k=vector_k, count_ranges=YEARS, limit=3)
        embedded, elastic = (index.search(request, QUALITY, semantic) for index in both)
        assert comparable(elastic)[1:] == comparable(embedded)[1:], (text, vector_k)  # the counts
        assert elastic.total > 0
