"""Typed options of the tabular connector (and its erp/crm presets): which files, which columns."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from connectors.tabular.reader import TableLimits
from kmingest.connectors.base import ConnectorOptions
from kmingest.parsing.base import ParseLimits


class TableSpec(BaseModel):
    """One export file (or glob) and how its columns map to a document."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(
        pattern=r"^[A-Za-z0-9_.-]+$", description="short name; prefixes ids and is the doc type"
    )
    file: str = Field(description="file name or glob, relative to the source path")
    format: Literal["auto", "csv", "tsv", "xlsx", "jsonl"] = "auto"
    encoding: str = "auto"
    sheet: str | None = None
    id: tuple[str, ...] = Field(description="column(s) that identify a record")
    title: str | None = None  # a column, or a template like "{物料名称} {规格型号}"
    body: tuple[str, ...] = ()  # columns that form the text; default: all but the id
    department: str | None = None
    acl: str | None = None
    updated_at: str | None = None
    author: str | None = None
    url: str | None = None  # template, e.g. "https://crm.example/tickets/{id}"
    doc_type: str | None = None
    group_rows: bool = False  # consecutive rows with the same id form one document

    @field_validator("id", "body", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @property
    def id_columns(self) -> tuple[str, ...]:
        return self.id

    def columns(self) -> list[str]:
        """Every column this spec names (checked against the file's header)."""
        named = [*self.id, *self.body, self.department, self.acl, self.updated_at, self.author]
        if self.title and "{" not in self.title:
            named.append(self.title)
        return [c for c in named if c]


class TabularOptions(ConnectorOptions):
    tables: tuple[TableSpec, ...] = ()
    department_map: dict[str, str] = Field(default_factory=dict)
    acl_map: dict[str, tuple[str, ...]] = Field(default_factory=dict)  # a value [] means admins only
    timezone: str = Field(default="+00:00", pattern=r"^[+-]\d{2}:\d{2}$")
    # Limits (docs/connectors.md, "Security"): a file over one is refused for itself, a row for itself.
    max_file_mb: float = Field(default=200, gt=0)  # checked with stat before anything is read
    max_row_kb: float = Field(default=1024, gt=0)  # characters of one row (or JSON line)
    max_uncompressed_mb: float = Field(default=200, gt=0)  # .xlsx: sum of the zip members' sizes
    max_compression_ratio: float = Field(default=200, gt=1)  # .xlsx: per zip member (zip bombs)
    max_seconds_per_file: float = Field(default=120, gt=0)  # .xlsx: loading and reading one file

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
