"""Reads tabular exports row by row: CSV/TSV (any encoding, decoded per line so one bad line is reported,
not hidden), XLSX (a sheet, real date cells) and JSON Lines. Yields Row or RowError with the line number.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kmingest.connectors.base import ConnectorConfigError

FORMATS = ("csv", "tsv", "xlsx", "jsonl")


@dataclass(frozen=True)
class Row:
    line: int
    values: dict[str, Any]


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str


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


def _decoded_lines(data: bytes, encoding: str, errors: list[RowError]) -> Iterator[str]:
    """Physical lines as text; a line that does not decode becomes an error and an empty line."""
    if encoding.startswith("utf-8") and data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
        encoding = "utf-8"
    for n, raw in enumerate(data.split(b"\n"), start=1):
        try:
            yield raw.decode(encoding)
        except UnicodeDecodeError as err:
            errors.append(RowError(n, f"line {n}: bytes not valid in {encoding} at column {err.start + 1}"))
            yield ""


def read_csv(path: Path, delimiter: str, encoding: str) -> tuple[list[str], Iterator[Row | RowError]]:
    data = path.read_bytes()
    errors: list[RowError] = []
    lines = _decoded_lines(data, _encoding(data, encoding), errors)
    reader = csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter)  # lines is consumed here
    header = [h.strip() for h in next(reader, [])]

    def rows() -> Iterator[Row | RowError]:
        bad = {e.line: e for e in errors}
        start = reader.line_num + 1
        for record in reader:
            line, start = start, reader.line_num + 1
            if line in bad:
                yield bad.pop(line)
                continue
            if not any(c.strip() for c in record):
                continue
            if len(record) != len(header):
                yield RowError(line, f"line {line}: {len(record)} columns, the header has {len(header)}")
                continue
            yield Row(line, dict(zip(header, record, strict=True)))
        yield from bad.values()

    return header, rows()


def read_xlsx(path: Path, sheet: str | None) -> tuple[list[str], Iterator[Row | RowError]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as err:
        raise ConnectorConfigError(
            f"{path}: not a readable .xlsx file ({type(err).__name__}: {err})"
        ) from None
    if sheet is not None and sheet not in book.sheetnames:
        raise ConnectorConfigError(f"{path}: no sheet {sheet!r}; sheets: {', '.join(book.sheetnames)} "
                                   "(fix: correct `sheet`)")  # fmt: skip
    ws = book[sheet] if sheet else book.worksheets[0]
    it = ws.iter_rows(values_only=True)
    header = [str(h).strip() if h is not None else "" for h in next(it, ())]

    def rows() -> Iterator[Row | RowError]:
        try:
            for n, values in enumerate(it, start=2):
                if all(v is None or str(v).strip() == "" for v in values):
                    continue
                yield Row(n, dict(zip(header, values, strict=False)))
        finally:
            book.close()

    return header, rows()


def read_jsonl(path: Path, encoding: str) -> tuple[list[str], Iterator[Row | RowError]]:
    def rows() -> Iterator[Row | RowError]:
        data = path.read_bytes()
        errors: list[RowError] = []
        for n, text in enumerate(_decoded_lines(data, _encoding(data, encoding), errors), start=1):
            if errors and errors[-1].line == n:
                yield errors[-1]
                continue
            if not text.strip():
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


def read_header(path: Path, fmt: str, encoding: str, sheet: str | None) -> list[str]:
    """Only the header row (for the up-front column check), without reading the whole file."""
    fmt = detect_format(path, fmt)
    if fmt == "jsonl":
        return []
    if fmt == "xlsx":
        header, rows = read_xlsx(path, sheet)
        next(rows, None)  # start the generator so that close() runs its finally: closing the workbook
        rows.close()  # type: ignore[attr-defined]
        return header
    with path.open("rb") as fh:
        line = fh.readline().removeprefix(b"\xef\xbb\xbf")
    text = line.decode(_encoding(line, encoding), errors="replace")
    return [h.strip() for h in next(csv.reader([text], delimiter="\t" if fmt == "tsv" else ","), [])]


def read_table(
    path: Path, fmt: str, encoding: str, sheet: str | None
) -> tuple[list[str], Iterator[Row | RowError]]:
    """(header, rows); JSON Lines have no header (their keys are checked per row)."""
    fmt = detect_format(path, fmt)
    if fmt == "xlsx":
        return read_xlsx(path, sheet)
    if fmt == "jsonl":
        return read_jsonl(path, encoding)
    return read_csv(path, "\t" if fmt == "tsv" else ",", encoding)
