"""Shared fixtures. The embedding model is the real all-MiniLM-L6-v2 (loaded offline, once per session)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kmingest.embedding import Embedder

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    model = Embedder("all-MiniLM-L6-v2", batch_size=32)
    assert model.dimension == 384
    return model


@pytest.fixture
def repo() -> Path:
    return REPO
