"""Example plugin: a connector for a wiki's JSON export ({"pages": [{"id", "title", "body", "space",
"updated", "restricted_to"}]}). Installed as a package, it registers under the `kmingest.connectors`
entry-point group; kmingest finds it without any change to its own code.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

from pydantic import Field

from kmingest.connectors import Connector, ConnectorOptions, ExtractError
from kmingest.connectors.base import ConnectorConfigError
from kmingest.models import SourceRecord


class WikiOptions(ConnectorOptions):
    export_file: str = "wiki.json"
    space_to_department: dict[str, str] = Field(default_factory=dict)


class WikiConnector(Connector[WikiOptions]):
    name = "wiki"
    path_role = "the folder holding the wiki export"

    def check(self) -> None:
        """`kmingest connectors validate` calls it: the export file is there."""
        super().check()
        path = self.source_path() / self.options.export_file
        if not path.is_file():
            raise ConnectorConfigError(f"{path}: wiki export not found (fix: set export_file)")

    def extract(self, since: datetime | None = None) -> Iterator[SourceRecord | ExtractError]:
        self.check()
        path = self.source_path() / self.options.export_file
        pages = json.loads(path.read_text(encoding="utf-8")).get("pages", [])
        for page in pages:  # reading (above) and mapping (below) stay separate
            if not page.get("id"):
                yield ExtractError(f"page:{page.get('title', '?')}", "page without id")
                continue
            space = str(page.get("space", ""))
            restricted = page.get("restricted_to") or []
            yield SourceRecord(
                source=self.source.name,
                external_id=str(page["id"]),
                system="wiki",
                fields={"body": page.get("body", "")},
                title=page.get("title"),
                department=self.options.space_to_department.get(space, space) or "unassigned",
                acl=tuple(f"dept:{d}" for d in restricted) or tuple(self.source.acl),
                updated_at=datetime.fromisoformat(page["updated"]) if page.get("updated") else None,
                doc_type="wiki-page",
            )
