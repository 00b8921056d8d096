"""Test connectors whose staged runs fail after the extract task, for the run-status DAG test; and a runner
(`python -m tests.dags.broken_steps ...`, the arguments of tests/dags/airflow_runner.py) that adds them to the
connector registry's table of built-ins before Airflow runs the DAGs in this process.

    config_broken_later  extract works, then the source's config cannot work (its folder was unmounted):
                         the process task fails before it can record anything (the DAG's failure callback)
    unloadable_batch     its staged batch cannot be loaded by the process task
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from kmingest.connectors import registry
from kmingest.connectors.base import Connector, ConnectorConfigError, ConnectorOptions, ExtractError
from kmingest.models import SourceRecord
from tests.dags import airflow_runner


def _notes(source: str, metadata: dict[str, object] | None = None) -> Iterator[SourceRecord]:
    for i in range(3):
        yield SourceRecord(
            source=source,
            external_id=f"note-{i}",
            system="oa",
            filename=f"note-{i}.txt",
            content=f"Shift handover note {i}: line {i} restarted.".encode(),
            metadata=dict(metadata or {}),
        )


class MarkerOptions(ConnectorOptions):
    marker: str  # a file the extract creates; once it exists the source's config no longer works


class ConfigBrokenLater(Connector):
    name = "config_broken_later"
    Options: ClassVar[type[ConnectorOptions]] = MarkerOptions

    def __init__(self, source: object, options: ConnectorOptions) -> None:
        assert isinstance(options, MarkerOptions)
        if Path(options.marker).exists():
            raise ConnectorConfigError(f"sources[{getattr(source, 'name', '?')}].path: share is not mounted")
        super().__init__(source, options)  # type: ignore[arg-type]

    def extract(self, since: datetime | None = None) -> Iterator[SourceRecord | ExtractError]:
        assert isinstance(self.options, MarkerOptions)
        yield from _notes(self.source.name)
        Path(self.options.marker).touch()


class Unloadable(datetime):
    """Stages, but cannot be read back (as a batch written by another kmingest version might)."""

    def isoformat(self, *args: object, **kwargs: object) -> str:  # type: ignore[override]
        return "this batch cannot be loaded here"


class UnloadableBatch(Connector):
    name = "unloadable_batch"

    def extract(self, since: datetime | None = None) -> Iterator[SourceRecord | ExtractError]:
        yield from _notes(self.source.name, {"trap": Unloadable(2026, 1, 1)})


if __name__ == "__main__":
    registry.BUILTIN["config_broken_later"] = "tests.dags.broken_steps:ConfigBrokenLater"
    registry.BUILTIN["unloadable_batch"] = "tests.dags.broken_steps:UnloadableBatch"
    sys.exit(airflow_runner.main(sys.argv[1:]))
