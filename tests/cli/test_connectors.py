"""`kmingest connectors validate` and `preview` on exports shaped like real ones (issue 14): a pandas CSV
whose first header cell is empty, a repeated header cell, a misspelt key, and the mapping preview."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from kmingest.cli import cli

CONFIG = """\
sources:
  - name: tracker
    connector: tabular
    path: exports
    department_map: {质量部: Quality}
    acl_map: {内部: ["dept:Quality"], 公开: [public]}
    tables:
      - name: issue
        file: issues.csv
        id: 编号
        title: 标题
        department: 部门
        acl: 可见范围
        updated_at: 更新时间
"""
ISSUES = (
    ",编号,标题,部门,可见范围,更新时间,备注,备注\n"  # pandas index cell, and 备注 twice
    "0,Q-1,焊缝开裂,质量部,内部,2023-03-31,first,second\n"
    "1,Q-2,来料不良,采购部,公开,2023-04-01 08:30:00,a,b\n"
)


def project(tmp_path: Path, config: str = CONFIG, issues: str = ISSUES) -> Path:
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "issues.csv").write_text(issues, encoding="utf-8")
    path = tmp_path / "kmingest.yaml"
    path.write_text(config, encoding="utf-8")
    return path


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), obj={})


def test_validate_flags_empty_and_repeated_header_cells(tmp_path: Path) -> None:
    result = invoke("connectors", "validate", str(project(tmp_path)))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "ok: sources[tracker] (tabular)"
    assert lines[1] == (
        "warning: sources[tracker] table 'issue': issues.csv: header cell 1 is empty (a pandas "
        "index?): that column is not read (fix: if it holds data, name every column with "
        "`columns:` and `skip_rows: 1`)"
    )
    assert lines[2] == (
        "warning: sources[tracker] table 'issue': issues.csv: column '备注' appears in header "
        "cells 7, 8: only the last one is read (fix: name every column with `columns:` and "
        "`skip_rows: 1`)"
    )


def test_validate_previews_how_the_first_rows_map(tmp_path: Path) -> None:
    result = invoke("connectors", "validate", str(project(tmp_path)), "--rows", "2")
    assert result.exit_code == 0, result.output
    preview = result.output.split("first rows as mapped (check title, department, updated_at, acl):\n")[1]
    assert preview.splitlines() == [
        '  issue:Q-1: title="焊缝开裂", department="Quality", updated_at="2023-03-31T00:00:00+00:00", '
        'acl=["dept:Quality"], author=null',
        '  issue:Q-2: title="来料不良", department="采购部", updated_at="2023-04-01T08:30:00+00:00", '
        'acl=["public"], author=null',
    ]


def test_validate_preview_shows_a_row_that_fails_with_its_reason(tmp_path: Path) -> None:
    issues = ISSUES.replace("内部,2023-03-31", "机密,2023-03-31")
    result = invoke("connectors", "validate", str(project(tmp_path, issues=issues)), "--rows", "1")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == (
        "  issue:Q-1: error: issues.csv line 2: access value '机密' in column '可见范围' is not in acl_map "
        "(known: 公开, 内部); record not indexed"
    )


def test_validate_names_every_valid_key_of_a_misspelt_one(tmp_path: Path) -> None:
    config = CONFIG.replace("updated_at: 更新时间", "updated_at: 更新时间\n        delimeter: ';'")
    path = project(tmp_path, config=config)
    result = invoke("connectors", "validate", str(path))
    assert result.exit_code == 2
    assert result.output.startswith(
        f"error: {path}: sources[tracker].tables.0.delimeter: Extra inputs are not "
        "permitted (fix: remove it or check its spelling; valid keys here: acl, "
        "author, body, columns, date_format, date_pattern, delimiter,"
    )


def test_validate_stops_on_a_column_the_header_lacks(tmp_path: Path) -> None:
    path = project(tmp_path, config=CONFIG.replace("department: 部门", "department: 责任部门"))
    result = invoke("connectors", "validate", str(path))
    assert result.exit_code == 2 and "ok:" not in result.output
    assert (
        "issues.csv: column(s) '责任部门' not in the header (columns: (unnamed), '编号', '标题', '部门',"
        in (result.output)
    )


def test_preview_prints_the_mapped_fields_as_json(tmp_path: Path) -> None:
    path = project(tmp_path)
    result = invoke("--config", str(path), "connectors", "preview", "tracker", "--limit", "1")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output.splitlines()[0])
    assert {k: shown[k] for k in ("external_id", "title", "department", "acl", "updated_at")} == {
        "external_id": "issue:Q-1",
        "title": "焊缝开裂",
        "department": "Quality",
        "acl": ["dept:Quality"],
        "updated_at": "2023-03-31T00:00:00+00:00",
    }
    assert {k: shown["metadata"][k] for k in ("file", "lines", "date_source")} == {
        "file": "issues.csv",
        "lines": [2],
        "date_source": "export",
    }
    assert "备注: second" in shown["text"]
    assert not [line for line in shown["text"].splitlines() if line.startswith(":")]  # no unnamed column


def test_validate_preview_of_a_folder_says_where_the_date_came_from(tmp_path: Path) -> None:
    (tmp_path / "share").mkdir()
    (tmp_path / "share" / "memo.txt").write_text("Budget memo for Q3.", encoding="utf-8")
    (tmp_path / "share" / "memo.txt.meta.json").write_text('{"updated_at": "2001-05-14T09:00:00+00:00"}')
    path = tmp_path / "kmingest.yaml"
    path.write_text("sources:\n  - {name: share, connector: filesystem, path: share, department: Finance}\n")
    result = invoke("connectors", "validate", str(path))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == (
        '  memo.txt: title=null, department="Finance", updated_at="2001-05-14T09:00:00+00:00", '
        'acl=["public"], author=null, date_source="sidecar"'
    )
