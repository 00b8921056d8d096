"""Filesystem connector: a folder of files, with optional JSON sidecar metadata per file.

    sources:
      - name: files
        connector: filesystem
        path: /data/shared-drive
        department: Quality          # default when neither sidecar nor folder gives one
        department_from_folder: true # first folder below `path` names the department
        department_map: {QA: Quality} # raw folder/sidecar value -> portal department
        acl: [public]                # default when the sidecar gives none

A sidecar `report.pdf.meta.json` beside `report.pdf` may set title, department, acl, author,
updated_at (ISO 8601), url, doc_type and any other keys (kept as metadata).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from connectors.filesystem.mapper import map_file
from connectors.filesystem.reader import FileReader, FilesystemOptions
from kmingest.connectors.base import Connector, ConnectorConfigError, ExtractError
from kmingest.models import SourceRecord


class FilesystemConnector(Connector[FilesystemOptions]):
    name = "filesystem"
    complete_listing = True  # every run lists the whole folder: a path no longer listed is gone
    path_role = "the folder to read"

    def check(self) -> None:
        """The source folder is set and exists."""
        super().check()
        if not self.source_path().is_dir():
            raise ConnectorConfigError(
                f"source folder {self.source_path()} does not exist or is not a folder "
                "(fix: correct the source's path)"
            )

    def extract(self, since: datetime | None = None) -> Iterator[SourceRecord | ExtractError]:
        # `since` is ignored on purpose: listing a folder is cheap and content hashes decide what changed,
        # so a file copied in with an old modification time is never missed.
        reader = FileReader(self.source_path(), self.options)
        for item in reader.read():
            if isinstance(item, ExtractError):
                yield item
                continue
            try:
                yield map_file(item, self.source, self.options, self.system)
            except ValueError as err:
                yield ExtractError(item.relpath, str(err))
