"""OA connector: an office-automation export = manifest.xml + the office files it lists.

sources:
  - name: oa
    connector: oa
    path: /exports/oa              # holds manifest.xml and files/
    department_map: {人力资源部: HR}
    timezone: "+08:00"
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from pydantic import Field

from connectors.oa.mapper import map_entry
from connectors.oa.reader import read_manifest
from connectors.tabular.mapper import parse_offset
from kmingest.connectors.base import Connector, ConnectorConfigError, ConnectorOptions, ExtractError
from kmingest.models import SourceRecord


class OaOptions(ConnectorOptions):
    manifest: str = "manifest.xml"
    files_dir: str = "files"
    department_map: dict[str, str] = Field(default_factory=dict)
    timezone: str = Field(default="+08:00", pattern=r"^[+-]\d{2}:\d{2}$")


class OaConnector(Connector):
    name = "oa"
    Options = OaOptions

    def extract(self, since: datetime | None = None) -> Iterator[SourceRecord | ExtractError]:
        if self.source.path is None:
            raise ConnectorConfigError(
                f"sources[{self.source.name}].path: missing (fix: set the export folder)"
            )
        assert isinstance(self.options, OaOptions)
        opts = self.options
        tz = parse_offset(opts.timezone)
        for item in read_manifest(self.source.path, opts.manifest, opts.files_dir):
            if isinstance(item, ExtractError):
                yield item
                continue
            try:
                yield map_entry(item, self.source, opts.department_map, tz, self.system)
            except ValueError as err:
                yield ExtractError(item.doc_id, f"{opts.manifest}: {item.doc_id}: {err}")
