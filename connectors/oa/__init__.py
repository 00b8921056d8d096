"""OA connector: an office-automation export = manifest.xml + the office files it lists.

sources:
  - name: oa
    connector: oa
    path: /exports/oa              # holds manifest.xml and files/
    department_map: {人力资源部: HR}
    timezone: "+08:00"
    max_file_mb: 50                # a listed file over this is refused before it is read
    default_acl: ["dept:HR"]       # entries with empty or missing <permissions> (default: [] = admins only)
    missing_permissions: default_acl   # or: fail (such an entry is a dead letter, not indexed)
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Literal

from pydantic import Field, field_validator

from connectors.oa.mapper import map_entry
from connectors.oa.reader import read_manifest
from connectors.tabular.mapper import parse_offset
from kmingest.connectors.base import Connector, ConnectorConfigError, ConnectorOptions, ExtractError
from kmingest.models import SourceRecord

PRINCIPAL = re.compile(r"public|(dept|user|group):\S.*")


class OaOptions(ConnectorOptions):
    manifest: str = Field(
        default="manifest.xml",
        description="the export's manifest, relative to the source "
        "path: one entry per document with its metadata and permissions",
    )
    files_dir: str = Field(
        default="files",
        description="folder of the office files the manifest lists, relative to the source path",
    )
    department_map: dict[str, str] = Field(
        default_factory=dict, description="raw department -> portal department"
    )
    timezone: str = Field(
        default="+08:00",
        pattern=r"^[+-]\d{2}:\d{2}$",
        description="UTC offset for manifest dates without one",
    )
    max_file_mb: float = Field(
        default=50, gt=0, description="a listed file over it is refused from its size, before it is read"
    )
    # Entries whose <permissions> is empty or missing: readable by `default_acl` (None: the source's `acl`
    # when the config sets one, else nobody but admins), or refused as dead letters with `fail`.
    default_acl: tuple[str, ...] | None = Field(
        default=None,
        description="readers of entries whose "
        "`<permissions>` is empty or missing; not set: the source's "
        "`acl` if the config sets one, else `[]` (admins only)",
    )
    missing_permissions: Literal["default_acl", "fail"] = Field(
        default="default_acl", description="`fail`: entries without permissions are dead letters, not indexed"
    )

    @field_validator("default_acl")
    @classmethod
    def _principals(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        for item in value or ():
            if not PRINCIPAL.fullmatch(item):
                raise ValueError(
                    f"{item!r} is not a principal (use public, dept:<name>, user:<login>, group:<name>)"
                )
        return value


class OaConnector(Connector[OaOptions]):
    name = "oa"
    path_role = "the export folder"

    def check(self) -> None:
        """The export folder is set and holds the manifest (its XML is checked when it is read)."""
        super().check()
        manifest = self.source_path() / self.options.manifest
        if not manifest.is_file():
            raise ConnectorConfigError(
                f"{manifest}: manifest not found (fix: correct `manifest` or the source path)"
            )

    def fallback_acl(self) -> tuple[str, ...] | None:
        """The ACL of an entry without permissions; None refuses such entries (missing_permissions: fail)."""
        if self.options.missing_permissions == "fail":
            return None
        if self.options.default_acl is not None:
            return self.options.default_acl
        return tuple(self.source.acl) if "acl" in self.source.model_fields_set else ()

    def extract(self, since: datetime | None = None) -> Iterator[SourceRecord | ExtractError]:
        opts = self.options
        tz = parse_offset(opts.timezone)
        fallback = self.fallback_acl()
        max_bytes = int(opts.max_file_mb * 1024 * 1024)
        for item in read_manifest(self.source_path(), opts.manifest, opts.files_dir, max_bytes):
            if isinstance(item, ExtractError):
                yield item
                continue
            try:
                yield map_entry(item, self.source, opts.department_map, tz, self.system, fallback)
            except ValueError as err:
                yield ExtractError(item.doc_id, f"{opts.manifest}: {item.doc_id}: {err}")
