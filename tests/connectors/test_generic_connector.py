"""`Connector[OptionsT]` and `check()` (issue 15): a connector typed by its options model gets that model
from the registry without declaring `Options`; a plugin written the older way (`class X(Connector)` with
`Options = XOptions`) still validates and runs; `check()` names the missing folder, manifest or tables
before anything is read, and `connectors validate` reports it even when no rows are previewed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from connectors.erp import ErpConnector, ErpOptions
from connectors.filesystem import FilesystemConnector
from connectors.filesystem.reader import FilesystemOptions
from connectors.tabular.options import TabularOptions
from kmingest.cli import cli
from kmingest.config import SourceConfig
from kmingest.connectors import Connector, ConnectorOptions, ExtractError, build_connector, registry
from kmingest.connectors.base import ConnectorConfigError
from kmingest.models import SourceRecord


class NotesOptions(ConnectorOptions):
    prefix: str = "note"
    count: int = 1


class LegacyNotesConnector(Connector):
    """A plugin written before the base class was generic: bare subclass, `Options` set by hand."""

    name = "legacy-notes"
    Options = NotesOptions

    def extract(self, since: datetime | None = None) -> Iterator[SourceRecord | ExtractError]:
        assert isinstance(self.options, NotesOptions)
        for n in range(self.options.count):
            yield SourceRecord(
                source=self.source.name,
                external_id=f"{self.options.prefix}-{n}",
                system=self.system,
                fields={"body": "text"},
                department="Quality",
            )


class TypedNotesConnector(Connector[NotesOptions]):
    name = "typed-notes"

    def extract(self, since: datetime | None = None) -> Iterator[SourceRecord | ExtractError]:
        yield ExtractError(f"{self.options.prefix}-0", "not readable")


@pytest.fixture
def notes_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    for cls in (LegacyNotesConnector, TypedNotesConnector):
        monkeypatch.setitem(registry.BUILTIN, cls.name, f"{__name__}:{cls.__name__}")


@pytest.mark.usefixtures("notes_plugins")
def test_old_style_plugin_gets_its_options_validated_and_runs() -> None:
    connector = build_connector(SourceConfig(name="n", connector="legacy-notes", prefix="memo", count=2))
    assert [r.external_id for r in connector.extract() if isinstance(r, SourceRecord)] == ["memo-0", "memo-1"]
    connector.check()  # no path_role: nothing to verify, no error
    with pytest.raises(ConnectorConfigError, match=r"sources\[n\]\.colour: Extra inputs"):
        build_connector(SourceConfig(name="n", connector="legacy-notes", colour="red"))


@pytest.mark.usefixtures("notes_plugins")
def test_generic_connector_takes_options_model_from_its_type_argument() -> None:
    assert TypedNotesConnector.Options is NotesOptions
    connector = build_connector(SourceConfig(name="n", connector="typed-notes", prefix="memo"))
    assert [e.external_id for e in connector.extract()] == ["memo-0"]
    with pytest.raises(ConnectorConfigError, match=r"sources\[n\]\.count: Input should be a valid integer"):
        build_connector(SourceConfig(name="n", connector="typed-notes", count="many"))


def test_built_ins_keep_their_options_models_and_presets_their_own() -> None:
    assert FilesystemConnector.Options is FilesystemOptions
    assert ErpConnector.Options is ErpOptions and issubclass(ErpOptions, TabularOptions)
    erp = build_connector(SourceConfig(name="e", connector="erp", path=Path(".")))
    assert [t.name for t in erp.options.tables] == ["material", "supplier", "bom", "sop"]


def test_options_that_disagree_with_the_type_argument_fail_at_class_definition() -> None:
    with pytest.raises(TypeError, match=r"Wrong\.Options is FilesystemOptions, which is not NotesOptions"):

        class Wrong(Connector[NotesOptions]):
            name = "wrong"
            Options = FilesystemOptions

            def extract(self, since: datetime | None = None) -> Iterator[SourceRecord | ExtractError]:
                yield from ()


@pytest.mark.parametrize(
    ("connector", "options", "message"),
    [
        ("filesystem", {}, r"sources\[s\]\.path: missing \(fix: set the folder to read\)"),
        ("filesystem", {"path": "gone"}, r"gone does not exist or is not a folder"),
        ("oa", {"path": "."}, r"manifest\.xml: manifest not found"),
        ("tabular", {"path": ".", "tables": []}, r"sources\[s\]\.tables: none configured"),
        ("crm", {}, r"sources\[s\]\.path: missing \(fix: set the export folder\)"),
    ],
)
def test_check_names_what_is_missing(
    connector: str, options: dict[str, object], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    source = SourceConfig(name="s", connector=connector, **options)
    with pytest.raises(ConnectorConfigError, match=message):
        build_connector(source).check()


def test_validate_reports_a_missing_folder_without_previewing_rows(tmp_path: Path) -> None:
    config = tmp_path / "kmingest.yaml"
    config.write_text("sources:\n  - name: files\n    connector: filesystem\n    path: nowhere\n")
    result = CliRunner().invoke(cli, ["connectors", "validate", str(config), "--rows", "0"])
    assert result.exit_code == 2
    assert "nowhere does not exist or is not a folder (fix: correct the source's path)" in result.output
    assert "ok: sources[files]" not in result.output
