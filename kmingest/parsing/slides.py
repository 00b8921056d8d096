"""PowerPoint .pptx / .pptm / .ppsx / .potx -> text, one section per slide (python-pptx reads the package).

`parse_bytes` sniffs the zip (ppt/ members) and runs the zip-bomb guard first. Each slide's title is a
heading (or "Slide N" when it has none); the other shapes follow in reading order (top to bottom, then left
to right; group shapes are opened), tables become "cell | cell" rows, and the speaker notes close the
slide as "Notes: ...". Charts and pictures carry no text here. The core properties (read from the package:
ooxml_package.core_metadata) give metadata title, author, created_at and updated_at.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from pptx.enum.shapes import PP_PLACEHOLDER
from pptx.opc.package import PartFactory
from pptx.package import Package
from pptx.parts.presentation import PresentationPart
from pptx.shapes.group import GroupShape

from kmingest.models import ParsedContent
from kmingest.parsing.base import ParseError, ParseLimits
from kmingest.parsing.builder import TextBuilder, squash, tidy_lines
from kmingest.parsing.ooxml_package import Package as OoxmlPackage
from kmingest.parsing.ooxml_package import core_metadata

# python-pptx knows .pptx/.pptm/.ppsx/.potx main parts; macro-enabled shows and templates are the same XML
for _macro_main in ("slideshow", "template"):
    PartFactory.part_type_for.setdefault(
        f"application/vnd.ms-powerpoint.{_macro_main}.macroEnabled.main+xml", PresentationPart
    )
_DEFAULT_TITLES = {"powerpoint presentation", "presentation", "slide 1"}  # left by templates, says nothing
_TITLE_TYPES = {PP_PLACEHOLDER.TITLE, PP_PLACEHOLDER.CENTER_TITLE, PP_PLACEHOLDER.VERTICAL_TITLE}


def _reading_order(shapes: Any) -> list[Any]:
    """Top to bottom, then left to right; shapes without a position keep their order at the end."""
    placed = [s for s in shapes if s.top is not None and s.left is not None]
    unplaced = [s for s in shapes if s.top is None or s.left is None]
    return sorted(placed, key=lambda s: (int(s.top), int(s.left))) + unplaced


def _is_title(shape: Any) -> bool:
    if not shape.is_placeholder:
        return False
    try:
        return shape.placeholder_format.type in _TITLE_TYPES
    except ValueError:  # a placeholder element without a <p:ph> type python-pptx understands
        return False


def _table_text(table: Any) -> str:
    rows = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            text = squash(cell.text) if not cell.is_spanned else ""
            if text:
                cells.append(text)
        if cells:
            rows.append(" | ".join(cells))
    return "\n".join(rows)


def _shape_texts(shapes: Any) -> Iterator[str]:
    """Text blocks of the non-title shapes, in reading order, looking inside groups."""
    for shape in _reading_order(shapes):
        if _is_title(shape):
            continue
        if isinstance(shape, GroupShape):
            yield from _shape_texts(shape.shapes)
        elif getattr(shape, "has_table", False) and shape.has_table:
            yield _table_text(shape.table)
        elif getattr(shape, "has_text_frame", False) and shape.has_text_frame:
            yield tidy_lines(shape.text_frame.text.replace("\x0b", "\n"))


def _title(slide: Any) -> str:
    for shape in slide.shapes:
        if _is_title(shape) and shape.has_text_frame:
            return squash(shape.text_frame.text)
    return ""


def _notes(slide: Any) -> str:
    if not slide.has_notes_slide:
        return ""
    frame = slide.notes_slide.notes_text_frame
    return tidy_lines(frame.text) if frame is not None else ""


def _metadata(data: bytes, slide_count: int) -> dict[str, Any]:
    """Core properties read from the package itself: python-pptx invents a part for a file without one
    (title "PowerPoint Presentation", modified = now). A template's default title is left out."""
    with OoxmlPackage(data, "pptx") as package:
        metadata: dict[str, Any] = {"slides": slide_count, **core_metadata(package)}
    if str(metadata.get("title", "")).lower() in _DEFAULT_TITLES:
        del metadata["title"]
    return metadata


def parse_pptx(data: bytes, filename: str, limits: ParseLimits) -> ParsedContent:
    # Package.open, not pptx.Presentation: the latter refuses .ppsx/.potx content types and puts the
    # stream's repr (a memory address) into its error message.
    main_part = Package.open(io.BytesIO(data)).main_document_part
    if not isinstance(main_part, PresentationPart):
        raise ParseError(f"pptx: not a PowerPoint package (main part is {main_part.content_type})")
    presentation = main_part.presentation
    builder = TextBuilder(limits.max_chars)
    slides = list(presentation.slides)
    titles = [_title(slide) for slide in slides]
    for number, (slide, title) in enumerate(zip(slides, titles, strict=True), 1):
        texts = [text for text in _shape_texts(slide.shapes) if text]
        notes = _notes(slide)
        if title or texts or notes:  # a slide of pictures only adds nothing, not even "Slide N"
            builder.heading(1, title or f"Slide {number}")
        for text in texts:
            builder.paragraph(text)
        if notes:
            builder.paragraph(f"Notes: {notes}")
    metadata = _metadata(data, len(slides))
    return builder.build("pptx", metadata.get("title") or next((t for t in titles if t), None), metadata)
