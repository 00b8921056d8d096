"""Spreadsheet parts read directly, for the xlsx parser (kmingest/parsing/sheets.py).

openpyxl reads transitional workbooks' cells; this module adds what it does not give: strict OOXML
workbooks (ISO/IEC 29500 strict namespaces, which openpyxl opens as empty) as streamed rows of cell
values, and each sheet's page headers/footers (headerFooter, with the &L/&C/&R/&P... codes removed).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

from kmingest.parsing.base import ParseError
from kmingest.parsing.builder import squash
from kmingest.parsing.ooxml_package import Package, drop_used

STRICT_MAIN = "http://purl.oclc.org/ooxml/spreadsheetml/main"
_HEADER_FOOTER_START = re.compile(rb"<(?:[\w.-]+:)?headerFooter\b")
_HEADER_FOOTER_END = re.compile(rb"</(?:[\w.-]+:)?headerFooter>|<(?:[\w.-]+:)?headerFooter\b[^>]*/>")
_HEADER_FOOTER_ITEM = re.compile(rb"<(?:[\w.-]+:)?(?:odd|even|first)(?:Header|Footer)\b[^>]*>([^<]*)<")
_HEADER_FOOTER_MAX = 256 * 1024
# &&: a literal &; &L &C &R: section starts; &"font,style", &12 (size), &K colour, &P &N &D &T &F &A...
_SEGMENT = re.compile(r"(?<!&)&[LCR]")  # (an && before the letter is a literal &)
_FIELD = re.compile(r"(?<!&)&[PNDTFAZG]")
_WORD = re.compile(r"\w+")
_FIELD_WORDS = {"page", "pages", "of", "printed", "on", "at", "date", "time", "file", "sheet", "seite", "von"}
_FIELD_WORDS |= {"第", "页", "共", "頁"}
_CODE = re.compile(r'&(?:&|[LCR]|"[^"]*"|\d+|K(?:[0-9A-Fa-f]{6}|\d\d[+-]\d{3})|[PN](?:[+-]\d+)?|[A-Za-z])')


@dataclass(frozen=True)
class SheetPart:
    title: str
    part: str  # "" when the relationship is missing
    kind: str  # "worksheet", "chartsheet", "dialogsheet", ...


def root_namespace(root: Any) -> str:
    tag = str(root.tag)
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def workbook_sheets(package: Package, workbook: str, root: Any) -> list[SheetPart]:
    """The workbook's sheets in tab order, with their part names."""
    ns = root_namespace(root)
    rels = {rel.rel_id: rel for rel in package.rels(workbook)}
    sheets: list[SheetPart] = []
    for sheet in root.iter(f"{{{ns}}}sheet"):
        rel_id = next((value for name, value in sheet.attrib.items() if str(name).endswith("}id")), "")
        rel = rels.get(rel_id)
        part = rel.target if rel is not None and package.has(rel.target) else ""
        sheets.append(SheetPart(sheet.get("name", ""), part, rel.kind if rel is not None else ""))
    return sheets


def _header_footer_segments(raw: bytes) -> Iterator[str]:
    """The left, centre and right texts of one header/footer; a piece that only framed a field
    ("Page &P of &N") says nothing once the field is gone and is dropped."""
    text = html.unescape(raw.decode("utf-8", "replace"))
    for segment in _SEGMENT.split(text):
        had_field = _FIELD.search(segment) is not None
        words = squash(_CODE.sub(lambda m: "&" if m.group() == "&&" else " ", segment))
        if words and not (had_field and set(_WORD.findall(words.lower())) <= _FIELD_WORDS):
            yield words


def header_footer_texts(package: Package, part: str) -> list[str]:
    """Texts of a sheet's headerFooter element, found by scanning the part (it follows the cell data)."""
    with package.open(part) as member:
        tail = b""
        while chunk := member.read(1024 * 1024):
            buffer = tail + chunk
            found = _HEADER_FOOTER_START.search(buffer)
            if found is None:
                tail = buffer[-64:]
                continue
            element = buffer[found.start() :]
            while not _HEADER_FOOTER_END.search(element) and len(element) < _HEADER_FOOTER_MAX:
                more = member.read(64 * 1024)
                if not more:
                    break
                element += more
            return [
                text
                for item in _HEADER_FOOTER_ITEM.findall(element)
                for text in _header_footer_segments(item)
            ]
    return []


class StrictWorkbook:
    """Cell values of a strict OOXML workbook: shared strings, date styles, 1904 dates, streamed rows."""

    def __init__(self, package: Package, workbook: str, root: Any, max_chars: int) -> None:
        self.package = package
        self.ns = f"{{{root_namespace(root)}}}"
        properties = root.find(f"{self.ns}workbookPr")
        date1904 = properties is not None and properties.get("date1904", "") in ("1", "true")
        self.epoch = CALENDAR_MAC_1904 if date1904 else CALENDAR_WINDOWS_1900
        rels = package.rels(workbook)
        self.shared: list[str] = []
        self.date_styles: set[int] = set()
        for rel in rels:
            if rel.kind == "sharedStrings" and package.has(rel.target):
                self._read_shared_strings(rel.target, max_chars)
            elif rel.kind == "styles" and package.has(rel.target):
                self._read_date_styles(rel.target)

    def _read_shared_strings(self, part: str, max_chars: int) -> None:
        events, stream = self.package.iterparse(part, (f"{self.ns}si",))
        total = 0
        for _, item in events:
            text = "".join(
                node.text or "" for node in item.iter(f"{self.ns}t") if _not_phonetic(node, self.ns)
            )
            total += len(text)
            if total > max_chars:
                raise ParseError(f"xlsx: shared strings longer than max_chars={max_chars} characters")
            self.shared.append(text)
            drop_used(item)
            stream.release()

    def _read_date_styles(self, part: str) -> None:
        root = self.package.parse(part)
        formats: dict[int, str] = dict(BUILTIN_FORMATS)
        for fmt in root.iter(f"{self.ns}numFmt"):
            formats[int(fmt.get("numFmtId", "0"))] = fmt.get("formatCode", "")
        cell_formats = root.find(f"{self.ns}cellXfs")
        for index, xf in enumerate(cell_formats if cell_formats is not None else ()):
            if is_date_format(formats.get(int(xf.get("numFmtId", "0")), "")):
                self.date_styles.add(index)

    def _value(self, cell: Any) -> object:
        kind = cell.get("t", "n")
        if kind == "inlineStr":
            return "".join(
                node.text or "" for node in cell.iter(f"{self.ns}t") if _not_phonetic(node, self.ns)
            )
        raw = cell.findtext(f"{self.ns}v")
        if raw is None or raw == "":
            return None
        if kind == "s":
            index = int(raw)
            return self.shared[index] if 0 <= index < len(self.shared) else None
        if kind == "b":
            return raw.strip() in ("1", "true")
        if kind == "d":
            try:
                return datetime.fromisoformat(raw.rstrip("Z"))
            except ValueError:
                return raw
        if kind != "n":
            return raw  # str (a formula's text), e (an error such as #N/A)
        try:
            number: float = float(raw) if any(c in raw for c in ".eE") else int(raw)
        except ValueError:
            return raw
        if int(cell.get("s", "0") or 0) in self.date_styles:
            try:
                return from_excel(number, self.epoch)
            except (OverflowError, ValueError):
                return raw
        return number

    def rows(self, part: str) -> Iterator[tuple[object, ...]]:
        """Row value tuples in order; missing rows come as empty tuples so row limits count them."""
        events, stream = self.package.iterparse(part, (f"{self.ns}row",))
        expected = 1
        for _, row in events:
            number = int(row.get("r", expected) or expected)
            for _ in range(expected, number):
                yield ()
            expected = number + 1
            values: dict[int, object] = {}
            column = 0
            for cell in row.iter(f"{self.ns}c"):
                column = _column(cell.get("r"), column + 1)
                values[column] = self._value(cell)
            drop_used(row)
            stream.release()
            yield tuple(values.get(i) for i in range(1, max(values, default=0) + 1))


def _column(ref: str | None, default: int) -> int:
    try:
        return column_index_from_string(coordinate_from_string(ref)[0]) if ref else default
    except ValueError:
        return default


def _not_phonetic(node: Any, ns: str) -> bool:
    parent = node.getparent()
    return parent is None or parent.tag != f"{ns}rPh"
