"""Configuration of where ingested data lives: the search index (`index`), the pipeline state (`state`) and
the batches a staged Airflow run hands between its tasks (`staging`).

Pipeline and portal open their backends from these sections; an error names the file, the key and a fix
(e.g. state.url_env when the PostgreSQL DSN is not in the environment). Secrets never come from the file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from kmingest.config.base import ConfigError, _Strict


class IndexConfig(_Strict):
    backend: Literal["embedded", "elasticsearch"] = "embedded"
    path: Path = Path(".kmingest/index.db")
    url: str = "http://127.0.0.1:9200"  # one node, or several separated by commas (the client fails over)
    index_prefix: str = "kmingest"
    verify_certs: bool = True
    shards: int = Field(default=1, ge=1, le=1024)  # Elasticsearch: primary shards of each new index
    replicas: int = Field(default=0, ge=0, le=16)  # Elasticsearch: copies of each shard (1+ on a cluster)


class StateConfig(_Strict):
    """Where pipeline state (checkpoints, record hashes, run history, dead letters) and the embedding cache
    live. `sqlite`: files on this machine (state_dir/state.db, embedding.cache_path). `postgres`: one
    PostgreSQL database that workers on several hosts share (docs/state-and-staging.md)."""

    backend: Literal["sqlite", "postgres"] = "sqlite"
    # postgres: the environment variable holding the DSN (it carries a password, so never this file)
    url_env: str = Field(default="KMINGEST_STATE_URL", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    schema_name: str = Field(default="kmingest", pattern=r"^[a-z_][a-z0-9_]{0,62}$")  # postgres: its tables

    def postgres_url(self, config_file: Path | None) -> str:
        """The DSN from the environment; ConfigError naming the key and the fix when it is not set."""
        url = os.environ.get(self.url_env, "").strip()
        if not url:
            raise ConfigError(
                f"{config_file or 'config'}: state.url_env: environment variable {self.url_env} is not set, "
                f"and state.backend is postgres (fix: export {self.url_env}=postgresql://USER:PASSWORD@HOST:"
                "5432/DATABASE for every worker, or set state.backend: sqlite)"
            )
        return url


class StagingConfig(_Strict):
    """Where a staged (Airflow) run keeps its batches between tasks (docs/state-and-staging.md)."""

    # a folder (relative to this file) or an fsspec URL (s3://bucket/kmingest, file:///mnt/shared/staging);
    # default <state_dir>/staging: fine on one machine, not with workers on several hosts
    url: str | None = None
    retention_days: float = Field(default=7, gt=0)  # staged batches of failed runs are removed after this

    @field_validator("url")
    @classmethod
    def _known_protocol(cls, value: str | None) -> str | None:
        if value is None or "://" not in value:
            return value
        import fsspec

        protocol = value.split("://", 1)[0]
        if protocol not in fsspec.available_protocols():
            raise ValueError(
                f"unknown storage protocol {protocol!r} (fix: a folder, file:///shared/mount/staging, "
                "or a URL fsspec knows such as s3://bucket/prefix or gs://bucket/prefix)"
            )
        return value

    def location(self, state_dir: Path, base: Path) -> str:
        """The staging root: the URL as configured, a folder resolved against `base` (the config file's
        folder), or <state_dir>/staging."""
        if self.url is None:
            return str(state_dir / "staging")
        if "://" in self.url:
            return self.url.rstrip("/")
        folder = Path(self.url).expanduser()
        return str(folder if folder.is_absolute() else (base / folder).resolve())
