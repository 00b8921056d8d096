"""SearchService binds the similarity floor and fusion settings once from config: every request built
through it carries the floor of the query's own model, for Chinese and English queries alike. The subject
is the binding, not the vectors: the hashed test embedder stands in for the default models (their names
and dimensions)."""

from __future__ import annotations

from typing import cast

import pytest

from kmingest.config import Config
from kmingest.embedding import Embedder
from kmingest.index.base import Caller, IndexBackend, SearchRequest, SearchResult, SemanticQuery
from kmingest.search import SearchService
from kmingest.testing.embedder import HashedEmbedder

ENGLISH = "how often are torque wrenches calibrated"
CHINESE = "扭矩扳手多久校准一次"


class RecordingIndex:
    """Stands in for a backend: keeps the semantic part of each search it is asked."""

    def __init__(self) -> None:
        self.asked: list[SemanticQuery | None] = []

    def search(
        self, request: SearchRequest, caller: Caller, semantic: SemanticQuery | None = None
    ) -> SearchResult:
        self.asked.append(semantic)
        return SearchResult(hits=[], total=0, facets={})


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return HashedEmbedder(Config().embedding.routes())


def service(embedder: Embedder, config: Config) -> tuple[SearchService, RecordingIndex]:
    index = RecordingIndex()
    return SearchService(config, embedder, cast(IndexBackend, index)), index


@pytest.mark.parametrize(
    ("query", "space", "floor", "weight"),
    [(ENGLISH, "bge-small-en-v1.5-q", 0.6, 0.4), (CHINESE, "bge-small-zh-v1.5-q", 0.5, 0.9)],
)
def test_a_search_through_the_service_carries_the_floor_of_its_model(
    embedder: Embedder, query: str, space: str, floor: float, weight: float
) -> None:
    config = Config.model_validate(
        {"search": {"fusion": {"method": "rrf", "latin_weight": 0.4, "cjk_weight": 0.9}}}
    )
    search, index = service(embedder, config)
    search.search(SearchRequest(query=query), Caller.anonymous())
    [semantic] = index.asked
    assert semantic is not None
    assert (semantic.space, semantic.min_similarity, semantic.weight, semantic.fusion) == (
        space,
        floor,
        weight,
        "rrf",
    )
    assert semantic.vector.shape[-1] == embedder.spaces[space]


def test_a_configured_floor_overrides_every_model_and_keyword_searches_embed_nothing(
    embedder: Embedder,
) -> None:
    search, index = service(embedder, Config.model_validate({"search": {"min_similarity": 0.3}}))
    floors = [q.min_similarity for q in (search.semantic(ENGLISH), search.semantic(CHINESE)) if q is not None]
    assert floors == [0.3, 0.3]
    search.search(SearchRequest(query=ENGLISH, mode="bm25"), Caller.anonymous())
    search.search(SearchRequest(query="   "), Caller.anonymous())
    assert index.asked == [None, None]
