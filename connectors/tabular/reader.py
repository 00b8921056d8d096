"""Reads tabular exports row by row: CSV/TSV (any encoding, decoded per line so one bad line is reported,
not hidden), XLSX (a sheet, real date cells) and JSON Lines. Yields Row or RowError with the line number.

Every file is loaded through kmingest.connectors.guard (inside the source folder, a regular file, size
checked before reading, bounded read). XLSX gets the parsers' guards (kmingest.parsing.guard): zip-bomb
check on the central directory before openpyxl sees it, and a time limit on loading and on reading rows.
Limits apply per row: a row or cell over its limit is a RowError for that row, the file goes on.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from kmingest.connectors.base import ConnectorConfigError
from kmingest.connectors.guard import UnsafeFile, read_file
from kmingest.parsing.base import ParseError, ParseLimits
from kmingest.parsing.guard import Deadline, check_size, check_zip, time_limit, time_limit_error

FORMATS = ("csv", "tsv", "xlsx", "jsonl")
XLSX_ROWS_PER_TIMER = 64  # rows read under one time-limit timer (their size is bounded by max_row_kb)


@dataclass(frozen=True)
class Row:
    line: int
    values: dict[str, Any]


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str


class TableFileError(Exception):
    """The whole file is refused (outside the folder, not a regular file, over a size/zip/time limit)."""


@dataclass(frozen=True)
class FileLayout:
    """How a file is laid out (TableSpec.layout): format, text encoding, CSV dialect, header."""

    format: str = "auto"
    encoding: str = "auto"
    sheet: str | None = None
    delimiter: str | None = None  # None: "," for csv, tab for tsv
    quotechar: str = '"'
    columns: tuple[str, ...] = ()  # names for a file without a header row
    skip_rows: int = 0  # rows dropped before the header (or before the data, with `columns`)


def header_problems(header: list[str]) -> list[str]:
    """Empty and repeated header cells: an empty one is never read, a repeated name keeps the last cell."""
    problems = []
    for i, name in enumerate(header, start=1):
        if not name:
            problems.append(
                f"header cell {i} is empty (a pandas index?): that column is not read "
                "(fix: if it holds data, name every column with `columns:` and `skip_rows: 1`)"
            )
    for name in dict.fromkeys(n for n in header if n and header.count(n) > 1):
        places = ", ".join(str(i) for i, n in enumerate(header, start=1) if n == name)
        problems.append(
            f"column {name!r} appears in header cells {places}: only the last one is read "
            "(fix: name every column with `columns:` and `skip_rows: 1`)"
        )
    return problems


@dataclass(frozen=True)
class TableLimits:
    root: Path  # files must lie inside it
    max_row_chars: int = 1024 * 1024
    parse: ParseLimits = ParseLimits()  # max_file_bytes, zip ratio and size, max_seconds


def detect_format(path: Path, declared: str) -> str:
    if declared != "auto":
        return declared
    suffix = path.suffix.lower().lstrip(".")
    if suffix in ("ndjson", "json"):
        return "jsonl"
    if suffix in FORMATS:
        return suffix
    raise ConnectorConfigError(
        f"{path}: cannot tell the format from the name (fix: set format: csv|tsv|xlsx|jsonl)"
    )


def load(path: Path, limits: TableLimits) -> bytes:
    """The file's bytes through the connector read guard; TableFileError names the refused limit."""
    try:
        data = read_file(path, limits.root, limits.parse.max_file_bytes)
        check_size(data, limits.parse)
    except (UnsafeFile, ParseError) as err:
        raise TableFileError(str(err)) from None
    return data


def _encoding(data: bytes, declared: str) -> str:
    """`auto`: UTF-8 (with or without BOM) when every byte decodes, else GB18030 (the usual encoding of
    Chinese ERP exports). Set `encoding` explicitly for anything else (big5, cp1252, utf-16...)."""
    if declared != "auto":
        return declared
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        return "gb18030"


def _decoded_lines(data: bytes, encoding: str, errors: dict[int, RowError]) -> Iterator[str]:
    """Physical lines as text (with their newline), lazily; a line that does not decode becomes an error
    and an empty line."""
    if encoding.startswith("utf-8") and data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
        encoding = "utf-8"
    for n, raw in enumerate(io.BytesIO(data), start=1):
        try:
            yield raw.rstrip(b"\n").decode(encoding) + "\n"
        except UnicodeDecodeError as err:
            errors[n] = RowError(n, f"line {n}: bytes not valid in {encoding} at column {err.start + 1}")
            yield "\n"


def _row_size_error(line: int, values: Any, max_chars: int) -> RowError | None:
    size = len(values) if isinstance(values, str) else sum(len(str(v)) for v in values if v is not None)
    if size <= max_chars:
        return None
    return RowError(
        line,
        f"line {line}: row has {size} characters, over the limit of {max_chars} (max_row_kb); row not read",
    )


def read_csv(
    data: bytes, layout: FileLayout, delimiter: str, limits: TableLimits
) -> tuple[list[str], Iterator[Row | RowError]]:
    errors: dict[int, RowError] = {}
    lines = _decoded_lines(data, _encoding(data, layout.encoding), errors)
    reader = csv.reader(lines, delimiter=layout.delimiter or delimiter, quotechar=layout.quotechar)
    try:
        for _ in range(layout.skip_rows):
            next(reader, None)
        header = list(layout.columns) or [h.strip() for h in next(reader, [])]
    except csv.Error as err:
        raise TableFileError(f"header row: {err}") from None
    named_by = "`columns` names" if layout.columns else "the header has"

    def rows() -> Iterator[Row | RowError]:
        start = reader.line_num + 1
        while True:
            try:
                record = next(reader)
            except StopIteration:
                break
            except csv.Error as err:  # e.g. a cell over the csv module's field limit (128 KB)
                line, start = start, reader.line_num + 1
                yield RowError(line, f"line {line}: {err}; row not read")
                continue
            line, end, start = start, reader.line_num, reader.line_num + 1
            bad = [errors.pop(n) for n in sorted(errors) if n <= end]
            if bad:
                yield from bad
                continue
            if not any(c.strip() for c in record):
                continue
            if len(record) != len(header):
                yield RowError(line, f"line {line}: {len(record)} columns, {named_by} {len(header)}")
                continue
            too_big = _row_size_error(line, record, limits.max_row_chars)
            if too_big:
                yield too_big
                continue
            yield Row(line, dict(zip(header, record, strict=True)))
        yield from errors.values()

    return header, rows()


def read_xlsx(
    data: bytes, layout: FileLayout, limits: TableLimits, name: str
) -> tuple[list[str], Iterator[Row | RowError]]:
    import openpyxl

    seconds = limits.parse.max_seconds
    started = time.monotonic()
    try:
        check_zip(data, limits.parse, "xlsx")
        with time_limit(seconds):
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except ParseError as err:
        raise TableFileError(str(err)) from None
    except Deadline:  # fired between the body's end and the disarm
        raise TableFileError(str(time_limit_error(seconds))) from None
    except Exception as err:
        if 0 < seconds <= time.monotonic() - started:  # the alarm broke openpyxl mid-call (seen: TypeError)
            raise TableFileError(str(time_limit_error(seconds))) from None
        raise ConnectorConfigError(f"{name}: not a readable .xlsx file ({type(err).__name__})") from None
    sheet = layout.sheet
    if sheet is not None and sheet not in book.sheetnames:
        book.close()
        raise ConnectorConfigError(
            f"{name}: no sheet {sheet!r}; sheets: {', '.join(book.sheetnames)} (fix: correct `sheet`)"
        )
    ws = book[sheet] if sheet else book.worksheets[0]
    it = ws.iter_rows(values_only=True)
    for _ in range(layout.skip_rows):
        next(it, None)
    header = list(layout.columns) or [str(h).strip() if h is not None else "" for h in next(it, ())]

    def rows() -> Iterator[Row | RowError]:
        spent = 0.0  # time inside this generator only: the pipeline's work between rows does not count
        n = layout.skip_rows + (0 if layout.columns else 1)
        try:
            while True:
                started = time.monotonic()
                block: list[tuple[Any, ...]] = []
                try:  # one timer per block of rows (arming it per row would cost more than reading one)
                    with time_limit(max(seconds - spent, 0.001)):
                        block.extend(islice(it, XLSX_ROWS_PER_TIMER))
                except (ParseError, Deadline):  # Deadline: fired between the body's end and the disarm
                    spent = seconds
                spent += time.monotonic() - started
                for values in block:
                    n += 1
                    if all(v is None or str(v).strip() == "" for v in values):
                        continue
                    too_big = _row_size_error(n, values, limits.max_row_chars)
                    yield too_big or Row(n, dict(zip(header, values, strict=False)))
                if spent > seconds:
                    yield RowError(
                        n + 1,
                        f"line {n + 1}: time limit exceeded: reading the sheet took more "
                        f"than max_seconds={seconds:g}; the rest of the file was not read",
                    )
                    return
                if len(block) < XLSX_ROWS_PER_TIMER:
                    return
        finally:
            book.close()

    return header, rows()


def read_jsonl(data: bytes, encoding: str, limits: TableLimits) -> tuple[list[str], Iterator[Row | RowError]]:
    def rows() -> Iterator[Row | RowError]:
        errors: dict[int, RowError] = {}
        for n, text in enumerate(_decoded_lines(data, _encoding(data, encoding), errors), start=1):
            if n in errors:
                yield errors.pop(n)
                continue
            if not text.strip():
                continue
            too_big = _row_size_error(n, text, limits.max_row_chars)
            if too_big:
                yield too_big
                continue
            try:
                obj = json.loads(text)
            except ValueError as err:
                yield RowError(n, f"line {n}: not valid JSON ({getattr(err, 'msg', err)})")
                continue
            if not isinstance(obj, dict):
                yield RowError(n, f"line {n}: expected a JSON object")
                continue
            yield Row(n, obj)

    return [], rows()


def read_header(path: Path, layout: FileLayout, limits: TableLimits) -> list[str]:
    """Only the header row, or `columns` (for the up-front column check)."""
    fmt = detect_format(path, layout.format)
    if fmt == "jsonl":
        return []
    header, rows = read_table(path, layout, limits)
    if fmt == "xlsx":
        next(rows, None)  # start the generator so that close() runs its finally: closing the workbook
    rows.close()  # type: ignore[attr-defined]
    return header


def read_table(
    path: Path, layout: FileLayout, limits: TableLimits
) -> tuple[list[str], Iterator[Row | RowError]]:
    """(header, rows); JSON Lines have no header (their keys are checked per row). TableFileError when the
    file is refused as a whole."""
    fmt = detect_format(path, layout.format)
    if fmt == "jsonl" and layout.columns:
        raise ConnectorConfigError(f"{path}: JSON Lines rows name their own keys (fix: remove `columns`)")
    data = load(path, limits)
    if fmt == "xlsx":
        return read_xlsx(data, layout, limits, str(path))
    if fmt == "jsonl":
        return read_jsonl(data, layout.encoding, limits)
    return read_csv(data, layout, "\t" if fmt == "tsv" else ",", limits)
