"""Word .docx / .docm / .dotx / .dotm -> text with heading sections, streamed from the package's XML.

The package is read directly (ooxml_package), so macro-enabled files and templates open like documents.
Each story part is streamed: body blocks are visited in document order and freed once used, so a huge
document.xml never becomes one tree (XML per block is capped; max_chars stops the text). Paragraphs
with "Heading N" or "Title" styles open sections, tables become "cell | cell" rows (merged cells once),
text boxes follow their paragraph as their own paragraphs (read once), altChunk parts (HTML, MHT, text,
an imported Word document) are parsed in place. After the body, outside any section: footnotes, endnotes (not
the separator notes), then page headers/footers once. The core properties give metadata title, author,
last_modified_by, created_at and updated_at (ooxml_package.core_metadata); the title is the core title, else
the first heading (the pipeline's title policy decides whether a core title is used: template titles are
common).
"""

from __future__ import annotations

import email
import email.policy
import posixpath
import re
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

from kmingest.models import ParsedContent
from kmingest.parsing.base import ParseError, ParseLimits
from kmingest.parsing.builder import TextBuilder, tidy_lines
from kmingest.parsing.docx_text import (
    ALT_CHUNK,
    CONTAINERS,
    TBL,
    TR,
    P,
    block_texts,
    row_line,
    style_names,
    w,
)
from kmingest.parsing.encoding import decode_text
from kmingest.parsing.guard import check_chars, check_zip
from kmingest.parsing.html import html_to_content
from kmingest.parsing.ooxml_package import Package, Relationship, core_metadata, drop_used

_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_STRICT_W = "{http://purl.oclc.org/ooxml/wordprocessingml/main}"
_NOTES = (w("footnote"), w("endnote"))
_STORIES = {w(name) for name in ("body", "hdr", "ftr", "footnote", "endnote")}
_SEPARATOR_NOTES = {"separator", "continuationSeparator", "continuationNotice"}

Emit = Callable[[int, str], None]


# altChunk parts: Word imports such a part when the file is opened; some generators write a whole body
# as one (document merges with the OpenXML SDK import whole .docx files). HTML goes through the HTML parser,
# MHT through its HTML part, plain text by blank-line paragraphs, a Word package through this parser (two
# levels deep at most); other kinds (RTF) are not read and are counted in metadata["alt_chunks_skipped"].
_BLANK_RUN = re.compile(r"\n\s*\n")
_BY_EXTENSION = {".htm": "text/html", ".html": "text/html", ".xhtml": "application/xhtml+xml"}
_BY_EXTENSION |= {".mht": "message/rfc822", ".mhtml": "message/rfc822", ".txt": "text/plain"}
_BY_EXTENSION |= dict.fromkeys((".docx", ".docm", ".dotx", ".dotm"), "application/vnd.ms-word")
_MAX_ALT_CHUNK_DEPTH = 2  # a Word document imported by a Word document imported by the file
_MHT_TYPES = ("message/rfc822", "multipart/related", "application/x-mimearchive")


def _mht_html(data: bytes) -> str | None:
    """The first text/html part of a MIME (MHT) archive."""
    message = email.message_from_bytes(data, policy=email.policy.default)
    for part in message.walk():
        if part.get_content_type() != "text/html":
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            return None
        charset = part.get_content_charset() if isinstance(part, EmailMessage) else None
        return decode_text(payload, declared=charset)
    return None


def _alt_chunk_content(data: bytes, kind: str, limits: ParseLimits, depth: int) -> ParsedContent | None:
    """The part as parsed text, or None for a kind that is not read."""
    if ("wordprocessingml" in kind or "ms-word" in kind) and data.startswith(b"PK"):
        if depth >= _MAX_ALT_CHUNK_DEPTH:
            return None
        check_zip(data, limits, "docx")  # the outer check saw this package only as one compressed member
        return _parse_docx(data, limits, depth + 1)
    if "html" in kind:
        return html_to_content(decode_text(data), limits)
    if kind in _MHT_TYPES:
        markup = _mht_html(data)
        return html_to_content(markup, limits) if markup is not None else None
    if kind.startswith("text/plain"):
        text = "\n\n".join(filter(None, map(tidy_lines, _BLANK_RUN.split(decode_text(data)))))
        return ParsedContent(text=text, doc_type="txt")
    return None


def _feed(builder: TextBuilder, content: ParsedContent) -> None:
    """Add parsed blocks in order; a block that starts a section of `content` is a heading of its depth."""
    section_starts = {section.start: len(section.path) for section in content.sections}
    position = 0
    for block in content.text.split("\n\n"):
        level = section_starts.get(position)
        if level:
            builder.heading(level, block)
        else:
            builder.paragraph(block)
        position += len(block) + 2


def _parent_past_containers(element: Any) -> Any | None:
    """The nearest ancestor that is not a content control or revision wrapper."""
    parent = element.getparent()
    while parent is not None and parent.tag in CONTAINERS:
        parent = parent.getparent()
    return parent


def _story_of(element: Any) -> Any | None:
    """The story (body, header, footer, note) of which `element` is a top-level block, else None."""
    parent = _parent_past_containers(element)
    return parent if parent is not None and parent.tag in _STORIES else None


def _in_top_level_table(tr: Any) -> bool:
    parent = _parent_past_containers(tr)
    return parent is not None and parent.tag == TBL and _story_of(parent) is not None


class _DocxReader:
    def __init__(self, package: Package, limits: ParseLimits, depth: int) -> None:
        self.package = package
        self.limits = limits
        self.depth = depth  # how many altChunk imports deep this package is
        self.builder = TextBuilder(limits.max_chars)
        self.styles: dict[str, str] = {}
        self.alt_chunks_skipped = 0

    def stream(self, part: str, emit: Emit) -> Any:
        """Emit the top-level blocks of one story part in order, freeing each; returns the part's root."""
        rels = {rel.rel_id: rel for rel in self.package.rels(part)}
        events, stream = self.package.iterparse(part, (P, TBL, TR, ALT_CHUNK, *_NOTES))
        rows: list[str] = []  # lines of the top-level table being read (its rows are freed one by one)
        rows_chars = 0
        for _, element in events:
            if element.tag == TR:
                if not _in_top_level_table(element):
                    continue  # a nested table's row: read with the cell holding it
                line = row_line(element, self.styles)
                if line:
                    rows.append(line)
                    rows_chars += len(line) + 1
                    check_chars(len(self.builder) + rows_chars, self.limits.max_chars)
            elif element.tag not in _NOTES:
                story = _story_of(element)
                if story is None:
                    continue  # inside a table cell or text box: read with its block
                if story.get(w("type")) in _SEPARATOR_NOTES:
                    pass
                elif element.tag == TBL:
                    emit(0, "\n".join(rows))
                    rows, rows_chars = [], 0
                elif element.tag == ALT_CHUNK:
                    self.alt_chunk(rels.get(element.get(_R_ID, "")))
                else:
                    for level, text in block_texts(element, self.styles):
                        emit(level, text)
            drop_used(element)
            stream.release()
        return stream.root

    def body_block(self, level: int, text: str) -> None:
        if level:
            self.builder.heading(level, text)
        else:
            self.builder.paragraph(text)

    def note_block(self, level: int, text: str) -> None:
        self.builder.paragraph(text)

    def alt_chunk(self, rel: Relationship | None) -> None:
        if rel is None or not rel.target or not self.package.has(rel.target):
            self.alt_chunks_skipped += 1
            return
        data = self.package.read(rel.target)
        extension = posixpath.splitext(rel.target)[1].lower()
        kind = (self.package.content_type(rel.target) or _BY_EXTENSION.get(extension, "")).lower()
        content = _alt_chunk_content(data, kind, self.limits, self.depth)
        if content is None:
            self.alt_chunks_skipped += 1
        else:
            _feed(self.builder, content)


def _check_main_root(root: Any) -> None:
    if root is not None and root.tag == w("document"):
        return
    tag = str(getattr(root, "tag", ""))
    if tag.startswith(_STRICT_W):
        raise ParseError("docx: strict OOXML (ISO/IEC 29500 strict) Word documents are not supported")
    raise ParseError("docx: the main part is not a WordprocessingML document")


def _core_metadata(package: Package) -> dict[str, Any]:
    """Core properties in the document-metadata shape (author, created_at, updated_at, ...); "created"
    stays as the earlier name of created_at."""
    metadata: dict[str, Any] = dict(core_metadata(package))
    if "created_at" in metadata:
        metadata["created"] = metadata["created_at"]
    return metadata


def parse_docx(data: bytes, filename: str, limits: ParseLimits) -> ParsedContent:
    return _parse_docx(data, limits, 0)


def _parse_docx(data: bytes, limits: ParseLimits, depth: int) -> ParsedContent:
    with Package(data, "docx") as package:
        main = package.main_part("word/document.xml")
        rels = [rel for rel in package.rels(main) if rel.target and package.has(rel.target)]
        reader = _DocxReader(package, limits, depth)
        styles = next((rel.target for rel in rels if rel.kind == "styles"), None)
        if styles is not None:
            reader.styles = style_names(package, styles)
        _check_main_root(reader.stream(main, reader.body_block))
        builder = reader.builder
        builder.leave_sections()
        for kind in ("footnotes", "endnotes"):
            for rel in rels:
                if rel.kind == kind:
                    reader.stream(rel.target, reader.note_block)
        page_texts: dict[str, None] = {}
        for kind in ("header", "footer"):
            for rel in rels:
                if rel.kind == kind:
                    reader.stream(
                        rel.target, lambda level, text: page_texts.setdefault(text) if text else None
                    )
        for text in page_texts:
            builder.paragraph(text)
        metadata = _core_metadata(package)
    if reader.alt_chunks_skipped:
        metadata["alt_chunks_skipped"] = reader.alt_chunks_skipped
    return builder.build("docx", metadata.get("title") or builder.first_heading, metadata)
