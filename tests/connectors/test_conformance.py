"""The conformance suite every registered connector passes, built-ins and the example plugin (installed
into a temporary folder and found through its entry point, as an admin would install it)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from kmingest.config import SourceConfig
from kmingest.connectors import ExtractError, available_connectors, build_connector, connector_class
from kmingest.connectors.base import ConnectorConfigError
from kmingest.models import SourceRecord

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "samples"


@pytest.fixture(scope="session", autouse=True)
def example_plugin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    target = tmp_path_factory.mktemp("plugin")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--target", str(target), str(REPO / "examples" / "kmingest-example-plugin")],
                   check=True)  # fmt: skip
    sys.path.insert(0, str(target))
    yield target
    sys.path.remove(str(target))


@dataclass(frozen=True)
class Case:
    connector: str
    export: Callable[[Path], dict[str, Any]]  # writes an export into the folder, returns source options
    empty: Callable[[Path], dict[str, Any]]
    missing_name: str  # what the error for a missing export must name
    wrong_column: dict[str, Any] | None = None  # options naming a column the export lacks


def copy_samples(name: str, **options: Any) -> Callable[[Path], dict[str, Any]]:
    def make(folder: Path) -> dict[str, Any]:
        shutil.copytree(SAMPLES / name, folder, dirs_exist_ok=True)
        return options

    return make


def xlsx(path: Path, sheet: str, header: list[str]) -> None:
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    ws.title = sheet
    ws.append(header)
    book.save(path)


def empty_erp(folder: Path) -> dict[str, Any]:
    (folder / "materials.csv").write_bytes(
        "物料编码,物料名称,规格型号,单位,工厂,责任部门,备注,更新时间\r\n".encode("gb18030")
    )
    (folder / "suppliers.csv").write_text(
        "\ufeff供应商编码,供应商名称,质量评级,质量备注,联系人,责任部门,更新时间\n", encoding="utf-8"
    )
    xlsx(
        folder / "bom_notes.xlsx",
        "BOM备注",
        ["BOM编号", "父项物料", "子项物料", "用量", "说明", "责任部门", "更新时间"],
    )
    xlsx(
        folder / "work_instructions.xlsx",
        "作业指导书",
        ["文件编号", "标题", "工序号", "工序内容", "责任部门", "版本", "生效日期"],
    )
    return {}


def empty_crm(folder: Path) -> dict[str, Any]:
    (folder / "accounts.csv").write_text(
        "account_id,name,industry,region,owner,owner_dept,visibility,updated_at\n"
    )
    (folder / "contacts.csv").write_text(
        "contact_id,account_id,name,title,email,phone,owner_dept,visibility,updated_at\n"
    )
    for name in ("opportunities", "activities", "tickets"):
        (folder / f"{name}.jsonl").write_text("")
    return {}


def empty_oa(folder: Path) -> dict[str, Any]:
    (folder / "manifest.xml").write_text(
        '<?xml version="1.0"?><export system="OA"></export>', encoding="utf-8"
    )
    return {}


TABLE = {"tables": [{"name": "note", "file": "notes.csv", "id": "no", "title": "subject", "department": "dept",
                     "updated_at": "date"}], "timezone": "+08:00"}  # fmt: skip


def tabular_export(folder: Path) -> dict[str, Any]:
    (folder / "notes.csv").write_text("no,subject,text,dept,date\n1,Valve leak,Seal replaced,Quality,2026-01-02\n"
                                      "2,Pump noise,Cavitation found,Production,2026-02-03\n")  # fmt: skip
    return TABLE


def tabular_empty(folder: Path) -> dict[str, Any]:
    (folder / "notes.csv").write_text("no,subject,text,dept,date\n")
    return TABLE


def wiki_empty(folder: Path) -> dict[str, Any]:
    (folder / "wiki.json").write_text('{"pages": []}')
    return {}


def wiki_export(folder: Path) -> dict[str, Any]:
    pages = [{"id": "p1", "title": "Onboarding", "body": "Welcome", "space": "HR", "updated": "2026-01-01T00:00:00"},
             {"id": "p2", "title": "Pricing", "body": "Secret", "space": "Sales", "updated": "2026-01-02T00:00:00",
              "restricted_to": ["Sales"]}]  # fmt: skip
    (folder / "wiki.json").write_text(json.dumps({"pages": pages}))
    return {}


CASES = [
    Case("filesystem", copy_samples("files", department_from_folder=True), lambda f: {}, "does not exist"),
    Case("tabular", tabular_export, tabular_empty, "notes.csv",
         wrong_column={**TABLE, "tables": [{**TABLE["tables"][0], "department": "abteilung"}]}),
    Case("erp", copy_samples("erp", department_map={"质量部": "Quality"}), empty_erp, "materials.csv",
         wrong_column={"tables": [{"name": "m", "file": "materials.csv", "encoding": "gb18030", "id": "料号"}]}),
    Case("crm", copy_samples("crm"), empty_crm, "accounts.csv",
         wrong_column={"tables": [{"name": "a", "file": "accounts.csv", "id": "acct"}]}),
    Case("oa", copy_samples("oa"), empty_oa, "manifest.xml"),
    Case("wiki", wiki_export, wiki_empty, "wiki.json"),
]  # fmt: skip


def records(connector: str, folder: Path, options: dict[str, Any]) -> list[SourceRecord | ExtractError]:
    source = SourceConfig(name="t", connector=connector, path=folder, **options)
    return list(build_connector(source).extract())


def test_every_registered_connector_has_a_conformance_case() -> None:
    assert set(available_connectors()) == {c.connector for c in CASES}
    assert available_connectors()["wiki"].startswith("plugin kmingest-example-plugin")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.connector)
def test_ids_are_stable_and_records_have_department_and_date(case: Case, tmp_path: Path) -> None:
    options = case.export(tmp_path)
    first = records(case.connector, tmp_path, options)
    second = records(case.connector, tmp_path, options)
    good = [r for r in first if isinstance(r, SourceRecord)]
    assert len(good) >= 2
    assert [r.doc_id for r in good] == [r.doc_id for r in second if isinstance(r, SourceRecord)]
    assert [r.content_hash() for r in good] == [
        r.content_hash() for r in second if isinstance(r, SourceRecord)
    ]
    assert len({r.external_id for r in good}) == len(good)
    for r in good:
        assert r.department and r.updated_at is not None and r.acl, r.external_id
    for e in first:
        if isinstance(e, ExtractError):
            assert e.reason.strip()


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.connector)
def test_empty_export_gives_no_records_and_no_error(case: Case, tmp_path: Path) -> None:
    options = case.empty(tmp_path)
    assert records(case.connector, tmp_path, options) == []


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.connector)
def test_missing_export_is_a_clear_error_naming_it(case: Case, tmp_path: Path) -> None:
    (tmp_path / "export").mkdir()
    options = case.export(tmp_path / "export")
    with pytest.raises(ConnectorConfigError, match=case.missing_name):
        records(case.connector, tmp_path / "elsewhere", options)


@pytest.mark.parametrize("case", [c for c in CASES if c.wrong_column], ids=lambda c: c.connector)
def test_wrong_column_name_is_a_clear_error_naming_it(case: Case, tmp_path: Path) -> None:
    case.export(tmp_path)
    assert case.wrong_column is not None
    column = next(iter(c for t in case.wrong_column["tables"] for c in (t.get("department"), t["id"])
                       if c in ("abteilung", "料号", "acct")))  # fmt: skip
    with pytest.raises(ConnectorConfigError, match=f"'{column}' not in the header"):
        records(case.connector, tmp_path, case.wrong_column)


COMPLETE_LISTINGS = [case for case in CASES if case.connector == "filesystem"]


def test_only_the_folder_connector_declares_a_complete_listing() -> None:
    # the others may filter by `since` (incremental exports): only full syncs delete for them; a connector
    # that starts declaring it must join COMPLETE_LISTINGS and so the test below
    declared = [case.connector for case in CASES if connector_class(case.connector).complete_listing]
    assert declared == [case.connector for case in COMPLETE_LISTINGS]


@pytest.mark.parametrize("case", COMPLETE_LISTINGS, ids=lambda c: c.connector)
def test_a_complete_listing_lists_everything_whatever_the_checkpoint(case: Case, tmp_path: Path) -> None:
    """A connector with complete_listing lets a scheduled run delete what it did not list: it must then
    list every item on every run, whatever `since` says."""
    options = case.export(tmp_path)
    connector = build_connector(SourceConfig(name="t", connector=case.connector, path=tmp_path, **options))
    everything = [r.external_id for r in connector.extract()]
    assert everything
    assert [r.external_id for r in connector.extract(datetime(2100, 1, 1, tzinfo=UTC))] == everything
