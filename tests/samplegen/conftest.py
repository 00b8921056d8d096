"""Shared fixtures of the sample generator tests: one scale-1 set generated per test session."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from samplegen import generate

from .readers import all_text


@pytest.fixture(scope="session")
def sample_set(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    out = tmp_path_factory.mktemp("samples-a")
    return out, generate(out, scale=1, seed=42)


@pytest.fixture(scope="session")
def out(sample_set: tuple[Path, dict[str, int]]) -> Path:
    return sample_set[0]


@pytest.fixture(scope="session")
def expected(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "expected.json").read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="session")
def record_texts(out: Path) -> dict[str, list[tuple[str, str]]]:
    return all_text(out)
