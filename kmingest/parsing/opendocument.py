"""OpenDocument .odt / .ods / .odp -> text, read straight from the zip's content.xml with lxml.

`parse_bytes` sniffs the kind from the zip's mimetype member and runs the zip-bomb guard first. The XML
parser resolves no entities, loads no DTD and never touches the network. text:h opens sections at its
outline level, text:p and list items are paragraphs, footnotes and text boxes follow their paragraph,
odt tables become "cell | cell" rows, each ods sheet is a section whose rows read "Header: value"
(as xlsx does, bounded by max_sheet_rows), and each odp slide is a section with its speaker notes.
meta.xml gives the title, author, created_at (meta:creation-date) and updated_at (dc:date, when it was
last saved), dates as ISO 8601 with offset (UTC where the file names none).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

from lxml import etree

from kmingest.models import ParsedContent
from kmingest.parsing.base import ParseError, ParseLimits
from kmingest.parsing.builder import TextBuilder, squash, tidy_lines
from kmingest.parsing.guard import parse_zip_xml
from kmingest.parsing.ooxml_package import dated
from kmingest.parsing.sheets import add_sheet

_NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "draw": "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0",
    "presentation": "urn:oasis:names:tc:opendocument:xmlns:presentation:1.0",
    "dc": "http://purl.org/dc/elements/1.1/",
    "meta": "urn:oasis:names:tc:opendocument:xmlns:meta:1.0",
}


def _q(name: str) -> str:
    prefix, local = name.split(":")
    return f"{{{_NS[prefix]}}}{local}"


_H, _P, _LIST_ITEM, _TABLE, _ROW, _CELL = map(
    _q, ("text:h", "text:p", "text:list-item", "table:table", "table:table-row", "table:table-cell")
)
_S, _TAB, _BREAK, _NOTE, _NOTE_BODY = map(
    _q, ("text:s", "text:tab", "text:line-break", "text:note", "text:note-body")
)
_FRAME, _PAGE, _NOTES = _q("draw:frame"), _q("draw:page"), _q("presentation:notes")
_CLASS, _LEVEL, _COUNT = _q("presentation:class"), _q("text:outline-level"), _q("text:c")
_COLS, _ROWS, _NAME = _q("table:number-columns-repeated"), _q("table:number-rows-repeated"), _q("table:name")
# Not document text: deleted revisions, comments, the table of contents (repeats the headings), forms.
_SKIP = set(
    map(
        _q,
        (
            "text:tracked-changes",
            "office:annotation",
            "office:annotation-end",
            "text:table-of-content",
            "office:forms",
            "text:sequence-decls",
            "table:covered-table-cell",
            "draw:page-thumbnail",
        ),
    )
)
_MISSING = "missing (not an OpenDocument package)"
_MAX_REPEAT = 100  # a repeated non-empty cell or row is written at most this many times


class _Reader:
    """Walks office:body in document order, feeding one TextBuilder."""

    def __init__(self, builder: TextBuilder, max_rows: int, fmt: str) -> None:
        self.builder = builder
        self.max_rows = max_rows
        self.fmt = fmt

    def inline(self, element: Any, extras: list[str]) -> str:
        """A paragraph's text; footnote bodies and text-box paragraphs go to `extras` (emitted after it)."""
        parts = [element.text or ""]
        for child in element:
            tag = child.tag
            if tag == _S:
                parts.append(" " * min(int(child.get(_COUNT, "1") or 1), _MAX_REPEAT))
            elif tag == _TAB:
                parts.append("\t")
            elif tag == _BREAK:
                parts.append("\n")
            elif tag == _NOTE:
                body = child.find(_NOTE_BODY)
                if body is not None:
                    extras.append(
                        "Note: " + squash(" ".join(self.inline(p, extras) for p in body.iter(_P, _H)))
                    )
            elif tag == _FRAME:
                extras.extend(self.inline(p, extras) for p in child.iter(_P, _H))
            elif tag not in _SKIP:
                parts.append(self.inline(child, extras))
            parts.append(child.tail or "")
        return tidy_lines("".join(parts))

    def paragraph(self, element: Any, level: int = 0, prefix: str = "") -> None:
        extras: list[str] = []
        text = self.inline(element, extras)
        if level:
            self.builder.heading(level, text)
        else:
            self.builder.paragraph(prefix + text if text else "")
        for extra in extras:
            self.builder.paragraph(extra)

    def blocks(self, element: Any) -> None:
        for child in element:
            tag = child.tag
            if tag == _H:
                self.paragraph(child, level=max(1, min(int(child.get(_LEVEL, "1") or 1), 9)))
            elif tag == _P:
                self.paragraph(child)
            elif tag == _LIST_ITEM and len(child) and child[0].tag == _P:
                self.paragraph(child[0], prefix="- ")
                self.blocks(child[1:])
            elif tag == _TABLE:
                self.builder.paragraph("\n".join(self.cell_rows(child)))
            elif tag == _PAGE:
                self.slide(child)
            elif tag not in _SKIP and tag is not etree.Comment:
                self.blocks(child)

    def rows(self, table: Any) -> Iterator[list[str]]:
        """Cell texts per row of this table (not of tables nested in its cells); repeats expanded."""
        stack = [iter(table)]
        while stack:
            child = next(stack[-1], None)
            if child is None:
                stack.pop()
            elif child.tag == _ROW:
                cells: list[str] = []
                for cell in child.iter(_CELL):
                    text = squash(" ".join(self.inline(p, []) for p in cell.iter(_P, _H)))
                    cells.extend([text] * (min(int(cell.get(_COLS, "1") or 1), _MAX_REPEAT) if text else 1))
                while cells and not cells[-1]:
                    cells.pop()  # ods pads each row with a run of empty repeated cells
                repeat = min(int(child.get(_ROWS, "1") or 1), _MAX_REPEAT) if cells else 1
                for _ in range(repeat):
                    yield cells
            elif child.tag not in (_TABLE, *_SKIP):
                stack.append(iter(child))

    def cell_rows(self, table: Any) -> Iterator[str]:
        for count, cells in enumerate(self.rows(table), 1):
            if count > self.max_rows:
                raise ParseError(f"{self.fmt}: table with more than max_sheet_rows={self.max_rows} rows")
            line = " | ".join(cell for cell in cells if cell)
            if line:
                yield line

    def sheet(self, table: Any) -> None:
        name = squash(table.get(_NAME, "")) or "Sheet"
        add_sheet(self.builder, name, self.rows(table), self.max_rows, "ods")

    def slide(self, page: Any) -> None:
        if not "".join(page.itertext()).strip():
            return
        titles = [f for f in page.iter(_FRAME) if f.get(_CLASS) == "title"]
        title = squash(" ".join(self.inline(p, []) for f in titles[:1] for p in f.iter(_P, _H)))
        self.builder.heading(1, title or squash(page.get(_q("draw:name"), "")) or "Slide")
        for child in page:
            if child.tag == _NOTES:
                notes = [self.inline(p, []) for p in child.iter(_P, _H)]
                text = "\n".join(n for n in notes if n)
                if text:
                    self.builder.paragraph(f"Notes: {text}")
            elif not (child.tag == _FRAME and child.get(_CLASS) == "title"):
                self.blocks([child])


def _metadata(archive: zipfile.ZipFile, fmt: str) -> dict[str, Any]:
    if "meta.xml" not in archive.namelist():
        return {}
    meta = parse_zip_xml(archive, "meta.xml", fmt, _MISSING)
    fields = {"title": "dc:title", "author": "meta:initial-creator", "created": "meta:creation-date"}
    found = {key: squash(meta.findtext(f".//{_q(name)}") or "") for key, name in fields.items()}
    modified = meta.findtext(f".//{_q('dc:date')}")  # when it was last saved
    present = {key: value for key, value in found.items() if value}
    return dated(present, (found["created"], "created_at"), (modified, "updated_at"))


def _parse(fmt: str) -> Callable[[bytes, str, ParseLimits], ParsedContent]:
    def parse(data: bytes, filename: str, limits: ParseLimits) -> ParsedContent:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            manifest = archive.read("META-INF/manifest.xml") if "META-INF/manifest.xml" in names else b""
            if b"encryption-data" in manifest:
                raise ParseError(
                    f"{fmt}: encrypted (password-protected) OpenDocument file; remove the password"
                )
            content = parse_zip_xml(archive, "content.xml", fmt, _MISSING)
            metadata = _metadata(archive, fmt)
        builder = TextBuilder(limits.max_chars)
        reader = _Reader(builder, limits.max_sheet_rows, fmt)
        body = content.find(_q("office:body"))
        spreadsheet = body.find(_q("office:spreadsheet")) if body is not None else None
        if spreadsheet is not None:
            for table in spreadsheet.iterchildren(_TABLE):
                reader.sheet(table)
        elif body is not None:
            reader.blocks(body)
        return builder.build(fmt, metadata.get("title") or builder.first_heading, metadata)

    parse.__name__ = f"parse_{fmt}"
    return parse


parse_odt = _parse("odt")
parse_ods = _parse("ods")
parse_odp = _parse("odp")
