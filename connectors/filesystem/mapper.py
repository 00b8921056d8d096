"""Maps a file read from a folder to a SourceRecord: id, department, ACL, dates from sidecar or config."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from connectors.filesystem.reader import FilesystemOptions, RawFile
from kmingest.config import SourceConfig
from kmingest.models import UNASSIGNED_DEPARTMENT, SourceRecord

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
        updated = parse_when(side.get("updated_at")) or raw.modified
    except ValueError:
        raise ValueError(f"sidecar updated_at {side.get('updated_at')!r} is not an ISO 8601 date") from None
    return SourceRecord(
        source=source.name,
        external_id=raw.relpath,
        system=system,
        filename=raw.filename or raw.relpath.rsplit("/", 1)[-1],
        content=raw.content,
        title=side.get("title"),
        department=str(department or source.department or UNASSIGNED_DEPARTMENT),
        acl=tuple(acl) if isinstance(acl, list | tuple) else (str(acl),),
        updated_at=updated,
        author=side.get("author"),
        url=side.get("url"),
        doc_type=side.get("doc_type"),
        metadata={k: v for k, v in side.items() if k not in KNOWN_KEYS},
    )
