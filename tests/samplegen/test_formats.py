"""Each export file has the documented format: encodings, headers, parseable OA files, a sound manifest."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from kmingest.parsing import ParseError, parse_bytes
from samplegen import erp
from samplegen.office import TRACKER

from .readers import csv_rows, jsonl_lines, xlsx_groups


def _broken(expected: dict[str, Any], system: str, reason: str) -> list[dict[str, Any]]:
    return [item for item in expected["systems"][system]["broken"] if item["reason"] == reason]


def test_materials_csv_is_gb18030(out: Path, expected: dict[str, Any]) -> None:
    data = (out / "erp" / "materials.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    bad_line = _broken(expected, "erp", "bad-encoding")[0]["line"]
    lines = data.split(b"\r\n")
    assert lines[0].decode("gb18030").split(",") == list(erp.MATERIALS_HEADER)
    for number, line in enumerate(lines[:-1], 1):
        if number == bad_line:
            with pytest.raises(UnicodeDecodeError):
                line.decode("gb18030")
        else:
            line.decode("gb18030")
    assert lines[-1] == b""


def test_materials_broken_rows(out: Path, expected: dict[str, Any]) -> None:
    rows = csv_rows(out / "erp" / "materials.csv", "gb18030")
    bad_row = _broken(expected, "erp", "bad-row")[0]
    assert len(rows[bad_row["line"] - 2]) == 3
    assert sum(len(row) != 8 for row in rows) == 1
    duplicate = _broken(expected, "erp", "duplicate-id")[0]
    codes = [row[0] for row in rows]
    assert codes.count(duplicate["id"]) == 2 and codes.index(duplicate["id"]) == 5
    assert sum(row[5] == "" for row in rows if len(row) == 8) == 1  # the record without department


def test_suppliers_and_xlsx_headers(out: Path) -> None:
    raw = (out / "erp" / "suppliers.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw[3:].decode("utf-8").splitlines()[0].split(",") == list(erp.SUPPLIERS_HEADER)
    for name, header in (("bom_notes.xlsx", erp.BOM_HEADER), ("work_instructions.xlsx", erp.SOP_HEADER)):
        groups = xlsx_groups(out / "erp" / name)
        assert all(
            len({row[5 if name == "bom_notes.xlsx" else 4] for row in rows}) == 1 for rows in groups.values()
        )
        assert str(next(iter(groups))).startswith(("BOM-", "WI-")), header


def test_work_instruction_groups_have_4_to_10_steps(out: Path) -> None:
    for rows in xlsx_groups(out / "erp" / "work_instructions.xlsx").values():
        assert 4 <= len(rows) <= 10
        assert [row[2] for row in rows] == [10 * (n + 1) for n in range(len(rows))]
    assert all(3 <= len(rows) <= 6 for rows in xlsx_groups(out / "erp" / "bom_notes.xlsx").values())


def test_crm_json_lines(out: Path, expected: dict[str, Any]) -> None:
    bad = _broken(expected, "crm", "bad-json")[0]
    for name in ("opportunities", "activities", "tickets"):
        for number, line in enumerate(jsonl_lines(out / "crm" / f"{name}.jsonl"), 1):
            if name == "activities" and number == bad["line"]:
                with pytest.raises(json.JSONDecodeError):
                    json.loads(line)
                continue
            record = json.loads(line)
            assert record["visibility"] in ("public", "sales-only")
            assert record["owner_dept"] in ("Sales", "Customer Service", "Quality", "R&D", "")
            assert ("id" in record) or (
                name == "tickets" and number == _broken(expected, "crm", "missing-id")[0]["line"]
            )


def test_timestamps_are_in_range(out: Path) -> None:
    low, high = date(2023, 1, 1), date(2026, 10, 31)
    stamps = [row[-1] for row in csv_rows(out / "erp" / "materials.csv", "gb18030") if len(row) == 8]
    assert all(low <= datetime.strptime(s, "%Y-%m-%d %H:%M:%S").date() <= high for s in stamps)
    for line in jsonl_lines(out / "crm" / "tickets.jsonl"):
        moment = datetime.fromisoformat(json.loads(line)["updated_at"])
        assert moment.utcoffset() == timedelta(hours=8)
        assert low <= moment.date() <= high


def test_oa_files_parse_except_the_corrupt_ones(out: Path, expected: dict[str, Any]) -> None:
    corrupt = {item["file"] for item in _broken(expected, "oa", "corrupt-file")}
    assert len(corrupt) == 2
    for path in sorted((out / "oa" / "files").rglob("*")):
        if not path.is_file():
            continue
        where = "oa/" + path.relative_to(out / "oa").as_posix()
        if where in corrupt:
            with pytest.raises(ParseError):
                parse_bytes(path.read_bytes(), path.name)
        else:
            content = parse_bytes(path.read_bytes(), path.name)
            assert content.text.strip(), where
            assert content.doc_type == path.suffix.lstrip("."), where
            assert TRACKER not in content.text


def test_html_chrome_is_there_to_be_dropped(out: Path) -> None:
    pages = list((out / "oa" / "files").rglob("*.html"))
    assert pages
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert "<nav" in html and html.count("<script>") == 2 and TRACKER in html
        assert re.search(r"<title>[^<]+</title>", html) and "<h1>" in html and "<h2>" in html


def test_manifest(out: Path, expected: dict[str, Any]) -> None:
    root = ET.parse(out / "oa" / "manifest.xml").getroot()
    assert root.tag == "export" and root.get("system") == "OA"
    documents = root.findall("document")
    ids = [doc.get("id") for doc in documents]
    assert len(ids) == len(set(ids)) == 80
    listed = {doc.findtext("file"): doc for doc in documents}
    on_disk = {p.relative_to(out / "oa").as_posix() for p in (out / "oa" / "files").rglob("*") if p.is_file()}
    missing = _broken(expected, "oa", "missing-file")[0]
    assert set(listed) - on_disk == {missing["detail"]}
    assert listed[missing["detail"]].get("id") == missing["id"]
    unlisted = _broken(expected, "oa", "unlisted-file")[0]
    assert on_disk - set(listed) == {unlisted["file"].removeprefix("oa/")}
    dates = {doc.get("id"): doc.findtext("publishDate") for doc in documents}
    bad = _broken(expected, "oa", "bad-date")[0]
    assert dates.pop(bad["id"]) == "2024-13-45"
    assert all(date.fromisoformat(d or "") for d in dates.values())
    kinds = {allow.get("type") for doc in documents for allow in doc.iter("allow")}
    assert kinds == {"public", "dept", "user", "group"}
    assert sum(1 for doc in documents if not doc.findtext("department")) >= 1
