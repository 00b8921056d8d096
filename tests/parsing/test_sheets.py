"""Spreadsheets and delimited text: every row says which header each value belongs to."""

from __future__ import annotations

import pytest

from kmingest.parsing import ParseError, ParseLimits, parse_bytes

from .builders import staff_xlsx


def test_xlsx_sheets_are_sections_and_rows_are_header_value_lines() -> None:
    content = parse_bytes(staff_xlsx(), "staff.xlsx")
    assert [s.path for s in content.sections] == [("Staff",), ("Offices",)]
    staff = content.sections[0]
    assert content.text[staff.start : staff.end] == (
        "Staff\n\nName | City | Start\nName: Alice; City: Berlin; Start: 2019\nName: Bob; Start: 2021"
    )
    assert "Office: Berlin; Phone: +49 30 1234" in content.text
    assert content.metadata["sheets"] == ["Staff", "Offices", "Empty"]


def test_xlsx_row_limit() -> None:
    with pytest.raises(ParseError, match="max_sheet_rows=2"):
        parse_bytes(staff_xlsx(), "staff.xlsx", ParseLimits(max_sheet_rows=2))


def test_csv_with_sniffed_semicolon_and_a_caption_row() -> None:
    data = b"Price list 2024;;\nItem;Price;Unit\nApples;1,99;kg\n\nPears;2,49;kg\n"
    content = parse_bytes(data, "prices.csv")
    assert content.text == (
        "Price list 2024\nItem | Price | Unit\nItem: Apples; Price: 1,99; Unit: kg\nItem: Pears; Price: 2,49; Unit: kg"
    )
    assert content.metadata["delimiter"] == ";"


def test_tsv_and_rows_longer_than_the_header() -> None:
    content = parse_bytes(b"name\tcity\nAnn\tOslo\textra\n", "people.tsv")
    assert content.doc_type == "tsv"
    assert "name: Ann; city: Oslo; Column 3: extra" in content.text


def test_gb18030_csv_decodes() -> None:
    data = "姓名,城市,部门\n张三,北京,财务部\n李四,上海,人力资源部\n".encode("gb18030")
    content = parse_bytes(data, "员工.csv")
    assert "姓名: 张三; 城市: 北京; 部门: 财务部" in content.text


def test_utf16_csv_with_bom() -> None:
    content = parse_bytes("Team,Cups\nBlues,1\n".encode("utf-16"), "cups.csv")
    assert content.text == "Team | Cups\nTeam: Blues; Cups: 1"


def test_malformed_rows_do_not_abort_the_file() -> None:
    data = b"id,comment\n1,fine\n2," + b"x" * 200_000 + b"\n3,after the bad row\n"  # over csv's field limit
    content = parse_bytes(data, "comments.csv")
    assert content.text == "id | comment\nid: 1; comment: fine\nid: 3; comment: after the bad row"
    assert content.metadata["malformed_rows"] == 1
