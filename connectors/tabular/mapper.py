"""Maps rows of a tabular export to SourceRecords: id, title, text fields, department and ACL through the
source's mapping tables, dates with an explicit time zone, and row groups (one document per id).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from typing import Any

from connectors.tabular.options import TableSpec, TabularOptions
from connectors.tabular.reader import Row, RowError
from kmingest.config import SourceConfig
from kmingest.connectors.base import ExtractError
from kmingest.models import PUBLIC, UNASSIGNED_DEPARTMENT, SourceRecord


def parse_offset(value: str) -> timezone:
    sign = -1 if value.startswith("-") else 1
    hours, _, minutes = value.lstrip("+-").partition(":")
    return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes or 0)))


def to_datetime(value: Any, tz: timezone) -> datetime | None:
    """A cell or string as an aware datetime; None for empty; ValueError for text that is not a date."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        when = value
    elif isinstance(value, date):
        when = datetime(value.year, value.month, value.day)
    else:
        when = datetime.fromisoformat(str(value).strip().replace("/", "-"))
    return when if when.tzinfo else when.replace(tzinfo=tz)


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


class _Cells(dict[str, str]):
    """Row values for str.format_map templates; a column the row lacks renders as ''."""

    def __missing__(self, key: str) -> str:
        return ""


def render(template: str, values: dict[str, Any]) -> str:
    return template.format_map(_Cells({k: _text(v) for k, v in values.items()})).strip()


class RowMapper:
    def __init__(self, table: TableSpec, options: TabularOptions, source: SourceConfig, system: str) -> None:
        self.table, self.options, self.source, self.system = table, options, source, system
        self.tz = parse_offset(options.timezone)

    def external_id(self, row: Row) -> str:
        return "|".join(_text(row.values.get(c)) for c in self.table.id_columns)

    def department(self, raw: str) -> str:
        mapped = self.options.department_map.get(raw, raw) if raw else ""
        return mapped or self.source.department or UNASSIGNED_DEPARTMENT

    def acl(self, raw: str) -> tuple[str, ...]:
        if not self.table.acl:
            return tuple(self.source.acl)
        if raw not in self.options.acl_map:
            known = ", ".join(sorted(self.options.acl_map)) or "(none)"
            raise ValueError(f"access value {raw!r} in column {self.table.acl!r} is not in acl_map "
                             f"(known: {known}); record not indexed")  # fmt: skip
        return tuple(self.options.acl_map[raw])  # [] stays empty: readable by admins only (fail closed)

    def group_acl(self, rows: list[Row]) -> tuple[str, ...]:
        """The most restrictive combination: who may read every row. `public` is everyone, so it drops
        out of an intersection with anything narrower; rows with no reader in common give () (admins only:
        an ACL lists alternatives, it cannot say "in HR and in Sales")."""
        acls = [self.acl(_text(row.values.get(self.table.acl or ""))) for row in rows]
        narrow = [acl for acl in acls if PUBLIC not in acl]  # a public row narrows nothing
        if not narrow:
            return acls[0]
        return tuple(p for p in narrow[0] if all(p in acl for acl in narrow[1:]))

    def group_department(self, rows: list[Row]) -> str:
        """The department most rows name (first row on a tie). Department is for filters and coverage, not
        for access: the ACL above decides who may read the group."""
        names = [_text(r.values.get(self.table.department or "")) for r in rows]
        counts = {n: names.count(n) for n in names}
        return self.department(max(names, key=lambda n: counts[n]))

    def title(self, values: dict[str, Any], ext_id: str) -> str:
        spec = self.table.title
        if spec is None:
            return f"{self.table.name} {ext_id}"
        if "{" in spec:
            return render(spec, values) or ext_id
        return _text(values.get(spec)) or ext_id

    def record(self, rows: list[Row], source_file: str) -> SourceRecord:
        first = rows[0].values
        ext_id = self.external_id(rows[0])
        body_cols = self.table.body or [c for c in first if c not in self.table.id_columns]
        if len(rows) == 1:
            fields: dict[str, Any] = {c: first.get(c) for c in body_cols}
        else:  # a group: columns equal in every row once, then one line per row with the varying ones
            shared = [c for c in body_cols if all(r.values.get(c) == first.get(c) for r in rows)]
            varying = [c for c in body_cols if c not in shared]
            fields = {c: first.get(c) for c in shared}
            for i, r in enumerate(rows, start=1):
                fields[f"#{i}"] = {c: r.values.get(c) for c in varying}
        updated = max((d for r in rows if (d := to_datetime(r.values.get(self.table.updated_at or ""), self.tz))),
                      default=None)  # fmt: skip
        return SourceRecord(
            source=self.source.name,
            external_id=f"{self.table.name}:{ext_id}",
            system=self.system,
            fields=fields,
            title=self.title(first, ext_id),
            department=self.group_department(rows),
            acl=self.group_acl(rows),
            updated_at=updated,
            author=_text(first.get(self.table.author or "")) or None,
            url=render(self.table.url, first) if self.table.url else None,
            doc_type=self.table.doc_type or self.table.name,
            metadata={"file": source_file, "lines": [r.line for r in rows]},
        )

    def records(
        self, rows: Iterator[Row | RowError], source_file: str
    ) -> Iterator[SourceRecord | ExtractError]:
        """Group consecutive rows by id when `group_rows`; a repeated id elsewhere is a duplicate."""
        seen: set[str] = set()
        group: list[Row] = []

        def flush() -> Iterator[SourceRecord | ExtractError]:
            if group:
                try:
                    yield self.record(group, source_file)
                except ValueError as err:
                    yield ExtractError(f"{self.table.name}:{self.external_id(group[0])}",
                                       f"{source_file} line {group[0].line}: {err}")  # fmt: skip

        for item in rows:
            if isinstance(item, RowError):
                yield ExtractError(
                    f"{self.table.name}:{source_file}:line-{item.line}", f"{source_file}: {item.reason}"
                )
                continue
            missing = [c for c in self.table.id_columns if not _text(item.values.get(c))]
            if missing:
                yield ExtractError(f"{self.table.name}:{source_file}:line-{item.line}",
                                   f"{source_file} line {item.line}: no value in id column {', '.join(missing)}")  # fmt: skip
                continue
            ext_id = self.external_id(item)
            if group and self.table.group_rows and ext_id == self.external_id(group[0]):
                group.append(item)
                continue
            yield from flush()
            group = []
            if ext_id in seen:
                yield ExtractError(f"{self.table.name}:{ext_id}:line-{item.line}",
                                   f"{source_file} line {item.line}: duplicate id {ext_id!r}; the first one was kept")  # fmt: skip
                continue
            seen.add(ext_id)
            group = [item]
        yield from flush()
