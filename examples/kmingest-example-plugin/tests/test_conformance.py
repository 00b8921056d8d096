"""The wiki connector against kmingest's shipped conformance kit (kmingest.testing), as any plugin runs it:
install the plugin (`pip install -e .`, so its entry point is registered), then `pytest` here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kmingest.testing.connector_conformance import ConnectorCase, ConnectorConformance, good, records

PAGES = [
    {"id": "p1", "title": "Onboarding", "body": "Welcome", "space": "HR", "updated": "2026-01-01T00:00:00"},
    {
        "id": "p2",
        "title": "Pricing",
        "body": "Secret",
        "space": "Sales",
        "updated": "2026-01-02T00:00:00",
        "restricted_to": ["Sales"],
    },
]


def wiki_export(folder: Path) -> dict[str, Any]:
    (folder / "wiki.json").write_text(json.dumps({"pages": PAGES}), encoding="utf-8")
    return {}


def wiki_empty(folder: Path) -> dict[str, Any]:
    (folder / "wiki.json").write_text('{"pages": []}', encoding="utf-8")
    return {}


class TestWikiConformance(ConnectorConformance):
    @pytest.fixture
    def case(self) -> ConnectorCase:
        return ConnectorCase("wiki", export=wiki_export, empty=wiki_empty, missing_name="wiki.json")


def test_a_restricted_page_is_readable_by_its_departments_only(tmp_path: Path) -> None:
    wiki_export(tmp_path)
    acl = {r.external_id: r.acl for r in good(records("wiki", tmp_path, {"acl": ["public"]}))}
    assert acl == {"p1": ("public",), "p2": ("dept:Sales",)}
