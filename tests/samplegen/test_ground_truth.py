"""expected.json agrees with the files: counts, broken items, departments, probes, the sales-only secret."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from samplegen.truth import REASONS

from .readers import csv_rows, jsonl_lines, jsonl_objects, xlsx_groups


def test_returned_counts_match_expected(
    sample_set: tuple[Path, dict[str, int]], expected: dict[str, Any]
) -> None:
    _, counts = sample_set
    for system, truth in expected["systems"].items():
        assert counts[f"{system}_valid"] == truth["valid_documents"]
        assert counts[f"{system}_broken"] == len(truth["broken"])
        assert (
            counts[f"{system}_written"]
            == truth["written_items"]
            == truth["valid_documents"] + len(truth["broken"])
        )
    assert expected["totals"]["valid_documents"] == 192 + 257 + 76


def test_valid_counts_match_the_files(out: Path, expected: dict[str, Any]) -> None:
    written = {
        "erp/materials.csv": len(csv_rows(out / "erp" / "materials.csv", "gb18030")),
        "erp/suppliers.csv": len(csv_rows(out / "erp" / "suppliers.csv", "utf-8-sig")),
        "erp/bom_notes.xlsx": len(xlsx_groups(out / "erp" / "bom_notes.xlsx")),
        "erp/work_instructions.xlsx": len(xlsx_groups(out / "erp" / "work_instructions.xlsx")),
        "crm/accounts.csv": len(csv_rows(out / "crm" / "accounts.csv", "utf-8")),
        "crm/contacts.csv": len(csv_rows(out / "crm" / "contacts.csv", "utf-8")),
        **{
            f"crm/{n}.jsonl": len(jsonl_lines(out / "crm" / f"{n}.jsonl"))
            for n in ("opportunities", "activities", "tickets")
        },
        "oa/manifest.xml": len(ET.parse(out / "oa" / "manifest.xml").getroot().findall("document")),
    }
    for system in ("erp", "crm", "oa"):
        truth = expected["systems"][system]
        for file, valid in truth["documents_by_file"].items():
            # OA: broken manifest entries (missing file, bad date) and listed files that do not parse
            broken_here = sum(
                item["file"] == file or item["reason"] == "corrupt-file" for item in truth["broken"]
            )
            assert valid == written[file] - broken_here, file


def test_departments_add_up(expected: dict[str, Any]) -> None:
    for system, truth in expected["systems"].items():
        assert sum(truth["departments"].values()) == truth["valid_documents"], system
        assert truth["departments"].get("", 0) >= 1, system
    assert set(expected["systems"]["erp"]["departments"]) <= {
        "",
        "生产部",
        "研发部",
        "销售部",
        "质量部",
        "人力资源部",
    }
    assert set(expected["systems"]["crm"]["departments"]) == {
        "",
        "Sales",
        "Customer Service",
        "Quality",
        "R&D",
    }
    assert "人力资源部" in expected["systems"]["oa"]["departments"]


def test_every_reason_class_occurs(expected: dict[str, Any]) -> None:
    reasons = {item["reason"] for truth in expected["systems"].values() for item in truth["broken"]}
    assert reasons == REASONS


def test_probes_find_exactly_their_record(
    record_texts: dict[str, list[tuple[str, str]]], expected: dict[str, Any]
) -> None:
    texts = record_texts
    for system in ("erp", "crm", "oa"):
        probes = expected["systems"][system]["probes"]
        assert 3 <= len(probes) <= 5 and {p["lang"] for p in probes} == {"zh", "en"}
        for probe in probes:
            query = probe["query"].lower()
            hits = [rid for records in texts.values() for rid, text in records if query in text.lower()]
            assert hits == [probe["expect_id"]], probe


def test_sales_only_phrase_is_only_in_its_sales_only_activity(
    out: Path, expected: dict[str, Any], record_texts: dict[str, list[tuple[str, str]]]
) -> None:
    secret = expected["systems"]["crm"]["sales_only"]
    hits = [rid for records in record_texts.values() for rid, text in records if secret["phrase"] in text]
    assert hits == [secret["record_id"]]
    record = next(
        o for o in jsonl_objects(out / "crm" / "activities.jsonl") if o["id"] == secret["record_id"]
    )
    assert (record["visibility"], record["owner_dept"]) == ("sales-only", "Sales")


def test_about_a_quarter_of_crm_records_are_sales_only(out: Path) -> None:
    visibility = [
        row[-2] for name in ("accounts", "contacts") for row in csv_rows(out / "crm" / f"{name}.csv", "utf-8")
    ]
    for name in ("opportunities", "activities", "tickets"):
        visibility += [o["visibility"] for o in jsonl_objects(out / "crm" / f"{name}.jsonl")]
    share = visibility.count("sales-only") / len(visibility)
    assert 0.18 <= share <= 0.32, share


def test_restricted_oa_documents(expected: dict[str, Any]) -> None:
    restricted = {tuple(item["allow"]) for item in expected["systems"]["oa"]["restricted"]}
    assert ("dept:人力资源部",) in restricted
    assert ("group:management",) in restricted
    assert any(any(a.startswith("user:") for a in allow) for allow in restricted)
