"""Tabular connector: any CSV/TSV/XLSX/JSON Lines export, described in config.

    sources:
      - name: items
        connector: tabular
        path: /exports/erp
        timezone: "+08:00"
        department_map: {质量部: Quality}
        tables:
          - name: material
            file: materials.csv
            encoding: gb18030
            id: 物料编码
            title: "{物料名称} {规格型号}"
            department: 责任部门
            updated_at: 更新时间

Before any record is yielded every table is checked: the file exists and the named columns are in its
header; otherwise a ConnectorConfigError names the file, the column and the columns that exist.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from itertools import islice
from pathlib import Path

from connectors.tabular.mapper import RowMapper
from connectors.tabular.options import TableSpec, TabularOptions
from connectors.tabular.reader import TableFileError, header_problems, read_header, read_table
from kmingest.connectors.base import Connector, ConnectorConfigError, ExtractError
from kmingest.models import SourceRecord


class TabularConnector(Connector[TabularOptions]):
    name = "tabular"
    path_role = "the export folder"

    def _files(self, table: TableSpec) -> list[Path]:
        root = self.source_path()
        files = sorted(p for p in root.glob(table.file) if p.is_file())
        if not files:
            raise ConnectorConfigError(
                f"sources[{self.source.name}] table {table.name!r}: no file matches "
                f"{root / table.file} (fix: correct `file` or the source path)"
            )
        return files

    def check(self) -> None:
        """Fail early, naming file and column, when the export does not match the config."""
        super().check()
        if not self.options.tables:
            raise ConnectorConfigError(
                f"sources[{self.source.name}].tables: none configured (fix: add tables)"
            )
        limits = self.options.limits(self.source_path())
        for table in self.options.tables:
            for path in self._files(table):
                try:
                    header = read_header(path, table.layout(), limits)
                except TableFileError:
                    continue  # refused as a whole: reported for that file by extract, the others go on
                if not header:
                    continue  # JSON Lines (checked per row) or an empty file
                where = f"table {table.name!r} in sources[{self.source.name}]"
                missing = [c for c in table.named_columns() if c not in header]
                if missing:
                    shown = ", ".join(repr(h) if h else "(unnamed)" for h in header)
                    raise ConnectorConfigError(
                        f"{path}: column(s) {', '.join(map(repr, missing))} not in the header "
                        f"(columns: {shown}) (fix: correct {where}; a file without a header row needs "
                        "`columns:`)"
                    )
                doubled = [c for c in table.named_columns() if header.count(c) > 1]
                if doubled:
                    raise ConnectorConfigError(
                        f"{path}: column(s) {', '.join(map(repr, doubled))} appear more than once in the "
                        f"header, so {where} is ambiguous (fix: name every column with `columns:` and "
                        "`skip_rows: 1`)"
                    )

    def header_problems(self) -> list[str]:
        """Empty or repeated header cells of each table's files (warnings: such a column is not read)."""
        root = self.source_path()
        limits = self.options.limits(root)
        problems = []
        for table in self.options.tables:
            if table.columns:
                continue  # the header row, if any, is not used
            for path in self._files(table):
                try:
                    header = read_header(path, table.layout(), limits)
                except TableFileError:
                    continue
                rel = path.relative_to(root).as_posix()
                problems += [
                    f"sources[{self.source.name}] table {table.name!r}: {rel}: {p}"
                    for p in header_problems(header)
                ]
        return problems

    def sample(self, rows_per_table: int) -> Iterator[SourceRecord | ExtractError]:
        """The first mapped records (or row errors) of each table's first file: a preview of the mapping."""
        self.check()
        root = self.source_path()
        limits = self.options.limits(root)
        for table in self.options.tables:
            mapper = RowMapper(table, self.options, self.source, self.system)
            path = self._files(table)[0]
            rel = path.relative_to(root).as_posix()
            try:
                _, rows = read_table(path, table.layout(), limits)
            except TableFileError as err:
                yield ExtractError(f"{table.name}:{rel}", f"{rel}: {err}")
                continue
            yield from islice(mapper.records(rows, rel), rows_per_table)

    def extract(self, since: datetime | None = None) -> Iterator[SourceRecord | ExtractError]:
        self.check()
        root = self.source_path()
        limits = self.options.limits(root)
        for table in self.options.tables:
            mapper = RowMapper(table, self.options, self.source, self.system)
            for path in self._files(table):
                rel = path.relative_to(root).as_posix()
                try:
                    _, rows = read_table(path, table.layout(), limits)
                except TableFileError as err:
                    # its rows were not read: `covers` keeps them from looking deleted to a full sync
                    yield ExtractError(f"{table.name}:{rel}", f"{rel}: {err}", covers=f"{table.name}:")
                    continue
                yield from mapper.records(rows, rel)
