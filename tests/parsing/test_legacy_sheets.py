"""Excel 97-2003 .xls (written here with xlwt) and binary .xlsb (BIFF12 records written by hand)."""

from __future__ import annotations

import io
import struct
import zipfile
from datetime import datetime

import pytest
import xlwt

from kmingest.parsing import ParseError, ParseLimits, parse_bytes, sniff


def xls(rows_per_sheet: dict[str, list[list[object]]]) -> bytes:
    book = xlwt.Workbook(encoding="utf-8")
    dates = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for name, rows in rows_per_sheet.items():
        sheet = book.add_sheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                sheet.write(r, c, value, dates if isinstance(value, datetime) else xlwt.Style.default_style)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _record(kind: int, payload: bytes = b"") -> bytes:
    def varint(n: int) -> bytes:
        out = bytearray()
        while True:
            out.append((n & 0x7F) | (0x80 if n >> 7 else 0))
            n >>= 7
            if not n:
                return bytes(out)

    return varint(kind) + varint(len(payload)) + payload


def _wide(text: str) -> bytes:
    return struct.pack("<I", len(text)) + text.encode("utf-16-le")


_RELS = (
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{}</Relationships>'
)
_REL = (
    '<Relationship Id="{}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/{}" '
    'Target="{}"/>'
)


def xlsb(sheet_name: str, rows: list[list[str | float]], string_record: int = 0x06) -> bytes:
    """Workbook (BrtBundleSh), one sheet (BrtRowHdr, BrtCellSt inline strings, BrtCellReal), one style.

    string_record=0x07 (BrtCellIsst: an index into a shared-string table this file lacks) makes it corrupt."""
    book = (
        _record(0x83)
        + _record(0x8F)
        + _record(0x9C, struct.pack("<II", 0, 1) + _wide("rId1") + _wide(sheet_name))
    )
    book += _record(0x90) + _record(0x84)
    cells = b""
    for r, row in enumerate(rows):
        cells += _record(0x00, struct.pack("<IIH3sI", r, 0, 0, bytes(3), 0))
        for c, value in enumerate(row):
            head = struct.pack("<II", c, 0)
            body = _wide(value) if isinstance(value, str) else struct.pack("<d", value)
            cells += _record(string_record if isinstance(value, str) else 0x05, head + body)
    sheet = (
        _record(0x81) + _record(0x94, struct.pack("<IIII", 0, len(rows) - 1, 0, 1)) + _record(0x91) + cells
    )
    sheet += _record(0x92) + _record(0x82)
    styles = _record(0x116) + _record(0x269, struct.pack("<I", 1)) + _record(0x2F, bytes(16)) + _record(0x26A)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="bin" ContentType="application/vnd.ms-excel.sheet.binary.macroEnabled.main"/>'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            "</Types>",
        )
        archive.writestr(
            "_rels/.rels", _RELS.format(_REL.format("rId1", "officeDocument", "xl/workbook.bin"))
        )
        archive.writestr(
            "xl/_rels/workbook.bin.rels",
            _RELS.format(
                _REL.format("rId1", "worksheet", "worksheets/sheet1.bin")
                + _REL.format("rId2", "styles", "styles.bin")
            ),
        )
        archive.writestr("xl/workbook.bin", book)
        archive.writestr("xl/worksheets/sheet1.bin", sheet)
        archive.writestr("xl/styles.bin", styles + _record(0x117))
    return buffer.getvalue()


def test_xls_rows_read_like_xlsx_with_dates_and_chinese() -> None:
    data = xls(
        {
            "Suppliers": [["Supplier", "Since", "Rating"], ["华东精密", datetime(2019, 3, 1), 4.5]],
            "Empty": [],
            "Notes": [["WordDocument"]],  # a cell with an OLE2 stream name must not make it a .doc
        }
    )
    assert sniff(data, "suppliers.xls") == "xls"
    content = parse_bytes(data, "suppliers.xls")
    assert content.doc_type == "xls"
    assert "Supplier: 华东精密; Since: 2019-03-01" in content.text
    assert [s.path for s in content.sections] == [("Suppliers",), ("Notes",)]
    assert content.metadata["sheets"] == ["Suppliers", "Empty", "Notes"]


def test_xls_row_limit() -> None:
    data = xls({"Big": [[f"row {i}"] for i in range(50)]})
    with pytest.raises(ParseError, match=r"^xls Big: more than max_sheet_rows=10 rows"):
        parse_bytes(data, "big.xls", ParseLimits(max_sheet_rows=10))


def test_xlsb_is_read_through_calamine() -> None:
    data = xlsb("Parts", [["Part", "Qty"], ["Bolt M8", 40.0]])
    assert sniff(data, "parts.bin") == "xlsb"
    content = parse_bytes(data, "parts.xlsb")
    assert (content.doc_type, content.text) == ("xlsb", "Parts\n\nPart | Qty\nPart: Bolt M8; Qty: 40")
    with pytest.raises(ParseError, match="max_sheet_rows=1"):
        parse_bytes(data, "parts.xlsb", ParseLimits(max_sheet_rows=1))


def test_a_malformed_xlsb_record_fails_instead_of_crashing_the_run() -> None:
    with pytest.raises(ParseError, match=r"^xlsb: malformed workbook"):
        parse_bytes(xlsb("Parts", [["Part"]], string_record=0x07), "broken.xlsb")
