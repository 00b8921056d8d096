"""Rows grow linearly with scale; OA files grow too, up to a cap, then OA tables get longer."""

from __future__ import annotations

import json
from pathlib import Path

from samplegen import generate, oa

from .readers import csv_rows, jsonl_lines, xlsx_groups


def _sizes(root: Path) -> dict[str, int]:
    return {
        "materials": len(csv_rows(root / "erp" / "materials.csv", "gb18030")),
        "suppliers": len(csv_rows(root / "erp" / "suppliers.csv", "utf-8-sig")),
        "boms": len(xlsx_groups(root / "erp" / "bom_notes.xlsx")),
        "sops": len(xlsx_groups(root / "erp" / "work_instructions.xlsx")),
        "accounts": len(csv_rows(root / "crm" / "accounts.csv", "utf-8")),
        "contacts": len(csv_rows(root / "crm" / "contacts.csv", "utf-8")),
        **{
            name: len(jsonl_lines(root / "crm" / f"{name}.jsonl"))
            for name in ("opportunities", "activities", "tickets")
        },
        "oa_files": sum(1 for p in (root / "oa" / "files").rglob("*") if p.is_file()),
    }


def test_scale_1_sizes(out: Path) -> None:
    assert _sizes(out) == {
        "materials": 120,
        "suppliers": 40,
        "boms": 20,
        "sops": 15,
        "accounts": 30,
        "contacts": 50,
        "opportunities": 40,
        "activities": 80,
        "tickets": 60,
        "oa_files": 80,
    }


def test_scale_3_triples_everything(out: Path, tmp_path: Path) -> None:
    counts = generate(tmp_path, scale=3)
    one, three = _sizes(out), _sizes(tmp_path)
    assert three == {name: 3 * n for name, n in one.items()}
    expected = json.loads((tmp_path / "expected.json").read_text(encoding="utf-8"))
    assert expected["generator"]["scale"] == 3
    assert counts["erp_written"] == 3 * 195 and counts["erp_broken"] == 3  # broken items do not scale


def test_oa_files_are_capped_and_growth_goes_into_rows() -> None:
    assert oa.sizes(1) == (80, 1)
    assert oa.sizes(25) == (2000, 1)
    assert oa.sizes(100) == (2000, 4)
