"""Maps a manifest entry of an OA export to a SourceRecord: permissions to ACL principals (departments
through the source's department_map), publish date to updated_at (in the source's time zone)."""

from __future__ import annotations

from datetime import datetime, timezone

from connectors.oa.reader import ManifestEntry
from kmingest.config import SourceConfig
from kmingest.models import PUBLIC, UNASSIGNED_DEPARTMENT, SourceRecord

PRINCIPAL_TYPES = {"public", "dept", "user", "group"}


def map_entry(
    entry: ManifestEntry,
    source: SourceConfig,
    department_map: dict[str, str],
    tz: timezone,
    system: str,
    fallback: tuple[str, ...] | None = (),
) -> SourceRecord:
    """`fallback`: the ACL of an entry with empty or missing <permissions> (() = admins only); None refuses
    such an entry (ValueError: the connector reports it)."""
    if not entry.permissions and fallback is None:
        raise ValueError(
            "no <permissions> (missing_permissions: fail); record not indexed "
            "(fix: add permissions in the OA system, or set default_acl)"
        )
    acl: list[str] = []
    for kind, value in entry.permissions:
        if kind not in PRINCIPAL_TYPES or (kind != "public" and not value):
            raise ValueError(
                f"permission <allow type={kind!r}>{value}</allow> is not understood; record not indexed"
            )
        if kind == "public":
            acl.append(PUBLIC)
        elif kind == "dept":
            acl.append(f"dept:{department_map.get(value, value)}")
        else:
            acl.append(f"{kind}:{value}")
    department = department_map.get(entry.department, entry.department) if entry.department else ""
    published = entry.published
    return SourceRecord(
        source=source.name,
        external_id=entry.doc_id,
        system=system,
        filename=entry.file.rsplit("/", 1)[-1],
        content=entry.content,
        title=entry.title or None,
        department=department or source.department or UNASSIGNED_DEPARTMENT,
        acl=tuple(acl) if entry.permissions else tuple(fallback or ()),
        updated_at=datetime(published.year, published.month, published.day, tzinfo=tz) if published else None,
        author=entry.author or None,
        metadata={
            "file": entry.file,
            "category": entry.file.split("/")[1] if entry.file.count("/") >= 2 else "",
        },
    )
