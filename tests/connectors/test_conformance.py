"""The shipped conformance kit (kmingest.testing.connector_conformance) on every built-in connector, and
the example plugin's own tests, which run the same kit with the plugin installed into a temporary folder
and found through its entry point, as an admin would install it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from kmingest.connectors import available_connectors, connector_class
from kmingest.testing.connector_conformance import ColumnConformance, ConnectorCase, ConnectorConformance

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "samples"


@pytest.fixture(scope="session", autouse=True)
def example_plugin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    target = tmp_path_factory.mktemp("plugin")
    plugin = REPO / "examples" / "kmingest-example-plugin"
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation"]
    subprocess.run([*pip, "--target", str(target), str(plugin)], check=True)
    sys.path.insert(0, str(target))
    yield target
    sys.path.remove(str(target))


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


NOTES_TABLE = {
    "name": "note",
    "file": "notes.csv",
    "id": "no",
    "title": "subject",
    "department": "dept",
    "updated_at": "date",
}
TABLE = {"tables": [NOTES_TABLE], "timezone": "+08:00"}
NOTES_CSV = (
    "no,subject,text,dept,date\n"
    "1,Valve leak,Seal replaced,Quality,2026-01-02\n"
    "2,Pump noise,Cavitation found,Production,2026-02-03\n"
)


def tabular_export(folder: Path) -> dict[str, Any]:
    (folder / "notes.csv").write_text(NOTES_CSV)
    return TABLE


def tabular_empty(folder: Path) -> dict[str, Any]:
    (folder / "notes.csv").write_text("no,subject,text,dept,date\n")
    return TABLE


CASES = [
    ConnectorCase(
        "filesystem", copy_samples("files", department_from_folder=True), lambda f: {}, "does not exist"
    ),
    ConnectorCase(
        "tabular",
        tabular_export,
        tabular_empty,
        "notes.csv",
        wrong_column={**TABLE, "tables": [{**NOTES_TABLE, "department": "abteilung"}]},
        wrong_column_name="abteilung",
    ),
    ConnectorCase(
        "erp",
        copy_samples("erp", department_map={"质量部": "Quality"}),
        empty_erp,
        "materials.csv",
        wrong_column={
            "tables": [{"name": "m", "file": "materials.csv", "encoding": "gb18030", "id": "料号"}]
        },
        wrong_column_name="料号",
    ),
    ConnectorCase(
        "crm",
        copy_samples("crm"),
        empty_crm,
        "accounts.csv",
        wrong_column={"tables": [{"name": "a", "file": "accounts.csv", "id": "acct"}]},
        wrong_column_name="acct",
    ),
    ConnectorCase("oa", copy_samples("oa"), empty_oa, "manifest.xml"),
]
COLUMN_CASES = [case for case in CASES if case.wrong_column]


class TestBuiltinConnectors(ConnectorConformance):
    @pytest.fixture(params=CASES, ids=str)
    def case(self, request: pytest.FixtureRequest) -> ConnectorCase:
        return request.param  # type: ignore[no-any-return]


class TestBuiltinColumnChecks(ColumnConformance):
    @pytest.fixture(params=COLUMN_CASES, ids=str)
    def case(self, request: pytest.FixtureRequest) -> ConnectorCase:
        return request.param  # type: ignore[no-any-return]


def test_every_registered_connector_has_a_conformance_case() -> None:
    """Built-ins here; the example plugin's connector in its own tests (run below)."""
    registered = available_connectors()
    builtins = {name for name, origin in registered.items() if not origin.startswith("plugin ")}
    assert builtins == {c.connector for c in CASES}
    assert registered["wiki"].startswith("plugin kmingest-example-plugin")
    assert set(registered) == builtins | {"wiki"}


def test_only_the_folder_connector_declares_a_complete_listing() -> None:
    # the others may filter by `since` (incremental exports): only full syncs delete for them; the kit's
    # checkpoint case holds a connector that starts declaring it to listing everything whatever `since` says
    declared = [case.connector for case in CASES if connector_class(case.connector).complete_listing]
    assert declared == ["filesystem"]


def test_the_example_plugin_passes_the_shipped_kit_in_its_own_tests(example_plugin: Path) -> None:
    plugin = REPO / "examples" / "kmingest-example-plugin"
    path = [str(example_plugin), str(REPO), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in path if p)}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=plugin,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "5 passed" in run.stdout, run.stdout
