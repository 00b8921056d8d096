"""Tables -> text: xlsx (openpyxl, read-only, cached values; strict OOXML via ooxml_sheets), csv and tsv.

Every row becomes a line "Header1: v1; Header2: v2" using the first non-empty row as the header, so a
passage cut out of a long sheet still says what each value is. A leading one-cell row followed by a wider
row is a caption, not a header. Each xlsx sheet is a section named after the sheet; the sheets' page
headers and footers follow once, outside the sections. An xlsx's core properties (read from the package,
not openpyxl) give the title, and metadata author, created_at and updated_at.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain
from typing import Any

from openpyxl import load_workbook

from kmingest.models import ParsedContent
from kmingest.parsing.base import ParseError, ParseLimits
from kmingest.parsing.builder import TextBuilder
from kmingest.parsing.encoding import decode_text
from kmingest.parsing.fields import field_value
from kmingest.parsing.ooxml_package import Package, core_metadata
from kmingest.parsing.ooxml_sheets import (
    STRICT_MAIN,
    StrictWorkbook,
    header_footer_texts,
    root_namespace,
    workbook_sheets,
)

_BLOCK_CHARS = 2000  # rows are grouped into blocks of about this size
_DELIMITERS = ",;\t|"


def cell_text(value: object) -> str:
    """A cell as text: the same rendering as a record field (dates ISO, whole floats without .0)."""
    return field_value(value)


def _row_lines(rows: Iterable[Sequence[object]], max_rows: int, where: str) -> Iterator[str]:
    names: list[str] | None = None
    pending: list[str] | None = None  # a one-cell first row: a caption, or the header of a 1-column table
    for count, raw in enumerate(rows, 1):
        if count > max_rows:
            raise ParseError(f"{where}: more than max_sheet_rows={max_rows} rows")
        cells = [cell_text(value) for value in raw]
        filled = [cell for cell in cells if cell]
        if not filled:
            continue
        if names is None:
            if pending is None and len(filled) == 1:
                pending = cells
                continue
            if pending is not None and len(filled) > 1:
                yield " ".join(cell for cell in pending if cell)  # it was a caption
                pending = None
            header, pending = pending or cells, None
            names = [cell or f"Column {i}" for i, cell in enumerate(header, 1)]
            yield " | ".join(cell for cell in header if cell)
            if header is cells:
                continue
        names += [f"Column {i}" for i in range(len(names) + 1, len(cells) + 1)]
        yield "; ".join(f"{name}: {cell}" for name, cell in zip(names, cells, strict=False) if cell)
    if pending is not None:
        yield " ".join(cell for cell in pending if cell)


def _add_rows(builder: TextBuilder, lines: Iterable[str]) -> int:
    """Group lines into blocks of about _BLOCK_CHARS; returns the number of lines."""
    block: list[str] = []
    size = n = 0
    for line in lines:
        block.append(line)
        size += len(line) + 1
        n += 1
        if size >= _BLOCK_CHARS:
            builder.paragraph("\n".join(block))
            block, size = [], 0
    builder.paragraph("\n".join(block))
    return n


def add_sheet(
    builder: TextBuilder, title: str, rows: Iterable[Sequence[object]], max_rows: int, fmt: str = "xlsx"
) -> None:
    """One sheet as a section named `title` ("Header: value" lines); nothing for a sheet without cells."""
    lines = _row_lines(rows, max_rows, f"{fmt} {title}")
    first = next(lines, None)
    if first is not None:
        builder.heading(1, title)
        _add_rows(builder, chain([first], lines))


def _read_with_openpyxl(data: bytes, builder: TextBuilder, limits: ParseLimits) -> dict[str, Any]:
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    sheets: list[str] = []
    try:
        for sheet in workbook.worksheets:
            if not hasattr(sheet, "iter_rows"):
                continue  # a chart sheet
            sheets.append(sheet.title)
            if hasattr(sheet, "reset_dimensions"):
                sheet.reset_dimensions()  # a stale A1:XFD1048576 would pad every row to 16384 cells
            add_sheet(builder, sheet.title, sheet.iter_rows(values_only=True), limits.max_sheet_rows)
    finally:
        workbook.close()
    return {"sheets": sheets}


def _read_strict(
    package: Package, workbook: str, root: Any, builder: TextBuilder, limits: ParseLimits
) -> dict[str, Any]:
    """A strict OOXML workbook (openpyxl reads none of its cells)."""
    reader = StrictWorkbook(package, workbook, root, limits.max_chars)
    sheets = [sheet for sheet in workbook_sheets(package, workbook, root) if sheet.kind == "worksheet"]
    for sheet in sheets:
        if sheet.part:
            add_sheet(builder, sheet.title, reader.rows(sheet.part), limits.max_sheet_rows)
    return {"sheets": [sheet.title for sheet in sheets], "strict_ooxml": True}


def parse_xlsx(data: bytes, filename: str, limits: ParseLimits) -> ParsedContent:
    """Cells per sheet (openpyxl; strict OOXML read directly), then the sheets' page headers/footers once."""
    builder = TextBuilder(limits.max_chars)
    with Package(data, "xlsx") as package:
        workbook = package.main_part("xl/workbook.xml")
        root = package.parse(workbook)
        if root_namespace(root) == STRICT_MAIN:
            metadata = _read_strict(package, workbook, root, builder, limits)
        else:
            metadata = _read_with_openpyxl(data, builder, limits)
        # core properties read directly: openpyxl invents created = now for a file without them
        core = core_metadata(package)
        title = core.pop("title", None)
        metadata |= core
        page_texts = dict.fromkeys(
            text
            for sheet in workbook_sheets(package, workbook, root)
            if sheet.part
            for text in header_footer_texts(package, sheet.part)
        )
    builder.leave_sections()
    builder.paragraph("\n".join(page_texts))
    return builder.build("xlsx", title, metadata)


def _delimiter(text: str, default: str) -> str:
    sample = "\n".join(text[:50_000].splitlines()[:30])
    try:
        found = csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
        if found in _DELIMITERS:
            return found
    except csv.Error:
        pass
    counts = {d: sample.count(d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else default


def _tolerant(reader: Iterator[list[str]], skipped: list[int]) -> Iterator[list[str]]:
    """Rows of a csv reader; a malformed row is skipped (and counted) instead of ending the file."""
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error:
            skipped[0] += 1
            if skipped[0] > 10_000:
                return


def parse_delimited(data: bytes, filename: str, limits: ParseLimits, doc_type: str = "csv") -> ParsedContent:
    text = decode_text(data)
    delimiter = _delimiter(text, "\t" if doc_type == "tsv" else ",")
    skipped = [0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    builder = TextBuilder(limits.max_chars)
    n = _add_rows(builder, _row_lines(_tolerant(reader, skipped), limits.max_sheet_rows, doc_type))
    metadata: dict[str, Any] = {"delimiter": delimiter, "rows": n}
    if skipped[0]:
        metadata["malformed_rows"] = skipped[0]
    return builder.build(doc_type, metadata=metadata)


def parse_csv(data: bytes, filename: str, limits: ParseLimits) -> ParsedContent:
    return parse_delimited(data, filename, limits, "csv")


def parse_tsv(data: bytes, filename: str, limits: ParseLimits) -> ParsedContent:
    return parse_delimited(data, filename, limits, "tsv")
