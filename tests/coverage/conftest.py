"""Coverage fixtures: the bundled sample exports ingested once per session into a temporary project (with
the repo's knowledge_map.yaml), and a tiny project for history/diff tests.

The sample copy gets fixed file times for samples/files (the filesystem connector dates files by mtime), and
reports are built `as_of` the export date, so every age and area status is the same on every machine.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

from kmingest.config import Config, parse_config
from kmingest.embedding import Embedder
from kmingest.state import RunStats
from kmingest.workspace import Workspace

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "coverage"
CST = timezone(timedelta(hours=8))
AS_OF = datetime(2026, 11, 1, tzinfo=CST)  # the sample export was generated 2026-10-31 18:00 +08:00
FILE_TIME = datetime(2026, 10, 15, 12, 0, tzinfo=UTC)  # mtime given to every file under samples/files


@dataclass
class SampleProject:
    root: Path
    config: Config
    stats: dict[str, RunStats]
    expected: dict[str, Any]


def sample_config(root: Path, **coverage: Any) -> Config:
    data = yaml.safe_load((REPO / "kmingest.yaml").read_text(encoding="utf-8"))
    data.update(
        {
            "state_dir": str(root / "state"),
            "index": {"path": str(root / "state" / "index.db")},
            "embedding": {"cache_path": str(root / "state" / "embeddings.db")},
        }
    )
    data["coverage"] = {
        "knowledge_map": str(REPO / "knowledge_map.yaml"),
        "reports_dir": str(root / "reports"),
        **coverage,
    }
    data["access"] = {**data.get("access", {}), "km_leads": ["kmlead"]}
    data["access"].setdefault("users", {})["kmlead"] = {}
    data["portal"] = {**data.get("portal", {}), "demo_logins": True}
    return parse_config(data, root / "kmingest.yaml")


@pytest.fixture(scope="session")
def samples(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> SampleProject:
    root = tmp_path_factory.mktemp("coverage-samples")
    shutil.copytree(REPO / "samples", root / "samples")
    stamp = FILE_TIME.timestamp()
    for path in (root / "samples" / "files").rglob("*"):
        os.utime(path, (stamp, stamp))
    cache = REPO / ".kmingest" / "embeddings.db"  # unchanged text is not embedded again when present
    if cache.exists():
        (root / "state").mkdir()
        shutil.copy(cache, root / "state" / "embeddings.db")
    config = sample_config(root)
    with Workspace(config) as ws:
        stats = ws.ingest([s.name for s in config.sources])
    expected = json.loads((root / "samples" / "expected.json").read_text(encoding="utf-8"))
    return SampleProject(root, config, stats, expected)


# ---- a tiny project -------------------------------------------------------------------------------------
def tiny_config(root: Path, **extra: Any) -> Config:
    data = {
        "state_dir": str(root / "state"),
        "index": {"path": str(root / "state" / "index.db")},
        "embedding": {"cache_path": str(root / "state" / "embeddings.db")},
        "sources": [
            {
                "name": "docs",
                "connector": "filesystem",
                "path": str(root / "docs"),
                "system": "fileshare",
                "department_from_folder": True,
            },
            {
                "name": "wiki",
                "connector": "filesystem",
                "path": str(root / "wiki"),
                "system": "wiki",
                "department_from_folder": True,
            },
        ],
        "coverage": {
            "knowledge_map": str(root / "knowledge_map.yaml"),
            "thin_below": 2,
            "stale_after_days": 365,
            "near_empty_chars": 50,
        },
        **extra,
    }
    return parse_config(data, root / "kmingest.yaml")


TINY_MAP = """
departments:
  Quality:
    - name: Calibration
      keywords: [calibration]
    - name: Welding inspection
      keywords: [weld inspection]
  HR:
    - name: Annual leave
      keywords: [annual leave]
"""


def write_file(root: Path, rel: str, text: str, when: datetime) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    os.utime(path, (when.timestamp(), when.timestamp()))


@pytest.fixture
def tiny(tmp_path: Path, embedder: Embedder) -> Iterator[tuple[Path, Config]]:
    """Two sources: Quality + HR files in docs/, a copy of one Quality file in wiki/ (a duplicate)."""
    recent, old = datetime(2026, 9, 1, tzinfo=UTC), datetime(2024, 1, 10, tzinfo=UTC)
    calib = "Torque wrenches get a calibration every six months in the metrology lab. " * 3
    write_file(tmp_path, "docs/Quality/calibration.md", calib, recent)
    write_file(
        tmp_path, "docs/Quality/gauges.txt", "Gauge calibration records are kept for ten years. " * 2, recent
    )
    write_file(tmp_path, "docs/HR/leave.md", "Employees get fifteen days of annual leave.", old)
    (tmp_path / "docs/HR/scan.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))  # skipped: an image, no OCR
    write_file(tmp_path, "wiki/Quality/calibration-copy.md", calib, recent)
    (tmp_path / "knowledge_map.yaml").write_text(TINY_MAP, encoding="utf-8")
    config = tiny_config(tmp_path)
    with Workspace(config) as ws:
        ws.ingest(["docs", "wiki"])
    yield tmp_path, config
