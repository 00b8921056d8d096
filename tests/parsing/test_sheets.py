"""Spreadsheets and delimited text: every row says which header each value belongs to."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from kmingest.parsing import ParseError, ParseLimits, parse_bytes

from .builders import staff_xlsx
from .office_builders import strict_xlsx


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
        "Price list 2024\nItem | Price | Unit\n"
        "Item: Apples; Price: 1,99; Unit: kg\nItem: Pears; Price: 2,49; Unit: kg"
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


def _payroll_with_page_headers() -> bytes:
    workbook = Workbook()
    payroll = workbook.active
    payroll.title = "Payroll"
    payroll.append(["Name", "Salary"])
    payroll.append(["Ann", 5000])
    payroll.oddHeader.left.text = "Payroll 2024 && bonuses"  # && is how a header writes one &
    payroll.oddHeader.right.text = "Strictly confidential"
    payroll.oddFooter.left.font = "Arial,Bold"
    payroll.oddFooter.left.size = 14
    payroll.oddFooter.left.color = "FF0000"
    payroll.oddFooter.left.text = "Finance department"
    payroll.oddFooter.center.text = "Page &P of &N"
    bonus = workbook.create_sheet("Bonus")
    bonus.append(["Name", "Bonus"])
    bonus.append(["Ann", 300])
    bonus.oddHeader.left.text = "Payroll 2024 && bonuses"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_page_headers_and_footers_once_at_the_end_without_codes() -> None:
    content = parse_bytes(_payroll_with_page_headers(), "payroll.xlsx")
    assert content.text.endswith("\n\nPayroll 2024 & bonuses\nStrictly confidential\nFinance department")
    assert content.text.count("Payroll 2024") == 1
    assert "&" not in content.text.replace("2024 & bonuses", "") and "Page" not in content.text
    assert [s.path for s in content.sections] == [("Payroll",), ("Bonus",)]
    assert content.sections[-1].end < content.text.index("Payroll 2024")


STRICT_ROWS = (
    '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c></row>'
    '<row r="2"><c r="A2" t="s"><v>3</v></c><c r="B2"><v>12</v></c><c r="C2" s="1"><v>45000</v></c></row>'
    '<row r="4"><c r="A4" t="inlineStr"><is><t>Gasket kit</t></is></c><c r="C4" t="d"><v>2024-03-01</v></c>'
    '<c r="D4" t="b"><v>1</v></c></row>'
)
STRICT_STYLES = '<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14"/></cellXfs>'  # 14: a date format
STRICT_HEADER = (
    "<headerFooter><oddHeader>&amp;LWarehouse 7&amp;RConfidential</oddHeader>"
    "<oddFooter>&amp;CPage &amp;P of &amp;N</oddFooter></headerFooter>"
)


def test_strict_ooxml_xlsx_is_read_cells_dates_and_page_headers() -> None:
    data = strict_xlsx(
        ["Part", "Stock", "Checked", "Hydraulic pump"], STRICT_ROWS, STRICT_STYLES, STRICT_HEADER
    )
    content = parse_bytes(data, "inventory.xlsx")
    assert content.text == (
        "Inventory\n\nPart | Stock | Checked\nPart: Hydraulic pump; Stock: 12; Checked: 2023-03-15\n"
        "Part: Gasket kit; Checked: 2024-03-01; Column 4: true\n\nWarehouse 7\nConfidential"
    )
    assert content.sections[0].path == ("Inventory",)
    assert content.metadata == {"sheets": ["Inventory"], "strict_ooxml": True}


def test_strict_ooxml_xlsx_keeps_the_row_limit() -> None:
    data = strict_xlsx(["Part", "Stock", "Checked", "Hydraulic pump"], STRICT_ROWS, STRICT_STYLES)
    with pytest.raises(ParseError, match=r"^xlsx Inventory: more than max_sheet_rows=3 rows$"):
        parse_bytes(data, "inventory.xlsx", ParseLimits(max_sheet_rows=3))
