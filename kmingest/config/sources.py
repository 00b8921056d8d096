"""Configuration of what is ingested and how Airflow runs it: the sources (`sources`, one connector each, with
its own options), the parse limits (`limits`, globally or per source), each source's DAG (`dag`) and the
Airflow pool of index writes (`airflow`).

Connectors, the pipeline and dags/ read these sections; an error names the file, the key and the fix.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kmingest.config.base import _Strict
from kmingest.models import PUBLIC
from kmingest.parsing.base import ParseLimits


class LimitsConfig(_Strict):
    max_file_mb: float = Field(default=50, gt=0, description="largest file read; bigger ones fail")
    max_chars: int = Field(default=2_000_000, gt=0, description="most characters extracted from one file")
    max_uncompressed_mb: float = Field(
        default=200, gt=0, description="zip-based formats: most bytes after decompression"
    )
    max_seconds_per_file: float = Field(default=60, gt=0, description="parsing time of one file")

    def parse_limits(self) -> ParseLimits:
        return ParseLimits(
            max_file_bytes=int(self.max_file_mb * 1024 * 1024),
            max_chars=self.max_chars,
            max_uncompressed_bytes=int(self.max_uncompressed_mb * 1024 * 1024),
            max_seconds=self.max_seconds_per_file,
        )


class DagConfig(_Strict):
    """How Airflow schedules one source (`dags/`); the schedule itself is the source's `schedule`."""

    owner: str = Field(default="kmingest", description="the DAG's owner in Airflow")
    retries: int = Field(default=2, ge=0, le=20, description="retries of a failed task")
    retry_delay_minutes: float = Field(default=5, gt=0, description="wait before the first retry")
    max_retry_delay_minutes: float = Field(default=60, gt=0, description="cap of the exponential backoff")
    timeout_minutes: float = Field(default=240, gt=0, description="longest run of one task")
    batch_records: int = Field(default=64, ge=1, le=100_000, description="records per mapped process task")


class SourceConfig(BaseModel):
    """One source. Keys other than the common ones are options for its connector."""

    model_config = ConfigDict(extra="allow", frozen=True)

    name: str = Field(
        pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$",
        description="the source's name: in ids, `kmingest ingest NAME` and the DAG id",
    )
    connector: str = Field(description="a built-in connector (below) or a plugin's (connectors list)")
    path: Path | None = Field(default=None, description="the export folder (relative: to the config file)")
    system: str | None = Field(
        default=None,
        description="the source system's name shown with each "
        "document (and its `portal.source_links` key); default: the connector name",
    )
    department: str | None = Field(
        default=None, description="department of records that name none; default: `unassigned`"
    )
    acl: tuple[str, ...] = Field(
        default=(PUBLIC,),
        description="readers of records that carry no ACL: "
        "`public`, `dept:<name>`, `user:<login>`, `group:<name>`; `[]`: admins only",
    )
    schedule: str | None = Field(
        default="@daily",
        description="Airflow schedule of the source's DAG (cron or preset); null: triggered by hand only",
    )
    dag: DagConfig = Field(default=DagConfig(), description="how Airflow runs the source's DAG (keys below)")
    title_from: Literal["auto", "property", "heading", "filename"] = Field(
        default="auto",
        description="Where a document's title comes from when the connector gives none: `property` (the "
        "file's title property: Word/PowerPoint core title, PDF /Title, mail subject, html <title>), "
        "`heading` (the document's first heading or title-like first line), `filename`; `auto` uses the "
        "title property only when the document shows it in its first lines (template titles such as "
        "a stale core title are not used), else the first heading or line",
    )
    limits: LimitsConfig | None = Field(
        default=None,
        description="Parse limits for this source only (max_file_mb, max_chars, max_uncompressed_mb, "
        "max_seconds_per_file); a key not set here keeps the global `limits` value",
    )
    near_empty_chars: int | None = Field(
        default=None,
        ge=0,
        description="Coverage: documents of this source with fewer characters of text count as near-empty "
        "(default: the global coverage.near_empty_chars)",
    )
    retry_failed: int = Field(
        default=3,
        ge=0,
        description="Runs that retry a record whose last outcome was failed while its content is unchanged "
        "(a changed record is always processed); 0: wait for a change or --force",
    )

    def parse_limits(self, defaults: LimitsConfig) -> ParseLimits:
        """The global limits with the keys this source sets replaced."""
        if self.limits is None:
            return defaults.parse_limits()
        own = {key: getattr(self.limits, key) for key in self.limits.model_fields_set}
        return defaults.model_copy(update=own).parse_limits()

    @property
    def options(self) -> dict[str, Any]:
        return dict(self.model_extra or {})

    @field_validator("acl", mode="before")
    @classmethod
    def _acl_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class AirflowConfig(_Strict):
    pool: str = "kmingest_index_writes"  # Airflow pool that bounds concurrent index writes
