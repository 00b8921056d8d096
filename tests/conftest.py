"""Shared fixtures. The embedder is the real default stack (bge-small-en-v1.5 for Latin-script text,
bge-small-zh-v1.5 for Chinese; ONNX int8, fetched by `kmingest models fetch`, loaded offline once)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kmingest.config import Config
from kmingest.embedding import Embedder, default_model_dir

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    model = Embedder(Config().embedding.routes(), default_model_dir(), batch_size=32)
    assert model.spaces == {"bge-small-en-v1.5-q": 384, "bge-small-zh-v1.5-q": 512}
    return model


@pytest.fixture
def repo() -> Path:
    return REPO
