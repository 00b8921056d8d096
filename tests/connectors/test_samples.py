"""The ERP, CRM and OA connectors on the bundled sample exports, checked against samples/expected.json
(written by the generator): valid record counts, every deliberately broken item reported with its line,
departments mapped, ACLs from the source's permissions."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from kmingest.config import load_config
from kmingest.connectors import ExtractError, build_connector
from kmingest.models import SourceRecord

REPO = Path(__file__).resolve().parents[2]
EXPECTED = json.loads((REPO / "samples" / "expected.json").read_text(encoding="utf-8"))["systems"]
DEPARTMENTS = {
    "生产部": "Production",
    "研发部": "R&D",
    "销售部": "Sales",
    "质量部": "Quality",
    "人力资源部": "HR",
    "Customer Service": "Sales",
    "": "unassigned",
}


def extract(name: str) -> tuple[list[SourceRecord], list[ExtractError]]:
    cfg = load_config(REPO / "kmingest.yaml")
    items = list(build_connector(cfg.source(name)).extract())
    return [i for i in items if isinstance(i, SourceRecord)], [
        i for i in items if isinstance(i, ExtractError)
    ]


def canonical(raw_counts: dict[str, int]) -> Counter[str]:
    out: Counter[str] = Counter()
    for raw, n in raw_counts.items():
        out[DEPARTMENTS.get(raw, raw)] += n
    return out


@pytest.mark.parametrize("system", ["erp", "crm"])
def test_tabular_presets_yield_every_valid_row_and_report_each_broken_one(system: str) -> None:
    good, errors = extract(system)
    expected = EXPECTED[system]
    assert len(good) == expected["valid_documents"]
    assert Counter(r.department for r in good) == canonical(expected["departments"])
    reported = " | ".join(e.reason for e in errors)
    assert len(errors) == len(expected["broken"])
    for broken in expected["broken"]:
        assert f"line {broken['line']}" in reported, broken


def test_erp_groups_bom_and_sop_rows_into_one_document_each() -> None:
    good, _ = extract("erp")
    by_type = Counter(r.doc_type for r in good)
    assert by_type["bom"] == 20 and by_type["sop"] == 15
    sop = next(r for r in good if r.external_id == "sop:WI-PRD-1004")
    assert sop.fields is not None and sum(k.startswith("#") for k in sop.fields) >= 4
    assert "氦质谱检漏" in json.dumps(sop.fields, ensure_ascii=False, default=str)
    assert sop.updated_at is not None and sop.updated_at.utcoffset() is not None


def test_crm_visibility_maps_to_acl() -> None:
    good, _ = extract("crm")
    secret = next(r for r in good if r.external_id == "activity:ACT-400024")
    assert secret.acl == ("dept:Sales",)
    assert "Bluefin rebate ladder" in json.dumps(secret.fields)
    assert Counter(r.acl for r in good)[("public",)] > 150


def test_oa_reports_missing_unlisted_bad_date_and_maps_permissions() -> None:
    good, errors = extract("oa")
    expected = EXPECTED["oa"]
    corrupt = [b for b in expected["broken"] if b["reason"] == "corrupt-file"]
    assert len(good) == expected["valid_documents"] + len(corrupt)  # corrupt files fail later, at parse
    by_id = {e.external_id: e.reason for e in errors}
    assert "is not a date" in by_id["OA-2023-0044"]
    assert "does not exist" in by_id["OA-2025-0061"]
    assert any(k.startswith("unlisted:") for k in by_id)
    acl = {r.external_id: r.acl for r in good}
    assert acl["OA-2023-0004"] == ("dept:HR",)
    assert acl["OA-2025-0005"] == ("dept:R&D", "user:zhangsan")
    assert acl["OA-2026-0010"] == ("group:management",)
    assert Counter(
        r.department for r in good if r.external_id not in {b["id"] for b in corrupt}
    ) == canonical(expected["departments"])
