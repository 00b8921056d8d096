"""Excel 97-2003 .xls / .xlt (xlrd, BSD) and Excel binary .xlsb (python-calamine, MIT) -> text.

`parse_bytes` sniffs an OLE2 file with a root "Workbook"/"Book" stream as xls, and an Office zip with
xl/workbook.bin as xlsb (it runs the zip-bomb guard on the latter). Rows are rendered exactly as xlsx
rows are (sheets.py: "Header: value; ..." lines, one section per sheet, at most max_sheet_rows rows per
sheet). pyxlsb is not used: it is LGPL-3.0.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import xlrd
from python_calamine import CalamineError, CalamineWorkbook, PasswordError, SheetTypeEnum

from kmingest.models import ParsedContent
from kmingest.parsing.base import ParseError, ParseLimits
from kmingest.parsing.builder import TextBuilder, squash
from kmingest.parsing.sheets import add_sheet


def _xls_value(cell: Any, datemode: int) -> object:
    if cell.ctype == xlrd.XL_CELL_DATE:
        try:
            return xlrd.xldate.xldate_as_datetime(cell.value, datemode)
        except (xlrd.xldate.XLDateError, ValueError, OverflowError):
            return cell.value
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return bool(cell.value)
    if cell.ctype in (xlrd.XL_CELL_ERROR, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_EMPTY):
        return None
    return cell.value


def _xls_rows(sheet: Any, datemode: int) -> Iterator[list[object]]:
    for index in range(sheet.nrows):
        yield [_xls_value(cell, datemode) for cell in sheet.row(index)]


def parse_xls(data: bytes, filename: str, limits: ParseLimits) -> ParsedContent:
    try:
        # on_demand: sheets are read one at a time; logfile: xlrd prints warnings to stdout otherwise
        book = xlrd.open_workbook(file_contents=data, on_demand=True, logfile=io.StringIO())
    except xlrd.XLRDError as exc:
        if "encrypted" in str(exc).lower():
            raise ParseError("xls: encrypted (password-protected) workbook; remove the password") from None
        raise ParseError(f"xls: {squash(str(exc))[:200]}") from None
    builder = TextBuilder(limits.max_chars)
    try:
        names = book.sheet_names()
        for index, name in enumerate(names):
            sheet = book.sheet_by_index(index)
            if sheet.nrows > limits.max_sheet_rows:
                raise ParseError(f"xls {name}: more than max_sheet_rows={limits.max_sheet_rows} rows")
            add_sheet(builder, name, _xls_rows(sheet, book.datemode), limits.max_sheet_rows, "xls")
            book.unload_sheet(index)
        author = squash(book.user_name or "")
    finally:
        book.release_resources()
    metadata: dict[str, Any] = {"sheets": names}
    if author:
        metadata["author"] = author
    return builder.build("xls", None, metadata)


def parse_xlsb(data: bytes, filename: str, limits: ParseLimits) -> ParsedContent:
    try:
        return _read_xlsb(data, limits)
    except PasswordError:
        raise ParseError("xlsb: encrypted (password-protected) workbook; remove the password") from None
    except CalamineError as exc:
        raise ParseError(f"xlsb: {squash(str(exc))[:200]}") from None
    except BaseException as exc:  # a Rust panic on a malformed file is a BaseException (pyo3)
        if type(exc).__name__ != "PanicException":
            raise
        raise ParseError("xlsb: malformed workbook (the reader gave up on a record)") from None


def _read_xlsb(data: bytes, limits: ParseLimits) -> ParsedContent:
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    builder = TextBuilder(limits.max_chars)
    names: list[str] = []
    try:
        for meta in book.sheets_metadata:
            if meta.typ != SheetTypeEnum.WorkSheet:
                continue  # chart, dialog and macro sheets hold no cell table
            names.append(meta.name)
            sheet = book.get_sheet_by_name(meta.name)
            if sheet.height > limits.max_sheet_rows:
                raise ParseError(f"xlsb {meta.name}: more than max_sheet_rows={limits.max_sheet_rows} rows")
            add_sheet(builder, meta.name, sheet.iter_rows(), limits.max_sheet_rows, "xlsb")
    finally:
        book.close()
    return builder.build("xlsb", None, {"sheets": names})
