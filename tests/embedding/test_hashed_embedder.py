"""The hashed test embedder (kmingest.testing.embedder): deterministic across processes, texts sharing
words or Chinese bigrams are near and texts sharing none are not, it goes through the Embedder interface
(routing by script, the cache, named spaces the model guard checks), and a workspace gets it only for a
config that names it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from kmingest.chunking import chunk_document
from kmingest.config import parse_config
from kmingest.embedding import EmbeddingCache
from kmingest.index.base import IndexError_
from kmingest.index.embedded import EmbeddedIndex
from kmingest.testing.embedder import (
    HASHED_FLOOR,
    HashedEmbedder,
    hashed_embedding,
    hashed_vector,
    use_hashed_models,
)
from kmingest.testing.index_corpus import make_doc
from kmingest.workspace import Workspace, open_embedder

CALIBRATION = "Torque wrenches are calibrated every six months. Gauges out of tolerance are locked."


def cosine(a: str, b: str) -> float:
    return float(hashed_vector(a) @ hashed_vector(b))


def test_vectors_are_unit_length_and_the_same_in_another_process() -> None:
    vector = hashed_vector(CALIBRATION)
    assert vector.shape == (256,) and vector.dtype == np.float32
    assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-6
    code = (
        "import sys; from kmingest.testing.embedder import hashed_vector; "
        "sys.stdout.buffer.write(hashed_vector(sys.argv[1]).tobytes())"
    )
    other = subprocess.run([sys.executable, "-c", code, CALIBRATION], capture_output=True, check=True).stdout
    assert np.array_equal(np.frombuffer(other, dtype=np.float32), vector)
    for empty in ("", "   ", "!!!"):  # never a zero vector (Elasticsearch refuses them for cosine)
        assert abs(float(np.linalg.norm(hashed_vector(empty))) - 1.0) < 1e-6


def test_texts_sharing_words_or_chinese_bigrams_are_near_and_others_are_below_the_floor() -> None:
    assert cosine("calibrating torque wrench", CALIBRATION) > 0.3  # word forms meet
    assert cosine("football world cup final score", CALIBRATION) < HASHED_FLOOR
    inspection = "质量部检验员按照抽样计划对每批来料进行检验。不合格品移入隔离区。"
    assert cosine("来料抽样检验", inspection) > 0.2
    assert cosine("世界杯足球决赛比分", inspection) < HASHED_FLOOR


def test_chunks_are_routed_by_script_cached_and_guarded_like_the_real_models(tmp_path: Path) -> None:
    embedder = HashedEmbedder(cache=EmbeddingCache(tmp_path / "cache.db"))
    english = chunk_document(make_doc("en", "Calibration", CALIBRATION))
    chinese = chunk_document(make_doc("zh", "检验", "不合格品移入隔离区，等待评审。"))
    chunks = [*english, *chinese]
    first = embedder.embed(chunks)
    assert [space for space, _ in first] == ["hashed-latin", "hashed-cjk"]
    second = embedder.embed(chunks)  # from the cache this time
    assert [space for space, _ in second] == ["hashed-latin", "hashed-cjk"]
    assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(first, second, strict=True))
    assert (embedder.computed, embedder.cached) == (2, 2)
    index = EmbeddedIndex(tmp_path / "index.db")
    index.ensure_spaces(embedder.spaces)
    with pytest.raises(IndexError_, match=r"hashed-cjk \(256-d\).*not.*bge-small-en-v1\.5-q"):
        index.ensure_spaces({"bge-small-en-v1.5-q": 384, "bge-small-zh-v1.5-q": 512})
    index.close()


def test_a_workspace_gets_the_hashed_embedder_only_for_a_config_that_names_it(tmp_path: Path) -> None:
    hashed = parse_config({"embedding": hashed_embedding()}, tmp_path / "kmingest.yaml")
    real = parse_config({}, tmp_path / "kmingest.yaml")
    with use_hashed_models():
        with Workspace(hashed) as ws:
            assert isinstance(ws.embedder, HashedEmbedder)
            assert ws.embedder.spaces == {"hashed-latin": 256, "hashed-cjk": 256}
        assert not isinstance(open_embedder(real, None), HashedEmbedder)
