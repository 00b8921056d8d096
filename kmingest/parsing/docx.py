"""Word .docx -> text with heading sections (python-docx opens the package; the body XML is walked directly).

Body children are visited in document order so tables stay where they are, paragraphs with "Heading N"
or "Title" styles open sections, tables become "cell | cell" rows (merged cells once), text boxes are
read once (not again from their VML fallback), and page headers/footers are appended once at the end.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from docx import Document
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from lxml import etree

from kmingest.models import ParsedContent
from kmingest.parsing.base import ParseLimits
from kmingest.parsing.builder import TextBuilder, squash, tidy_lines

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_NS = {"w": _W, "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006"}
_P, _TBL, _SDT = (f"{{{_W}}}{name}" for name in ("p", "tbl", "sdt"))
_CONTAINERS = {f"{{{_W}}}{name}" for name in ("sdtContent", "customXml", "ins", "moveTo")}
_RUN_TEXT = etree.XPath(
    ".//*[(self::w:t or self::w:tab or self::w:br or self::w:cr or self::w:p or self::w:noBreakHyphen)"
    " and not(ancestor::mc:Fallback)]",
    namespaces=_NS,
)
_ROWS = etree.XPath("./w:tr | ./w:sdt/w:sdtContent/w:tr", namespaces=_NS)
# A vertical merge's continuation cell is hidden by Word (even if it holds stale text): skip it.
_CELLS = etree.XPath(
    "(./w:tc | ./w:sdt/w:sdtContent/w:tc)[not(w:tcPr/w:vMerge) or w:tcPr/w:vMerge/@w:val = 'restart']",
    namespaces=_NS,
)
_STYLE_ID = etree.XPath("string(./w:pPr/w:pStyle/@w:val)", namespaces=_NS)
_HEADING = re.compile(r"^heading\s*([1-9])$")


def _blocks(container: Any) -> Iterator[Any]:
    """Paragraphs and tables in document order, looking through content controls and revisions."""
    for child in container.iterchildren():
        if child.tag in (_P, _TBL):
            yield child
        elif child.tag == _SDT or child.tag in _CONTAINERS:
            yield from _blocks(child)


def _paragraph_text(p: Any) -> str:
    parts: list[str] = []
    for node in _RUN_TEXT(p):
        tag = etree.QName(node).localname
        if tag == "t":
            parts.append(node.text or "")
        elif tag == "tab":
            parts.append("\t")
        elif tag == "noBreakHyphen":
            parts.append("-")
        else:  # br, cr, or a paragraph inside a text box
            parts.append("\n")
    return tidy_lines("".join(parts))


def _cell_block_text(element: Any) -> str:
    return _table_text(element) if element.tag == _TBL else _paragraph_text(element)


def _table_text(tbl: Any) -> str:
    """One line per row; a merged cell appears once (a horizontal merge is a single w:tc)."""
    rows: list[str] = []
    for tr in _ROWS(tbl):
        cells = (squash(" ".join(map(_cell_block_text, _blocks(tc)))) for tc in _CELLS(tr))
        line = " | ".join(cell for cell in cells if cell)
        if line:
            rows.append(line)
    return "\n".join(rows)


def _block_text(element: Any, styles: dict[str, str]) -> tuple[int, str]:
    """(heading level or 0, text) of a body block."""
    if element.tag == _TBL:
        return 0, _table_text(element)
    style_id = str(_STYLE_ID(element))
    name = styles.get(style_id, style_id.lower())
    match = _HEADING.match(name)
    level = int(match.group(1)) if match else 1 if name == "title" else 0
    return level, _paragraph_text(element)


def _header_footer_texts(document: Any, styles: dict[str, str]) -> list[str]:
    seen: dict[str, None] = {}
    for section in document.sections:
        for part in (
            section.header,
            section.first_page_header,
            section.even_page_header,
            section.footer,
            section.first_page_footer,
            section.even_page_footer,
        ):
            if part.is_linked_to_previous:
                continue
            for element in _blocks(part._element):
                text = _block_text(element, styles)[1]
                if text:
                    seen.setdefault(text)
    return list(seen)


def _core_metadata(document: Any) -> dict[str, Any]:
    package = document.part.package
    if not any(rel.reltype == RT.CORE_PROPERTIES for rel in package.rels.values()):
        return {}  # python-docx would invent defaults ("Word Document", now) for a missing part
    props = document.core_properties
    fields = {
        "author": props.author,
        "title": props.title,
        "subject": props.subject,
        "keywords": props.keywords,
        "last_modified_by": props.last_modified_by,
        "created": props.created,
        "modified": props.modified,
    }
    return {
        key: value.isoformat() if isinstance(value, datetime) else squash(value)
        for key, value in fields.items()
        if value and (isinstance(value, datetime) or squash(str(value)))
    }


def parse_docx(data: bytes, filename: str, limits: ParseLimits) -> ParsedContent:
    document = Document(io.BytesIO(data))
    styles = {style.style_id: (style.name or "").lower() for style in document.styles}
    builder = TextBuilder(limits.max_chars)
    for element in _blocks(document.element.body):
        level, text = _block_text(element, styles)
        if level:
            builder.heading(level, text)
        else:
            builder.paragraph(text)
    builder.leave_sections()
    for text in _header_footer_texts(document, styles):
        builder.paragraph(text)
    metadata = _core_metadata(document)
    return builder.build("docx", metadata.get("title") or builder.first_heading, metadata)
