"""WordprocessingML elements -> text, for the docx parser (kmingest/parsing/docx.py).

A paragraph's own runs make one block; each text box anchored in it (w:txbxContent in a drawing or a VML
shape) makes its own blocks after it, read once: of mc:AlternateContent only the Choice is read, never
the VML Fallback copy of the same box. Tables become "cell | cell" rows (merged cells once).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from lxml import etree

from kmingest.parsing.builder import squash, tidy_lines
from kmingest.parsing.ooxml_package import Package, drop_used

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_NS = {"w": W_NS, "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006"}


def w(name: str) -> str:
    """Clark name of a w: element or attribute."""
    return f"{{{W_NS}}}{name}"


P, TBL, TR, SDT, ALT_CHUNK = (w(name) for name in ("p", "tbl", "tr", "sdt", "altChunk"))
CONTAINERS = {w(name) for name in ("sdt", "sdtContent", "customXml", "ins", "moveTo")}

_T, _TAB, _NO_BREAK_HYPHEN, _TEXT_BOX = (w(name) for name in ("t", "tab", "noBreakHyphen", "txbxContent"))
_RUN_TAGS = (_T, _TAB, _NO_BREAK_HYPHEN, w("br"), w("cr"))
_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_PARAGRAPH_STYLE = (w("pPr"), w("pStyle"))
# Runs of this paragraph, not of a text box inside it (same text-box depth) nor of a VML fallback copy.
_RUN_TEXT = etree.XPath(
    ".//*[(self::w:t or self::w:tab or self::w:br or self::w:cr or self::w:noBreakHyphen)"
    " and not(ancestor::mc:Fallback) and count(ancestor::w:txbxContent) = $depth]",
    namespaces=_NS,
)
_TEXT_BOXES = etree.XPath(
    ".//w:txbxContent[not(ancestor::mc:Fallback) and count(ancestor::w:txbxContent) = $depth]",
    namespaces=_NS,
)
_ROWS = etree.XPath("./w:tr | ./w:sdt/w:sdtContent/w:tr", namespaces=_NS)
# A vertical merge's continuation cell is hidden by Word (even if it holds stale text): skip it.
_CELLS = etree.XPath(
    "(./w:tc | ./w:sdt/w:sdtContent/w:tc)[not(w:tcPr/w:vMerge) or w:tcPr/w:vMerge/@w:val = 'restart']",
    namespaces=_NS,
)
_HEADING = re.compile(r"^heading\s*([1-9])$")


def blocks(container: Any) -> Iterator[Any]:
    """Paragraphs, tables and altChunks in document order, looking through content controls and revisions."""
    for child in container.iterchildren():
        if child.tag in (P, TBL, ALT_CHUNK):
            yield child
        elif child.tag in CONTAINERS:
            yield from blocks(child)


def _paragraph_text(p: Any, depth: int, nested: bool) -> str:
    """Text of the paragraph's own runs; `nested`: it holds text boxes or fallback copies to leave out."""
    parts: list[str] = []
    for node in _RUN_TEXT(p, depth=depth) if nested else p.iter(*_RUN_TAGS):
        tag = node.tag
        if tag == _T:
            parts.append(node.text or "")
        elif tag == _TAB:
            parts.append("\t")
        elif tag == _NO_BREAK_HYPHEN:
            parts.append("-")
        else:  # br, cr
            parts.append("\n")
    return tidy_lines("".join(parts))


def _heading_level(p: Any, styles: dict[str, str]) -> int:
    properties = p.find(_PARAGRAPH_STYLE[0])
    style = properties.find(_PARAGRAPH_STYLE[1]) if properties is not None else None
    style_id = style.get(w("val"), "") if style is not None else ""
    if not style_id:
        return 0
    name = styles.get(style_id, style_id.lower())
    match = _HEADING.match(name)
    return int(match.group(1)) if match else 1 if name == "title" else 0


def row_line(tr: Any, styles: dict[str, str], depth: int = 0) -> str:
    """One table row as "cell | cell"; a horizontal merge is a single w:tc, so it appears once."""
    cells = (
        squash(" ".join(text for child in blocks(tc) for _, text in block_texts(child, styles, depth)))
        for tc in _CELLS(tr)
    )
    return " | ".join(cell for cell in cells if cell)


def table_text(tbl: Any, styles: dict[str, str], depth: int = 0) -> str:
    return "\n".join(line for line in (row_line(tr, styles, depth) for tr in _ROWS(tbl)) if line)


def block_texts(element: Any, styles: dict[str, str], depth: int = 0) -> Iterator[tuple[int, str]]:
    """(heading level or 0, text) of a block, then one (0, text) per block of its text boxes.

    `depth` is the number of text boxes the block sits in (0 in the body, a header or a note).
    """
    if element.tag == TBL:
        yield 0, table_text(element, styles, depth)
        return
    if element.tag != P:
        return  # an altChunk inside a table cell or text box: its part is read only at body level
    nested = next(element.iter(_TEXT_BOX, _FALLBACK), None) is not None
    yield _heading_level(element, styles), _paragraph_text(element, depth, nested)
    if not nested:
        return
    for box in _TEXT_BOXES(element, depth=depth):
        for child in blocks(box):
            for _, text in block_texts(child, styles, depth + 1):
                yield 0, text


def style_names(package: Package, part: str) -> dict[str, str]:
    """styleId -> lower-case style name ("heading 1", "title") from word/styles.xml, streamed."""
    names: dict[str, str] = {}
    events, stream = package.iterparse(part, (w("style"),))
    for _, style in events:
        name = style.find(w("name"))
        style_id = style.get(w("styleId"))
        if style_id is not None:
            names[style_id] = (name.get(w("val"), "") if name is not None else "").lower()
        drop_used(style)
        stream.release()
    return names
