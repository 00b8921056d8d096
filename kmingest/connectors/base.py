"""Base class of every connector (built-in or plugin).

A connector has two parts: a *reader* that knows the export format (files, rows) and a *mapper* that
turns what was read into SourceRecords (ids, department, ACL, dates). `extract` wires them together and
yields a SourceRecord per item, or an ExtractError for an item that could not be read (the run goes on
and the error lands in the dead-letter list).

`Connector[OptionsT]` is generic over its options model, so `self.options` has the connector's own type
(no isinstance asserts); `Options` is filled in from the type argument. A subclass written the older way
(`class X(Connector)` with `Options = XOptions`) still works: its `options` is typed `ConnectorOptions`.
`check()` verifies a source's config against the world (the folder exists, the files match) before
anything is read; `connectors validate` and `extract` call it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, Generic, get_args, get_origin

from pydantic import BaseModel, ConfigDict
from typing_extensions import TypeVar

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


# The options model of a connector; a bare `Connector` (the older plugin style) means ConnectorOptions.
OptionsT = TypeVar("OptionsT", bound=ConnectorOptions, default=ConnectorOptions)


def _options_argument(cls: type[Any]) -> type[ConnectorOptions] | None:
    """The options model `cls` names as `Connector[...]`'s type argument, walking its bases; None if none."""
    for klass in cls.__mro__:
        for base in vars(klass).get("__orig_bases__", ()):
            args = get_args(base)
            if get_origin(base) is Connector and args and isinstance(args[0], type):
                return args[0] if issubclass(args[0], ConnectorOptions) else None
    return None


class Connector(ABC, Generic[OptionsT]):
    """Subclass as `Connector[MyOptions]`, set `name`, implement `extract` (and `check` if the source can
    be verified before it is read)."""

    name: ClassVar[str]
    # The model the registry validates the source's options with; set from the type argument when a
    # subclass does not set it, and must be that model or a subclass of it (a preset with other defaults).
    Options: ClassVar[type[ConnectorOptions]] = ConnectorOptions
    # True when every extract() lists every item the source holds (whatever `since` is): what a run did not
    # see is gone, so even a scheduled (non-full) run may delete it (a cheap listing diff).
    complete_listing: ClassVar[bool] = False
    # What the source's `path` holds ("the folder to read"); set: check() fails when `path` is missing.
    path_role: ClassVar[str | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        declared = _options_argument(cls)
        if declared is None:
            return
        if "Options" not in vars(cls) and not issubclass(cls.Options, declared):
            cls.Options = declared
        if not issubclass(cls.Options, declared):
            raise TypeError(
                f"{cls.__name__}.Options is {cls.Options.__name__}, which is not {declared.__name__} "
                "or a subclass of it (fix: make them agree)"
            )

    def __init__(self, source: SourceConfig, options: OptionsT) -> None:
        self.source = source
        self.options: OptionsT = options

    @property
    def system(self) -> str:
        return self.source.system or self.name

    def source_path(self) -> Path:
        """The source's `path`; a ConnectorConfigError naming the key and what to set when it is missing."""
        if self.source.path is None:
            role = self.path_role or "the export folder"
            raise ConnectorConfigError(f"sources[{self.source.name}].path: missing (fix: set {role})")
        return self.source.path

    def check(self) -> None:
        """Fail with a ConnectorConfigError (naming the key and a fix) when the config cannot work with the
        source as it is, beyond what the options model validates. Here: `path` is set when `path_role`
        says the connector reads one. Overrides call `super().check()` first."""
        if self.path_role is not None:
            self.source_path()

    @abstractmethod
    def extract(self, since: datetime | None = None) -> Iterator[SourceRecord | ExtractError]:
        """Every item of the export (or only those changed after `since`, if the source can tell)."""
