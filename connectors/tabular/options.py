"""Typed options of the tabular connector (and its erp/crm presets): which files, how to read them (layout),
which columns map to what. Every field's `description` is its documentation: docs/connectors.md's options
reference is generated from it (kmingest.connectors.docs)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from connectors.tabular.reader import FileLayout, TableLimits
from kmingest.connectors.base import ConnectorOptions
from kmingest.connectors.guard import check_name_encoding
from kmingest.parsing.base import ParseLimits

Column = str  # a column name as the header (or `columns`) spells it


class TableSpec(BaseModel):
    """One export file (or glob) and how its columns map to a document."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(
        pattern=r"^[A-Za-z0-9_.-]+$", description="short name; prefixes ids and is the doc type"
    )
    file: str = Field(description="file name or glob, relative to the source path")
    format: Literal["auto", "csv", "tsv", "xlsx", "jsonl"] = Field(
        default="auto", description="`auto`: from the extension (.csv, .tsv, .xlsx, .jsonl/.ndjson/.json)"
    )
    encoding: str = Field(
        default="auto",
        description="CSV/TSV/JSON Lines text encoding (`gb18030`, `big5`, "
        "`utf-16`...); `auto`: UTF-8 when every byte decodes, else GB18030",
    )
    delimiter: str | None = Field(
        default=None,
        min_length=1,
        max_length=1,
        description="CSV/TSV cell separator (one character, e.g. `;` or `|`); "
        "default: `,` for csv, tab for tsv",
    )
    quotechar: str = Field(
        default='"',
        min_length=1,
        max_length=1,
        description="CSV/TSV quote character around cells holding the delimiter",
    )
    sheet: str | None = Field(default=None, description=".xlsx: the sheet to read (default: the first)")
    columns: tuple[Column, ...] = Field(
        default=(),
        description="names of the columns, in file order, for a "
        "file without a header row (CSV/TSV/XLSX); the first row is then "
        "data. To replace a broken header, add `skip_rows: 1`",
    )
    skip_rows: int = Field(
        default=0,
        ge=0,
        le=1000,
        description="lines (xlsx: rows) to drop before the header, or before the data when `columns` is set",
    )
    id: tuple[Column, ...] = Field(description="column(s) that identify a record (a list: composite id)")
    title: str | None = Field(
        default=None,
        description="a column, or a template over columns like "
        '"{物料名称} {规格型号}"; default: "<table name> <id>"',
    )
    body: tuple[Column, ...] = Field(
        default=(),
        description="columns that form the text; default: every "
        "named column but the id (an unnamed header cell is never read)",
    )
    department: Column | None = Field(
        default=None,
        description="column with the department (mapped through "
        "`department_map`); default: the source's `department`",
    )
    acl: Column | None = Field(
        default=None,
        description="column whose values are looked up in `acl_map`; "
        "default: the source's `acl` for every row",
    )
    updated_at: Column | None = Field(
        default=None,
        description="date column: ISO 8601, `YYYY/MM/DD`, an "
        ".xlsx date cell, or what `date_format` says; default: no date",
    )
    date_format: str | None = Field(
        default=None,
        description="strptime format of `updated_at`, e.g. "
        "`%d.%m.%Y %H:%M`; the whole cell (or the `date_pattern` cut) must match",
    )
    date_pattern: str | None = Field(
        default=None,
        description="regular expression that cuts the date out of "
        "the `updated_at` cell (its first group, else the whole match), e.g. "
        r"`^\d{4}-\d{2}-\d{2}` for `2023-03-31.0002`",
    )
    author: Column | None = Field(default=None, description="column with the author; default: none")
    language: Column | None = Field(
        default=None,
        description="column with the row's language (e.g. `en`, "
        "`zh-CN`), kept as the document's `lang` metadata",
    )
    url: str | None = Field(
        default=None, description='link template, e.g. "https://crm.example/tickets/{id}"'
    )
    doc_type: str | None = Field(default=None, description="document type; default: the table name")
    where: dict[Column, str | tuple[str, ...]] = Field(
        default_factory=dict,
        description="row filter: "
        "`{column: value}` or `{column: [values]}`; only rows "
        "matching every entry (trimmed text) are read",
    )
    group_rows: bool = Field(default=False, description="consecutive rows with the same id form one document")

    @field_validator("id", "body", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @field_validator("id", "body", "columns")
    @classmethod
    def _named(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(not c.strip() for c in value):
            raise ValueError("a column name is empty (fix: name every column)")
        doubled = sorted({c for c in value if value.count(c) > 1})
        if doubled:
            raise ValueError(f"column(s) {', '.join(map(repr, doubled))} named twice (fix: name each once)")
        return value

    @field_validator("where", mode="before")
    @classmethod
    def _filter_values(cls, value: object) -> object:
        """YAML reads `status: 1` as a number; cells are text, so numbers are compared as written."""

        def text(item: object) -> object:
            return str(item) if isinstance(item, int | float) and not isinstance(item, bool) else item

        if not isinstance(value, dict):
            return value
        return {k: [text(i) for i in v] if isinstance(v, list | tuple) else text(v) for k, v in value.items()}

    @field_validator("encoding")
    @classmethod
    def _codec(cls, value: str) -> str:
        try:
            return check_name_encoding(value)  # the same test as the filesystem's name_encoding
        except LookupError:
            raise ValueError(f"unknown encoding {value!r} (fix: auto, utf-8, gb18030, big5...)") from None

    @field_validator("date_pattern")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as err:
                raise ValueError(
                    f"not a regular expression ({err}) (fix: e.g. ^\\d{{4}}-\\d{{2}}-\\d{{2}})"
                ) from None
        return value

    @model_validator(mode="after")
    def _consistent(self) -> TableSpec:
        if self.columns:
            unknown = [c for c in self.named_columns() if c not in self.columns]
            if unknown:
                raise ValueError(
                    f"column(s) {', '.join(map(repr, unknown))} not in `columns` "
                    f"({', '.join(self.columns)}) (fix: correct the name or `columns`)"
                )
        if (self.date_format or self.date_pattern) and not self.updated_at:
            raise ValueError("date_format/date_pattern without `updated_at` (fix: name the date column)")
        return self

    @property
    def id_columns(self) -> tuple[str, ...]:
        return self.id

    def named_columns(self) -> list[str]:
        """Every column this spec names (checked against the file's header)."""
        named = [*self.id, *self.body, self.department, self.acl, self.updated_at, self.author, self.language]
        named += list(self.where)
        if self.title and "{" not in self.title:
            named.append(self.title)
        return list(dict.fromkeys(c for c in named if c))

    def layout(self) -> FileLayout:
        return FileLayout(
            self.format,
            self.encoding,
            self.sheet,
            self.delimiter,
            self.quotechar,
            self.columns,
            self.skip_rows,
        )


class TabularOptions(ConnectorOptions):
    tables: tuple[TableSpec, ...] = Field(default=(), description="the export's tables (keys below)")
    department_map: dict[str, str] = Field(
        default_factory=dict, description="raw department value -> portal department"
    )
    acl_map: dict[str, tuple[str, ...]] = Field(
        default_factory=dict,
        description="access value -> readers (`public`, `dept:<name>`, `user:<login>`, "
        "`group:<name>`); a value `[]` means admins only; a value not listed fails its row",
    )
    timezone: str = Field(
        default="+00:00",
        pattern=r"^[+-]\d{2}:\d{2}$",
        description="UTC offset for dates without one in the export",
    )
    # Limits (docs/connectors.md, "Security"): a file over one is refused for itself, a row for itself.
    max_file_mb: float = Field(
        default=200,
        gt=0,
        description="an export file over it is refused as a whole "
        "(checked with stat before anything is read); other files are read",
    )
    max_row_kb: float = Field(
        default=1024,
        gt=0,
        description="characters of one row (or JSON line); a larger row fails with its line number",
    )
    max_uncompressed_mb: float = Field(default=200, gt=0, description=".xlsx: sum of the zip members' sizes")
    max_compression_ratio: float = Field(
        default=200, gt=1, description=".xlsx: per zip member; higher is a zip bomb"
    )
    max_seconds_per_file: float = Field(
        default=120, gt=0, description=".xlsx: loading the workbook and reading its rows"
    )

    def limits(self, root: Path) -> TableLimits:
        return TableLimits(
            root=root,
            max_row_chars=int(self.max_row_kb * 1024),
            parse=ParseLimits(
                max_file_bytes=int(self.max_file_mb * 1024 * 1024),
                max_uncompressed_bytes=int(self.max_uncompressed_mb * 1024 * 1024),
                max_compression_ratio=self.max_compression_ratio,
                max_seconds=self.max_seconds_per_file,
            ),
        )
