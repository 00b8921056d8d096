"""Routing by script: Chinese chunks and queries go to the Chinese model, the rest to the English one."""

from __future__ import annotations

from pathlib import Path

import pytest

from kmingest.chunking import chunk_document
from kmingest.embedding import Embedder
from kmingest.embedding.routing import cjk_share, script_of
from kmingest.models import Document, sha256_hex


def test_script_counts_chinese_characters_against_latin_words() -> None:
    assert script_of("Torque wrenches are calibrated every six months.") == "latin"
    assert script_of("扭力扳手每六个月校准一次。") == "cjk"
    assert script_of("汽蚀噪声 pump cavitation noise") == "cjk"  # ERP row: 4 characters vs 3 words
    assert script_of("Order 4711 for the 华东 key account was shipped on Monday morning") == "latin"
    assert script_of("") == "latin" and script_of("1234 5678") == "latin"
    assert cjk_share("质量 quality") == 2 / 3


def _doc(ext: str, text: str) -> Document:
    return Document(
        doc_id=ext,
        source="t",
        external_id=ext,
        system="oa",
        title="",
        text=text,
        sections=(),
        doc_type="note",
        department="Quality",
        acl=("public",),
        content_hash=sha256_hex(text),
    )


def test_chunks_get_the_vector_space_of_their_script(embedder: Embedder) -> None:
    chunks = [
        *chunk_document(_doc("en", "Gauges out of tolerance are locked away.")),
        *chunk_document(_doc("zh", "不合格品移入隔离区，等待评审。")),
    ]
    vectors = embedder.embed(chunks)
    assert [space for space, _ in vectors] == ["bge-small-en-v1.5-q", "bge-small-zh-v1.5-q"]
    assert [v.shape for _, v in vectors] == [(384,), (512,)]


def test_cached_vectors_are_kept_per_model(embedder: Embedder, tmp_path: Path) -> None:
    from kmingest.embedding import EmbeddingCache

    cached = Embedder(
        embedder.routes,
        embedder.encoders["bge-small-en-v1.5-q"].model_dir,
        cache=EmbeddingCache(tmp_path / "cache.db"),
    )
    chunks = chunk_document(_doc("zh", "不合格品移入隔离区，等待评审。"))
    first = cached.embed(chunks)
    second = cached.embed(chunks)
    assert (cached.computed, cached.cached) == (1, 1)
    assert first[0][0] == second[0][0] and (first[0][1] == second[0][1]).all()
    assert cached.cache is not None
    assert cached.cache.get_many("bge-small-en-v1.5-q", [chunks[0].text_hash]) == {}  # keyed by model


def test_repeated_queries_are_encoded_once_and_the_cache_is_bounded(embedder: Embedder) -> None:
    calls: list[str] = []
    space = "bge-small-zh-v1.5-q"
    cached = Embedder(embedder.routes, embedder.encoders[space].model_dir, query_cache=2)
    encoder = cached.encoders[space]
    original = encoder.queries
    encoder.queries = lambda texts: calls.extend(texts) or original(texts)  # type: ignore[method-assign]
    first = cached.query(space, "隔离区")
    assert (cached.query(space, "隔离区") == first).all() and calls == ["隔离区"]  # page 2, a facet click
    with pytest.raises(ValueError):
        first[0] = 0.0  # one vector serves every search of the query: nobody may change it
    cached.query(space, "评审")
    cached.query(space, "不合格品")  # the third distinct query pushes out the oldest
    cached.query(space, "隔离区")
    assert calls == ["隔离区", "评审", "不合格品", "隔离区"]
    uncached = Embedder(embedder.routes, embedder.encoders[space].model_dir)  # query_cache=0
    assert (uncached.query(space, "隔离区") == first).all()
