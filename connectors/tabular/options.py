"""Typed options of the tabular connector (and its erp/crm presets): which files, which columns."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kmingest.connectors.base import ConnectorOptions


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
    acl_map: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    timezone: str = Field(default="+00:00", pattern=r"^[+-]\d{2}:\d{2}$")
