"""Shared fixtures. `embedder` is the real default stack (bge-small-en-v1.5 for Latin-script text,
bge-small-zh-v1.5 for Chinese; ONNX int8, fetched by `kmingest models fetch`, loaded offline once), for the
tests about embedding, evaluation and one end-to-end path per backend. Tests whose subject is not the
model name the hashed test embedder in their config (`hashed_embedding()` as the `embedding:` section):
a workspace on such a config embeds with kmingest.testing.embedder.HashedEmbedder for the whole session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kmingest.config import Config
from kmingest.embedding import Embedder, default_model_dir
from kmingest.testing.embedder import use_hashed_models

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    model = Embedder(Config().embedding.routes(), default_model_dir(), batch_size=32)
    assert model.spaces == {"bge-small-en-v1.5-q": 384, "bge-small-zh-v1.5-q": 512}
    return model


@pytest.fixture(scope="session", autouse=True)
def hashed_models() -> Iterator[None]:
    """Configs that name the hashed profiles get the hashed embedder; every other config its real models."""
    with use_hashed_models():
        yield


@pytest.fixture
def repo() -> Path:
    return REPO
