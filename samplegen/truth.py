"""Ground truth of a generated sample export set: what a correct connector run must find.

Each system generator (erp/crm/oa) reports every item it writes to a `SystemTruth`: valid items with
their raw department value, deliberately broken items with a reason class, and search probes. The
collected truth is written as OUT/expected.json (key order fixed, so the file is byte-stable).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REASONS = frozenset(
    {
        "bad-row",
        "bad-encoding",
        "duplicate-id",
        "missing-file",
        "corrupt-file",
        "unlisted-file",
        "bad-date",
        "bad-json",
        "missing-id",
    }
)


@dataclass
class SystemTruth:
    """Counters for one system; `written` counts every item, valid or broken."""

    name: str
    written: int = 0
    by_file: Counter[str] = field(default_factory=Counter)
    departments: Counter[str] = field(default_factory=Counter)
    broken: list[dict[str, Any]] = field(default_factory=list)
    probes: list[dict[str, str]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def ok(self, file: str, department: str) -> None:
        """One valid document from `file` (path relative to OUT) with its raw department value."""
        self.written += 1
        self.by_file[file] += 1
        self.departments[department] += 1

    def bad(self, file: str, reason: str, *, line: int | None, item_id: str | None, detail: str) -> None:
        """One deliberately broken item; it is not counted as a valid document."""
        if reason not in REASONS:
            raise ValueError(f"unknown reason class {reason!r}")
        self.written += 1
        self.broken.append({"file": file, "line": line, "id": item_id, "reason": reason, "detail": detail})

    def probe(self, query: str, lang: str, expect_id: str, file: str) -> None:
        """A search that must return the record `expect_id` (visible to every user)."""
        self.probes.append({"query": query, "lang": lang, "expect_id": expect_id, "file": file})

    @property
    def valid(self) -> int:
        return sum(self.by_file.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "valid_documents": self.valid,
            "written_items": self.written,
            "documents_by_file": dict(sorted(self.by_file.items())),
            "departments": dict(sorted(self.departments.items())),
            "broken": self.broken,
            "probes": self.probes,
            **self.extra,
        }


def write_expected(out: Path, seed: int, scale: int, systems: list[SystemTruth]) -> None:
    doc = {
        "generator": {"name": "kmingest.samplegen", "format_version": 1, "seed": seed, "scale": scale},
        "rules": {
            "valid_documents": "items expected in the index: every item written minus the broken ones",
            "grouping": "erp bom_notes.xlsx and work_instructions.xlsx: one document per BOM编号 / 文件编号",
            "duplicate-id": "the first occurrence is valid, later ones are broken",
            "empty department": "counted under the key '' (maps to 'unassigned')",
            "line": (
                "1-based physical line: in a CSV the header is line 1; in JSONL the first object is line 1"
            ),
            "oa": "files listed in manifest.xml; unlisted files are reported, not indexed",
        },
        "systems": {system.name: system.to_json() for system in systems},
        "totals": {
            "valid_documents": sum(system.valid for system in systems),
            "broken_items": sum(len(system.broken) for system in systems),
        },
    }
    text = json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    (out / "expected.json").write_bytes(text.encode("utf-8"))


def counts(systems: list[SystemTruth]) -> dict[str, int]:
    """generate()'s return value: per system items written, valid and broken."""
    result: dict[str, int] = {}
    for system in systems:
        result[f"{system.name}_written"] = system.written
        result[f"{system.name}_valid"] = system.valid
        result[f"{system.name}_broken"] = len(system.broken)
    return result
