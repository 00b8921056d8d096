"""Tabular exports nobody on the project wrote (issue 14): a pandas CSV with an unnamed index column, a
headerless multilingual ERP TSV, per-table delimiter/quote/encoding, custom date formats, a row filter and a
language column. Fixtures are small files shaped like the real exports, built in tmp_path."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from kmingest.config import SourceConfig
from kmingest.connectors import ExtractError, build_connector
from kmingest.connectors.base import ConnectorConfigError
from kmingest.models import SourceRecord


def source(folder: Path, *tables: dict[str, Any], **options: Any) -> SourceConfig:
    return SourceConfig(name="t", connector="tabular", path=folder, tables=list(tables), **options)


def extract(
    folder: Path, *tables: dict[str, Any], **options: Any
) -> tuple[dict[str, SourceRecord], dict[str, str]]:
    items = list(build_connector(source(folder, *tables, **options)).extract())
    records = {r.external_id: r for r in items if isinstance(r, SourceRecord)}
    errors = {r.external_id: r.reason for r in items if isinstance(r, ExtractError)}
    return records, errors


PANDAS_CSV = (  # DataFrame.to_csv(): the index is the first column, its header cell empty
    ",编号,标题,处理部门,版本,描述\n"
    "0,BUG-7,登录失败,IT,2023-03-31.0002,点击登录按钮无反应\n"
    "1,BUG-8,报表导出乱码,Finance,2023-04-02.0001,导出的 CSV 打开是乱码\n"
    "2,BUG-9,打印预览空白,IT,2023-04-05.0003,预览页面一片空白\n"
)


def test_pandas_index_column_is_never_a_fallback(tmp_path: Path) -> None:
    (tmp_path / "issues.csv").write_text(PANDAS_CSV, encoding="utf-8")
    records, errors = extract(
        tmp_path, {"name": "issue", "file": "issues.csv", "id": "编号", "title": "标题"}
    )
    assert errors == {}  # once: `Invalid isoformat string: '0'` for every row
    assert {r.department for r in records.values()} == {"unassigned"}  # once: "0", "1", "2"
    assert {r.updated_at for r in records.values()} == {None}
    bug7 = records["issue:BUG-7"]
    assert bug7.title == "登录失败" and bug7.acl == ("public",) and bug7.author is None
    assert bug7.fields == {
        "标题": "登录失败",
        "处理部门": "IT",
        "版本": "2023-03-31.0002",
        "描述": "点击登录按钮无反应",
    }


def test_pandas_export_maps_every_row_with_its_columns_and_a_date_pattern(tmp_path: Path) -> None:
    (tmp_path / "issues.csv").write_text(PANDAS_CSV, encoding="utf-8")
    table = {
        "name": "issue",
        "file": "issues.csv",
        "id": "编号",
        "title": "标题",
        "department": "处理部门",
        "updated_at": "版本",
        "date_pattern": r"^(\d{4}-\d{2}-\d{2})\.",
        "date_format": "%Y-%m-%d",
    }
    records, errors = extract(
        tmp_path, table, timezone="+08:00", department_map={"IT": "Information Technology"}
    )
    assert errors == {}
    mapped = {
        k: (r.department, r.updated_at.isoformat() if r.updated_at else None) for k, r in records.items()
    }
    assert mapped == {
        "issue:BUG-7": ("Information Technology", "2023-03-31T00:00:00+08:00"),
        "issue:BUG-8": ("Finance", "2023-04-02T00:00:00+08:00"),
        "issue:BUG-9": ("Information Technology", "2023-04-05T00:00:00+08:00"),
    }


def test_a_date_that_does_not_parse_names_the_column_and_the_fix(tmp_path: Path) -> None:
    (tmp_path / "issues.csv").write_text(PANDAS_CSV, encoding="utf-8")
    table = {"name": "issue", "file": "issues.csv", "id": "编号", "updated_at": "版本"}
    records, errors = extract(tmp_path, table)
    assert records == {}
    assert errors["issue:BUG-7"] == (  # Python's fromisoformat alone would read it as 00:02 that day
        "issues.csv line 2: date column '版本': '2023-03-31.0002' is not a date (ISO 8601 expected) "
        "(fix: set date_format (strptime, e.g. %Y-%m-%d) or date_pattern of table 'issue', or correct "
        "`updated_at`)"
    )


def test_naming_a_column_the_header_lacks_lists_the_unnamed_cell_and_the_fix(tmp_path: Path) -> None:
    (tmp_path / "issues.csv").write_text(PANDAS_CSV, encoding="utf-8")
    connector = build_connector(source(tmp_path, {"name": "issue", "file": "issues.csv", "id": "id"}))
    with pytest.raises(ConnectorConfigError) as caught:
        connector.check()  # type: ignore[attr-defined]
    message = str(caught.value)
    assert "issues.csv: column(s) 'id' not in the header (columns: (unnamed), '编号', '标题'," in message
    assert (
        "(fix: correct table 'issue' in sources[t]; a file without a header row needs `columns:`)" in message
    )


ERP_TSV = (  # headerless, like AdventureWorks' ProductDescription export: id, culture, text, modified
    "1\ten\tChromoly steel frame, light and stiff.\t2013-04-30 00:00:00.000000000\n"
    "1\tfr\tCadre en acier chromoly, léger et rigide.\t2013-04-30 00:00:00.000000000\n"
    "1\tzh-cht\t鉻鉬鋼車架，輕巧堅固。\t2013-04-30 00:00:00.000000000\n"
    "1\tar\tإطار من فولاذ الكرومولي، خفيف وصلب.\t2013-04-30 00:00:00.000000000\n"
    "1\the\tשלדת פלדת כרומולי, קלה וקשיחה.\t2013-04-30 00:00:00.000000000\n"
    "2\ten\tAluminum alloy cups; large diameter spindle.\t2014-02-08 10:01:36.827000000\n"
)


def test_headerless_tsv_ingests_with_columns_a_filter_and_a_language(tmp_path: Path) -> None:
    (tmp_path / "ProductDescription.tsv").write_text(ERP_TSV, encoding="utf-8")
    table = {
        "name": "product",
        "file": "ProductDescription.tsv",
        "id": ["ProductID", "Culture"],
        "columns": ["ProductID", "Culture", "Description", "ModifiedDate"],
        "title": "{ProductID} ({Culture})",
        "body": ["Description"],
        "language": "Culture",
        "updated_at": "ModifiedDate",
        "where": {"Culture": ["en", "fr", "zh-cht", "ar"]},
    }
    records, errors = extract(tmp_path, table)
    assert errors == {}
    assert sorted(records) == [
        "product:1|ar",
        "product:1|en",
        "product:1|fr",
        "product:1|zh-cht",
        "product:2|en",
    ]
    arabic = records["product:1|ar"]
    assert arabic.fields == {"Description": "إطار من فولاذ الكرومولي، خفيف وصلب."}
    assert arabic.metadata["lang"] == "ar" and arabic.metadata["lines"] == [4]  # the first line is data
    assert records["product:1|zh-cht"].title == "1 (zh-cht)"
    assert records["product:2|en"].updated_at == datetime(2014, 2, 8, 10, 1, 36, 827000, tzinfo=UTC)


def test_filter_values_from_yaml_may_be_numbers(tmp_path: Path) -> None:
    (tmp_path / "p.tsv").write_text(ERP_TSV, encoding="utf-8")
    table = {
        "name": "p",
        "file": "p.tsv",
        "id": "Culture",
        "columns": ["ProductID", "Culture", "Text", "When"],
        "where": {"ProductID": 2},
    }
    records, errors = extract(tmp_path, table)
    assert (sorted(records), errors) == (["p:en"], {})
    records, errors = extract(
        tmp_path, {**table, "id": ["ProductID", "Culture"], "where": {"ProductID": [1, 2]}}
    )
    assert (len(records), errors) == (6, {})


def test_delimiter_quotechar_and_encoding_per_table(tmp_path: Path) -> None:
    (tmp_path / "legacy.txt").write_bytes("物料;名称;备注\nM-1;'螺栓; M8';'含 ; 的备注'\n".encode("gb18030"))
    (tmp_path / "plain.csv").write_text("code,name\nX-1,Widget\n", encoding="utf-8")
    legacy = {
        "name": "legacy",
        "file": "legacy.txt",
        "format": "csv",
        "delimiter": ";",
        "quotechar": "'",
        "encoding": "gb18030",
        "id": "物料",
        "title": "名称",
    }
    records, errors = extract(tmp_path, legacy, {"name": "plain", "file": "plain.csv", "id": "code"})
    assert errors == {}
    assert records["legacy:M-1"].title == "螺栓; M8"
    assert records["legacy:M-1"].fields == {"名称": "螺栓; M8", "备注": "含 ; 的备注"}
    assert records["plain:X-1"].fields == {"name": "Widget"}


def test_skip_rows_with_columns_replaces_a_broken_header(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text("id,text,text\n1,first,second\n", encoding="utf-8")
    table = {"name": "d", "file": "d.csv", "columns": ["id", "summary", "detail"], "skip_rows": 1, "id": "id"}
    records, errors = extract(tmp_path, table)
    assert errors == {} and records["d:1"].fields == {"summary": "first", "detail": "second"}


def test_headerless_xlsx_below_a_title_row_reads_with_columns_and_skip_rows(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (
        ["产品说明 2023"],
        ["P-1", "zh-cn", "轻量铝合金车架", datetime(2023, 3, 31)],
        ["P-2", "en", "Steel fork", None],
    ):
        sheet.append(row)
    book.save(tmp_path / "products.xlsx")
    table = {
        "name": "p",
        "file": "products.xlsx",
        "columns": ["id", "lang", "text", "changed"],
        "skip_rows": 1,
        "id": "id",
        "language": "lang",
        "updated_at": "changed",
    }
    records, errors = extract(tmp_path, table, timezone="+08:00")
    assert errors == {} and sorted(records) == ["p:P-1", "p:P-2"]
    first = records["p:P-1"]
    assert (first.metadata["lang"], first.metadata["lines"]) == ("zh-cn", [2])
    assert first.updated_at is not None and first.updated_at.isoformat() == "2023-03-31T00:00:00+08:00"


def test_a_row_of_the_wrong_width_names_columns_as_the_count(tmp_path: Path) -> None:
    (tmp_path / "d.tsv").write_text("1\tonly two\n2\tthree\tcells\n", encoding="utf-8")
    records, errors = extract(tmp_path, {"name": "d", "file": "d.tsv", "columns": ["id", "text"], "id": "id"})
    assert sorted(records) == ["d:1"]
    assert errors == {"d:d.tsv:line-2": "d.tsv: line 2: 3 columns, `columns` names 2"}


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ({"columns": ["id", ""]}, "a column name is empty (fix: name every column)"),
        ({"columns": ["id", "id"]}, "column(s) 'id' named twice (fix: name each once)"),
        (
            {"columns": ["code"]},
            "column(s) 'id' not in `columns` (code) (fix: correct the name or `columns`)",
        ),
        ({"date_format": "%Y"}, "date_format/date_pattern without `updated_at` (fix: name the date column)"),
        ({"delimiter": ";;"}, "String should have at most 1 character (fix: correct the value)"),
        ({"encoding": "klingon"}, "unknown encoding 'klingon' (fix: auto, utf-8, gb18030, big5...)"),
    ],
)
def test_table_options_are_checked_when_the_config_is_read(table: dict[str, Any], expected: str) -> None:
    with pytest.raises(ConnectorConfigError) as caught:
        build_connector(source(Path("/exports"), {"name": "d", "file": "d.csv", "id": "id", **table}))
    assert expected in str(caught.value) and "sources[t].tables" in str(caught.value)


def test_an_unknown_key_lists_every_valid_key(tmp_path: Path) -> None:
    with pytest.raises(ConnectorConfigError) as caught:
        build_connector(
            source(tmp_path, {"name": "d", "file": "d.csv", "id": "id", "delimeter": ";"}, tabels=[])
        )
    top, nested = sorted(str(caught.value).splitlines())
    assert nested.startswith(
        "config: sources[t].tables.0.delimeter: Extra inputs are not permitted (fix: remove "
        "it or check its spelling; valid keys here: acl, author, body, columns, date_format,"
    )
    assert "delimiter, department" in nested and nested.endswith("updated_at, url, where)")
    assert top.startswith(
        "config: sources[t].tabels: Extra inputs are not permitted (fix: remove it or check its "
        "spelling; this connector's keys: acl_map, department_map,"
    )
    assert "max_uncompressed_mb, tables, timezone; common source keys: acl, connector, dag," in top
