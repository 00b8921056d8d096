"""ERP connector: the tabular connector preset for the standard ERP export layout (docs/sample-exports.md):
materials.csv (GB18030), suppliers.csv, bom_notes.xlsx (one document per BOM), work_instructions.xlsx
(one document per SOP). Override `tables` in config for another layout; `department_map` maps the ERP's
department names (生产部 ...) to the portal's.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from connectors.tabular import TabularConnector
from connectors.tabular.options import TableSpec, TabularOptions


def _spec(**values: Any) -> TableSpec:
    return TableSpec.model_validate(values)


ERP_TABLES = (
    _spec(
        name="material",
        file="materials.csv",
        encoding="gb18030",
        id="物料编码",
        title="{物料名称} {规格型号}",
        department="责任部门",
        updated_at="更新时间",
    ),
    _spec(
        name="supplier",
        file="suppliers.csv",
        encoding="utf-8-sig",
        id="供应商编码",
        title="供应商名称",
        department="责任部门",
        updated_at="更新时间",
    ),
    _spec(
        name="bom",
        file="bom_notes.xlsx",
        id="BOM编号",
        title="{BOM编号} {父项物料}",
        department="责任部门",
        updated_at="更新时间",
        group_rows=True,
    ),
    _spec(
        name="sop",
        file="work_instructions.xlsx",
        id="文件编号",
        title="{文件编号} {标题}",
        department="责任部门",
        updated_at="生效日期",
        group_rows=True,
    ),
)


class ErpOptions(TabularOptions):
    tables: tuple[TableSpec, ...] = ERP_TABLES
    timezone: str = Field(default="+08:00", pattern=r"^[+-]\d{2}:\d{2}$")


class ErpConnector(TabularConnector):
    name = "erp"
    Options = ErpOptions
