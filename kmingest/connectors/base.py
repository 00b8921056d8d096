"""Base class of every connector (built-in or plugin).

A connector has two parts: a *reader* that knows the export format (files, rows) and a *mapper* that
turns what was read into SourceRecords (ids, department, ACL, dates). `extract` wires them together and
yields a SourceRecord per item, or an ExtractError for an item that could not be read (the run goes on
and the error lands in the dead-letter list).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from kmingest.config import SourceConfig
from kmingest.models import SourceRecord


class ConnectorOptions(BaseModel):
    """Typed options of a connector: the extra keys of its source entry in the config."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class ExtractError:
    """An item that could not be read. `covers`: a prefix of external ids this error hides (a folder that
    could not be listed, a table file that was refused): ids with it were not seen, but are not gone."""

    external_id: str
    reason: str
    covers: str | None = None


class ConnectorConfigError(Exception):
    """The source's configuration cannot work (missing folder, wrong option); names the key and a fix."""


class Connector(ABC):
    """Subclass, set `name` and `Options`, implement `extract`."""

    name: ClassVar[str]
    Options: ClassVar[type[ConnectorOptions]] = ConnectorOptions
    # True when every extract() lists every item the source holds (whatever `since` is): what a run did not
    # see is gone, so even a scheduled (non-full) run may delete it (a cheap listing diff).
    complete_listing: ClassVar[bool] = False

    def __init__(self, source: SourceConfig, options: ConnectorOptions) -> None:
        self.source = source
        self.options = options

    @property
    def system(self) -> str:
        return self.source.system or self.name

    @abstractmethod
    def extract(self, since: datetime | None = None) -> Iterator[SourceRecord | ExtractError]:
        """Every item of the export (or only those changed after `since`, if the source can tell)."""
