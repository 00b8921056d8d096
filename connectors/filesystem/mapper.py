"""Maps a file read from a folder to a SourceRecord: id, department, ACL, dates from sidecar or config.

The record says where its date and author came from (metadata date_source / author_source: "sidecar",
"document" or "file"): a date from the file's modification time is only a fallback, which the document's own
date (e-mail Date, core properties, PDF /ModDate) replaces when the pipeline parses it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from connectors.filesystem.reader import FilesystemOptions, RawFile
from kmingest.config import SourceConfig
from kmingest.models import UNASSIGNED_DEPARTMENT, SourceRecord
from kmingest.parsing.mailbox import read_headers

KNOWN_KEYS = {"title", "department", "acl", "author", "updated_at", "url", "doc_type"}


def parse_when(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    when = datetime.fromisoformat(str(value))
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def map_file(raw: RawFile, source: SourceConfig, options: FilesystemOptions, system: str) -> SourceRecord:
    side = raw.sidecar
    department = side.get("department")
    if not department and options.department_from_folder and "/" in raw.relpath:
        department = raw.relpath.split("/", 1)[0]
    if department:
        department = options.department_map.get(str(department), str(department))
    acl = side.get("acl", source.acl)
    try:
        updated = parse_when(side.get("updated_at"))
    except ValueError:
        raise ValueError(f"sidecar updated_at {side.get('updated_at')!r} is not an ISO 8601 date") from None
    provenance = _provenance(raw, updated)
    return SourceRecord(
        source=source.name,
        external_id=raw.relpath,
        system=system,
        filename=raw.filename or raw.relpath.rsplit("/", 1)[-1],
        content=raw.content,
        title=side.get("title"),
        department=str(department or source.department or UNASSIGNED_DEPARTMENT),
        acl=tuple(acl) if isinstance(acl, list | tuple) else (str(acl),),
        updated_at=updated or raw.modified,
        author=side.get("author"),
        url=side.get("url"),
        doc_type=side.get("doc_type"),
        metadata={**{k: v for k, v in side.items() if k not in KNOWN_KEYS}, **provenance},
    )


def _provenance(raw: RawFile, updated: datetime | None) -> dict[str, str]:
    """Where the record's date and author came from: "sidecar", "document" (a mailbox message's own Date and
    From, which the reader copied) or "file" (the modification time, which the document's own date replaces
    in record_document.to_document)."""
    found = {"date_source": "file" if updated is None else "sidecar"}
    if raw.sidecar.get("author"):
        found["author_source"] = "sidecar"
    if "message_number" in raw.sidecar:  # a message split out of a mailbox
        headers = read_headers(raw.content)
        if updated is not None and updated == headers.date:
            found["date_source"] = "document"
        if headers.sender and raw.sidecar.get("author") == headers.sender:
            found["author_source"] = "document"
    return found
