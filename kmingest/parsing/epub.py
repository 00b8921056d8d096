"""EPUB e-books -> text: the chapters' XHTML in spine (reading) order, through html.py's walker.

`parse_bytes` sniffs a zip whose mimetype member says application/epub+zip and runs the zip-bomb guard
first. META-INF/container.xml names the package document (OPF); its manifest maps ids to files and its
spine gives the reading order. Every chapter is walked into one TextBuilder, so its h1-h6 become sections
and max_chars holds across the whole book. The OPF/container XML is parsed without entities, DTDs or
network. DRM-encrypted chapters (listed in META-INF/encryption.xml) fail the book with a reason. The OPF's
metadata gives title, author, language, created_at (dc:date) and updated_at (EPUB 3's dcterms:modified).
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from typing import Any
from urllib.parse import unquote

from lxml import etree

from kmingest.models import ParsedContent
from kmingest.parsing.base import ParseError, ParseLimits
from kmingest.parsing.builder import TextBuilder, squash
from kmingest.parsing.encoding import decode_text
from kmingest.parsing.guard import parse_zip_xml
from kmingest.parsing.html import add_document
from kmingest.parsing.ooxml_package import dated

_CONTAINER = "META-INF/container.xml"
_ENCRYPTION = "META-INF/encryption.xml"
_HTML_TYPES = {"application/xhtml+xml", "text/html", "application/x-dtbook+xml"}


def _local(element: Any) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _package_path(archive: zipfile.ZipFile) -> str:
    container = parse_zip_xml(archive, _CONTAINER, "epub")
    for element in container.iter():
        if _local(element) == "rootfile" and element.get("full-path"):
            return str(element.get("full-path"))
    raise ParseError("epub: container.xml names no package document")


def _encrypted(archive: zipfile.ZipFile) -> set[str]:
    if _ENCRYPTION not in archive.namelist():
        return set()
    refs = (
        e.get("URI", "")
        for e in parse_zip_xml(archive, _ENCRYPTION, "epub").iter()
        if _local(e) == "CipherReference"
    )
    return {unquote(ref).lstrip("/") for ref in refs}


def _reading_order(opf: Any, base: str) -> list[str]:
    """Paths (inside the zip) of the spine's documents, in order; the manifest's HTML if no spine."""
    manifest = {}
    for item in opf.iter():
        if _local(item) == "item" and item.get("id") and item.get("href"):
            href = posixpath.normpath(posixpath.join(base, unquote(str(item.get("href")).split("#")[0])))
            manifest[str(item.get("id"))] = (href, item.get("media-type", ""))
    spine = [str(ref.get("idref")) for ref in opf.iter() if _local(ref) == "itemref" and ref.get("idref")]
    order = [manifest[idref][0] for idref in spine if idref in manifest]
    return order or [href for href, media in manifest.values() if media in _HTML_TYPES]


def _metadata(opf: Any) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for element in opf.iter():
        key = {"title": "title", "creator": "author", "language": "lang", "date": "created"}.get(
            _local(element)
        )
        if key and key not in found and squash(element.text or ""):
            found[key] = squash(element.text or "")
    modified = next(  # EPUB 3: <meta property="dcterms:modified">, when the book was last changed
        (e.text for e in opf.iter() if _local(e) == "meta" and e.get("property") == "dcterms:modified"), None
    )
    return dated(found, (found.get("created"), "created_at"), (modified, "updated_at"))


def parse_epub(data: bytes, filename: str, limits: ParseLimits) -> ParsedContent:
    builder = TextBuilder(limits.max_chars)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        package = _package_path(archive)
        opf = parse_zip_xml(archive, package, "epub")
        chapters = _reading_order(opf, posixpath.dirname(package))
        if set(chapters) & _encrypted(archive):
            raise ParseError("epub: encrypted (DRM-protected) book")
        names = set(archive.namelist())
        for chapter in chapters:
            if chapter not in names:
                continue  # a spine entry pointing nowhere: skip it, keep the book
            add_document(builder, decode_text(archive.read(chapter)))
            builder.leave_sections()  # a chapter's headings do not run on into the next chapter
    metadata = _metadata(opf)
    metadata["chapters"] = len(chapters)
    return builder.build("epub", metadata.get("title") or builder.first_heading, metadata)
