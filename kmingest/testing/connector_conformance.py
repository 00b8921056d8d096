"""The conformance suite every connector passes, built-in or plugin (as the Singer SDK's generated tap
tests do): stable ids and content hashes, a department, date and ACL on every record, no records and no
error from an empty export, a clear error naming a missing export, and a listing that a checkpoint can
only narrow (a connector declaring `complete_listing` lists everything whatever the checkpoint).

A plugin's tests subclass the suite and say how to write an export of their system:

    class TestWikiConformance(ConnectorConformance):
        @pytest.fixture
        def case(self) -> ConnectorCase:
            return ConnectorCase("wiki", export=write_wiki, empty=write_empty_wiki, missing_name="wiki.json")

Connectors that map named columns add `ColumnConformance` with a case whose `wrong_column` options name a
column the export lacks. The connector must be installed (its entry point registered) to be found.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from kmingest.config import SourceConfig
from kmingest.connectors import ExtractError, build_connector, connector_class
from kmingest.connectors.base import ConnectorConfigError
from kmingest.models import SourceRecord

WriteExport = Callable[[Path], dict[str, Any]]  # writes an export into the folder, returns source options
FAR_FUTURE = datetime(2100, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class ConnectorCase:
    connector: str  # the registered connector name
    export: WriteExport  # an export with at least two good records
    empty: WriteExport  # an export with no records
    missing_name: str  # what the error for a missing export must name
    wrong_column: dict[str, Any] | None = None  # options naming a column the export lacks
    wrong_column_name: str = ""  # that column, as the error must name it

    def __str__(self) -> str:
        return self.connector


def records(connector: str, folder: Path, options: dict[str, Any]) -> list[SourceRecord | ExtractError]:
    """Everything the connector extracts from the folder with these source options."""
    source = SourceConfig(name="t", connector=connector, path=folder, **options)
    return list(build_connector(source).extract())


def good(items: list[SourceRecord | ExtractError]) -> list[SourceRecord]:
    return [r for r in items if isinstance(r, SourceRecord)]


class ConnectorConformance:
    """Provide a `case` fixture (a ConnectorCase); pytest's `tmp_path` gives each test its own folder."""

    def test_ids_are_stable_and_records_have_department_and_date(
        self, case: ConnectorCase, tmp_path: Path
    ) -> None:
        options = case.export(tmp_path)
        first = records(case.connector, tmp_path, options)
        second = good(records(case.connector, tmp_path, options))
        found = good(first)
        assert len(found) >= 2, "the case's export must give at least two records"
        assert [r.doc_id for r in found] == [r.doc_id for r in second]
        assert [r.content_hash() for r in found] == [r.content_hash() for r in second]
        assert len({r.external_id for r in found}) == len(found)
        for r in found:
            assert r.department and r.updated_at is not None and r.acl, r.external_id
        for e in first:
            if isinstance(e, ExtractError):
                assert e.reason.strip()

    def test_empty_export_gives_no_records_and_no_error(self, case: ConnectorCase, tmp_path: Path) -> None:
        options = case.empty(tmp_path)
        assert records(case.connector, tmp_path, options) == []

    def test_missing_export_is_a_clear_error_naming_it(self, case: ConnectorCase, tmp_path: Path) -> None:
        (tmp_path / "export").mkdir()
        options = case.export(tmp_path / "export")
        with pytest.raises(ConnectorConfigError, match=case.missing_name):
            records(case.connector, tmp_path / "elsewhere", options)

    def test_a_checkpoint_only_narrows_the_listing(self, case: ConnectorCase, tmp_path: Path) -> None:
        """A checkpoint may hide unchanged records, never add any; a connector with complete_listing lets
        a scheduled run delete what it did not list, so it must list every item whatever `since` says."""
        options = case.export(tmp_path)
        connector = build_connector(
            SourceConfig(name="t", connector=case.connector, path=tmp_path, **options)
        )
        everything = [r.external_id for r in connector.extract()]
        since_future = [r.external_id for r in connector.extract(FAR_FUTURE)]
        assert everything
        if connector_class(case.connector).complete_listing:
            assert since_future == everything
        else:
            assert set(since_future) <= set(everything)


class ColumnConformance:
    """For connectors that map named columns: provide a `case` fixture whose `wrong_column` is set."""

    def test_wrong_column_name_is_a_clear_error_naming_it(self, case: ConnectorCase, tmp_path: Path) -> None:
        assert case.wrong_column is not None and case.wrong_column_name, "the case names no wrong column"
        case.export(tmp_path)
        with pytest.raises(ConnectorConfigError, match=f"'{case.wrong_column_name}' not in the header"):
            records(case.connector, tmp_path, case.wrong_column)
