"""Maps rows of a tabular export to SourceRecords: id, title, text fields, department and ACL through the
source's mapping tables, dates (ISO, or the table's `date_format`/`date_pattern`) with an explicit time zone,
the row filter (`where`), the language column, and row groups (one document per id).

Only named columns are read: a column the table does not configure is never a fallback (an unnamed pandas
index column once became every row's department and date).
"""

from __future__ import annotations

import re
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


def to_datetime(value: Any, tz: timezone, fmt: str | None = None) -> datetime | None:
    """A cell or string as an aware datetime; None for empty; ValueError for text that is not a date.
    `fmt`: a strptime format for text cells (default: ISO 8601, `/` accepted for `-`)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        when = value
    elif isinstance(value, date):
        when = datetime(value.year, value.month, value.day)
    elif fmt:
        when = datetime.strptime(str(value).strip(), fmt)
    else:
        text = str(value).strip().replace("/", "-")
        if len(text) > 10 and text[10] not in "T ":  # fromisoformat takes any separator: 2023-03-31.0002
            raise ValueError(f"{text!r}: date and time are not separated by 'T' or a space")
        when = datetime.fromisoformat(text)
    return when if when.tzinfo else when.replace(tzinfo=tz)


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


class _Cells(dict[str, str]):
    """Row values for str.format_map templates; a column the row lacks renders as ''."""

    def __missing__(self, key: str) -> str:
        return ""


def render(template: str, values: dict[str, Any]) -> str:
    return template.format_map(_Cells({k: _text(v) for k, v in values.items()})).strip()


def cell(values: dict[str, Any], column: str | None) -> Any:
    """The value of a configured column; None when the table names no column (never the unnamed one)."""
    return values.get(column) if column else None


class RowMapper:
    def __init__(self, table: TableSpec, options: TabularOptions, source: SourceConfig, system: str) -> None:
        self.table, self.options, self.source, self.system = table, options, source, system
        self.tz = parse_offset(options.timezone)
        self.date_cut = re.compile(table.date_pattern) if table.date_pattern else None
        self.allowed = {c: {v} if isinstance(v, str) else set(v) for c, v in table.where.items()}

    def wanted(self, row: Row) -> bool:
        """The row filter (`where`): every named column holds one of its allowed values."""
        return all(_text(row.values.get(c)) in values for c, values in self.allowed.items())

    def updated_at(self, row: Row) -> datetime | None:
        """The row's date; ValueError naming the column, the value and the options that fix it."""
        column = self.table.updated_at
        value = cell(row.values, column)
        if self.date_cut is not None and isinstance(value, str) and value.strip():
            found = self.date_cut.search(value)
            if found is None:
                raise ValueError(
                    f"date column {column!r}: {value!r} does not match date_pattern "
                    f"{self.table.date_pattern!r} (fix: correct date_pattern of table "
                    f"{self.table.name!r})"
                )
            value = found.group(1) if found.groups() else found.group(0)
        try:
            return to_datetime(value, self.tz, self.table.date_format)
        except ValueError:
            expected = f"date_format {self.table.date_format!r}" if self.table.date_format else "ISO 8601"
            raise ValueError(
                f"date column {column!r}: {_text(value)!r} is not a date ({expected} expected) "
                f"(fix: set date_format (strptime, e.g. %Y-%m-%d) or date_pattern of table "
                f"{self.table.name!r}, or correct `updated_at`)"
            ) from None

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
            raise ValueError(
                f"access value {raw!r} in column {self.table.acl!r} is not in acl_map "
                f"(known: {known}); record not indexed"
            )
        return tuple(self.options.acl_map[raw])  # [] stays empty: readable by admins only (fail closed)

    def group_acl(self, rows: list[Row]) -> tuple[str, ...]:
        """The most restrictive combination: who may read every row. `public` is everyone, so it drops
        out of an intersection with anything narrower; rows with no reader in common give () (admins only:
        an ACL lists alternatives, it cannot say "in HR and in Sales")."""
        acls = [self.acl(_text(cell(row.values, self.table.acl))) for row in rows]
        narrow = [acl for acl in acls if PUBLIC not in acl]  # a public row narrows nothing
        if not narrow:
            return acls[0]
        return tuple(p for p in narrow[0] if all(p in acl for acl in narrow[1:]))

    def group_department(self, rows: list[Row]) -> str:
        """The department most rows name (first row on a tie). Department is for filters and coverage, not
        for access: the ACL above decides who may read the group."""
        names = [_text(cell(r.values, self.table.department)) for r in rows]
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
        body_cols = self.table.body or [c for c in first if c and c not in self.table.id_columns]
        if len(rows) == 1:
            fields: dict[str, Any] = {c: first.get(c) for c in body_cols}
        else:  # a group: columns equal in every row once, then one line per row with the varying ones
            shared = [c for c in body_cols if all(r.values.get(c) == first.get(c) for r in rows)]
            varying = [c for c in body_cols if c not in shared]
            fields = {c: first.get(c) for c in shared}
            for i, r in enumerate(rows, start=1):
                fields[f"#{i}"] = {c: r.values.get(c) for c in varying}
        updated = max((d for r in rows if (d := self.updated_at(r))), default=None)
        metadata: dict[str, Any] = {"file": source_file, "lines": [r.line for r in rows]}
        if lang := _text(cell(first, self.table.language)):
            metadata["lang"] = lang
        return SourceRecord(
            source=self.source.name,
            external_id=f"{self.table.name}:{ext_id}",
            system=self.system,
            fields=fields,
            title=self.title(first, ext_id),
            department=self.group_department(rows),
            acl=self.group_acl(rows),
            updated_at=updated,
            author=_text(cell(first, self.table.author)) or None,
            url=render(self.table.url, first) if self.table.url else None,
            doc_type=self.table.doc_type or self.table.name,
            metadata=metadata,
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
                    yield ExtractError(
                        f"{self.table.name}:{self.external_id(group[0])}",
                        f"{source_file} line {group[0].line}: {err}",
                    )

        for item in rows:
            if isinstance(item, RowError):
                yield ExtractError(
                    f"{self.table.name}:{source_file}:line-{item.line}", f"{source_file}: {item.reason}"
                )
                continue
            if not self.wanted(item):
                continue
            missing = [c for c in self.table.id_columns if not _text(item.values.get(c))]
            if missing:
                yield ExtractError(
                    f"{self.table.name}:{source_file}:line-{item.line}",
                    f"{source_file} line {item.line}: no value in id column {', '.join(missing)}",
                )
                continue
            ext_id = self.external_id(item)
            if group and self.table.group_rows and ext_id == self.external_id(group[0]):
                group.append(item)
                continue
            yield from flush()
            group = []
            if ext_id in seen:
                yield ExtractError(
                    f"{self.table.name}:{ext_id}:line-{item.line}",
                    f"{source_file} line {item.line}: duplicate id {ext_id!r}; the first one was kept",
                )
                continue
            seen.add(ext_id)
            group = [item]
        yield from flush()
