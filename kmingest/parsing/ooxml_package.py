"""OOXML packages (docx, xlsx) read straight from the zip: relationships, content types, bounded XML.

Used by the docx and xlsx parsers instead of a library's package loader, so that any main-part content
type opens (docm, dotx, dotm, strict OOXML) and memory stays bounded: a part is parsed whole only under
a byte cap (`parse`), and a large story is streamed (`iterparse`) while the caller clears what it has
used; between two `XmlStream.release` calls at most `max_unit_bytes` of XML may be read, so one
element can never grow a tree of unbounded size. guard.check_zip has already bounded the declared sizes.
`core_metadata` reads the core properties (docx, xlsx, pptx) into the document-metadata shape the pipeline
reads: author, created_at, updated_at (ISO 8601 with offset), title.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import IO, Any
from urllib.parse import unquote

from lxml import etree

from kmingest.parsing.base import ParseError, moment
from kmingest.parsing.guard import xml_parser

MAX_UNIT_BYTES = 16 * 1024 * 1024  # XML read for one paragraph / table row / whole small part
_READ_CHUNK = 64 * 1024
_CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def shown(name: str) -> str:
    """A part name as it may appear in a reason: escaped (it comes from the file) and short."""
    return ascii(name)[1:-1][:120]


@dataclass(frozen=True)
class Relationship:
    rel_id: str
    kind: str  # last segment of the type URI: "header", "footnotes", "aFChunk", "worksheet", ...
    target: str  # resolved part name inside the zip ("" for external targets)


class XmlStream:
    """A zip member as a file object for lxml that refuses more than max_unit_bytes between releases."""

    def __init__(self, raw: IO[bytes], where: str, max_unit_bytes: int) -> None:
        self._raw = raw
        self._where = where
        self._max_unit_bytes = max_unit_bytes
        self.consumed = 0
        self._mark = 0
        self.context: Any = None  # the lxml iterparse object, for its root element

    @property
    def root(self) -> Any:
        return None if self.context is None else self.context.root

    def read(self, size: int = -1) -> bytes:
        chunk = self._raw.read(_READ_CHUNK if size < 0 else min(size, _READ_CHUNK))
        self.consumed += len(chunk)
        if self.consumed - self._mark > self._max_unit_bytes:
            raise ParseError(
                f"{self._where}: one element holds more than {self._max_unit_bytes} bytes of XML (XML bomb?)"
            )
        return chunk

    def release(self) -> None:
        """The caller has cleared everything parsed so far."""
        self._mark = self.consumed


class Package:
    """The parts of one OOXML zip; part names are matched case-insensitively as OPC requires."""

    def __init__(self, data: bytes, fmt: str) -> None:
        self.fmt = fmt
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self._zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
            raise ParseError(f"{fmt}: file is not a zip archive / corrupt") from None
        self._names = {info.filename.lower(): info for info in infos}
        self._types: dict[str, str] | None = None
        self._rels: dict[str, tuple[Relationship, ...]] = {}

    def __enter__(self) -> Package:
        return self

    def __exit__(self, *exc: object) -> None:
        self._zip.close()

    def has(self, name: str) -> bool:
        return name.lower() in self._names

    def _info(self, name: str) -> zipfile.ZipInfo:
        info = self._names.get(name.lower())
        if info is None:
            raise ParseError(f"{self.fmt}: corrupt package: missing part {shown(name)}")
        return info

    def open(self, name: str) -> IO[bytes]:
        """A streaming reader of one part (zipfile never inflates more than the declared size)."""
        return self._zip.open(self._info(name))

    def read(self, name: str, max_bytes: int = MAX_UNIT_BYTES) -> bytes:
        info = self._info(name)
        if info.file_size > max_bytes:
            raise ParseError(f"{self.fmt}: part {shown(name)} is over {max_bytes} bytes (XML bomb?)")
        with self._zip.open(info) as member:
            return member.read(max_bytes + 1)[:max_bytes]

    def parse(self, name: str, max_bytes: int = MAX_UNIT_BYTES) -> Any:
        """The root element of a part read whole (for small parts: styles, rels, workbook)."""
        try:
            return etree.fromstring(self.read(name, max_bytes), xml_parser())
        except etree.XMLSyntaxError:
            raise ParseError(f"{self.fmt}: part {shown(name)} is not well-formed XML") from None

    def iterparse(
        self, name: str, tags: Sequence[str], max_unit_bytes: int = MAX_UNIT_BYTES
    ) -> tuple[Iterator[tuple[str, Any]], XmlStream]:
        """('end', element) events for `tags`; the tree keeps growing unless the caller clears it."""
        stream = XmlStream(self.open(name), f"{self.fmt}: {shown(name)}", max_unit_bytes)
        events = etree.iterparse(
            stream, events=("end",), tag=list(tags), resolve_entities=False, no_network=True, huge_tree=False
        )
        stream.context = events
        return _translated(events, self.fmt, name), stream

    def rels(self, part: str) -> tuple[Relationship, ...]:
        """Relationships of `part` ("" for the package's own), targets resolved to part names; each
        .rels part is parsed once per package (the main part's are asked for by several readers)."""
        if part not in self._rels:
            self._rels[part] = tuple(self._read_rels(part))
        return self._rels[part]

    def _read_rels(self, part: str) -> list[Relationship]:
        folder, base = posixpath.split(part)
        rels_name = posixpath.join(folder, "_rels", f"{base}.rels")
        if not self.has(rels_name):
            return []
        found: list[Relationship] = []
        for rel in self.parse(rels_name).iter(f"{_PKG_REL}Relationship"):
            target = unquote(rel.get("Target", ""))
            if rel.get("TargetMode") == "External" or not target:
                target = ""
            elif target.startswith("/"):
                target = target.lstrip("/")
            else:
                target = posixpath.normpath(posixpath.join(folder, target))
            kind = rel.get("Type", "").rstrip("/").rsplit("/", 1)[-1]
            found.append(Relationship(rel.get("Id", ""), kind, target))
        return found

    def main_part(self, default: str) -> str:
        """The officeDocument target (word/document.xml may be named otherwise), else `default`."""
        for rel in self.rels(""):
            if rel.kind == "officeDocument" and rel.target and self.has(rel.target):
                return rel.target
        if not self.has(default):
            raise ParseError(f"{self.fmt}: corrupt package: no main document part")
        return default

    def content_type(self, name: str) -> str:
        if self._types is None:
            self._types = {}
            if self.has("[Content_Types].xml"):
                root = self.parse("[Content_Types].xml")
                for node in root.iter(f"{_CT}Default"):
                    self._types["*." + node.get("Extension", "").lower()] = node.get("ContentType", "")
                for node in root.iter(f"{_CT}Override"):
                    self._types[node.get("PartName", "").lstrip("/").lower()] = node.get("ContentType", "")
        extension = "*." + posixpath.splitext(name)[1].lstrip(".").lower()
        return self._types.get(name.lower()) or self._types.get(extension, "")


_DC, _DCTERMS, _CP = (
    "{http://purl.org/dc/elements/1.1/}",
    "{http://purl.org/dc/terms/}",
    "{http://schemas.openxmlformats.org/package/2006/metadata/core-properties}",
)
_CORE_FIELDS = {
    f"{_DC}title": "title",
    f"{_DC}creator": "creator",
    f"{_DC}subject": "subject",
    f"{_CP}keywords": "keywords",
    f"{_CP}lastModifiedBy": "last_modified_by",
    f"{_DCTERMS}created": "created",
    f"{_DCTERMS}modified": "modified",
}
_W3CDTF = re.compile(
    r"(\d{4})(?:-(\d\d)(?:-(\d\d)(?:T(\d\d):(\d\d)(?::(\d\d)(?:\.\d+)?)?)?)?)?\s*(Z|[+-]\d\d:?\d\d)?$"
)


def core_properties(package: Package) -> dict[str, str]:
    """title, creator, subject, keywords, last_modified_by, created and modified (W3CDTF text) from the
    core-properties part, where present and not blank."""
    target = next((rel.target for rel in package.rels("") if rel.kind == "core-properties"), "")
    if not target or not package.has(target):
        return {}
    found: dict[str, str] = {}
    for node in package.parse(target, 1024 * 1024).iter(*_CORE_FIELDS):
        text = " ".join((node.text or "").split())
        if text:
            found[_CORE_FIELDS[node.tag]] = text
    return found


def w3cdtf(text: str) -> datetime | None:
    """A W3CDTF date ("2017-03-01", "2017-03-01T08:30:00Z", "...+08:00") as an aware datetime (UTC when it
    names no offset); None when it is not one (core properties hold whatever a generator wrote)."""
    match = _W3CDTF.match(text.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second, zone = match.groups()
    tz = UTC
    if zone and zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        if offset >= timedelta(hours=24):
            return None
        tz = timezone(sign * offset)
    return moment(year, (month, day, hour, minute, second), tz)


def dated(found: dict[str, Any], *pairs: tuple[str | None, str]) -> dict[str, Any]:
    """`found` with each (raw date text, key) that reads as a W3CDTF / ISO 8601 date added under its key
    as ISO 8601 with offset (the document-metadata shape); text that is not a date is left out."""
    for raw, key in pairs:
        when = w3cdtf(raw or "")
        if when is not None:
            found[key] = when.isoformat()
    return found


def core_metadata(package: Package) -> dict[str, str]:
    """The core properties in the document-metadata shape the pipeline reads: title, author (creator),
    last_modified_by, subject, keywords, created_at and updated_at (ISO 8601 with offset). A field that
    cannot be read is left out; a broken core-properties part gives {} (it must not cost us the text)."""
    try:
        core = core_properties(package)
    except ParseError:
        return {}
    found: dict[str, str] = {
        k: core[k] for k in ("title", "subject", "keywords", "last_modified_by") if k in core
    }
    if "creator" in core:
        found["author"] = core["creator"]
    return dated(found, (core.get("created"), "created_at"), (core.get("modified"), "updated_at"))


def _translated(events: Any, fmt: str, name: str) -> Iterator[tuple[str, Any]]:
    try:
        yield from events
    except etree.XMLSyntaxError:
        raise ParseError(f"{fmt}: part {shown(name)} is not well-formed XML") from None


def drop_used(element: Any) -> None:
    """Free an element the caller has finished with, and its already-used earlier siblings."""
    element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]
