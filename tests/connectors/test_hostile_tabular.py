"""Hostile tabular exports (issue 13 rows 2, 5, 8, 9): grouped rows take the most restrictive ACL, an empty
ACL is admins only, a huge cell or row fails that row only, an .xlsx gets the parsers' zip/size/time
guards."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import openpyxl

from kmingest.config import SourceConfig
from kmingest.connectors import ExtractError, build_connector
from kmingest.models import SourceRecord

ACL_MAP = {
    "public": ["public"],
    "hr": ["dept:HR", "user:boss"],
    "sales": ["dept:Sales", "user:boss"],
    "nobody": [],
    "hr-only": ["dept:HR"],
}


def extract(folder: Path, table: dict[str, Any], **options: Any) -> list[SourceRecord | ExtractError]:
    source = SourceConfig(
        name="t",
        connector="tabular",
        path=folder,
        acl_map=ACL_MAP,  # type: ignore[call-arg]
        tables=[{"name": "doc", "id": "id", **table}],
        **options,
    )
    return list(build_connector(source).extract())


def split(items: list[SourceRecord | ExtractError]) -> tuple[dict[str, SourceRecord], dict[str, str]]:
    records = {r.external_id: r for r in items if isinstance(r, SourceRecord)}
    errors = {r.external_id: r.reason for r in items if isinstance(r, ExtractError)}
    return records, errors


def test_grouped_rows_get_the_intersection_of_their_readers(tmp_path: Path) -> None:
    (tmp_path / "plan.csv").write_text(
        "id,step,access,dept\n"
        "P1,announce,public,Sales\nP1,layoff list,hr-only,HR\nP1,notes,hr,HR\n"  # public + HR -> HR only
        "P2,one,hr,HR\nP2,two,sales,Sales\n"  # HR+boss and Sales+boss -> boss
        "P3,one,hr-only,HR\nP3,two,sales,Sales\n"  # nothing in common -> admins only
        "P4,one,public,Quality\nP4,two,public,Quality\n"
    )
    records, errors = split(
        extract(tmp_path, {"file": "plan.csv", "acl": "access", "department": "dept", "group_rows": True})
    )
    assert errors == {}
    acls = {k: r.acl for k, r in records.items()}
    assert acls == {"doc:P1": ("dept:HR",), "doc:P2": ("user:boss",), "doc:P3": (), "doc:P4": ("public",)}
    assert records["doc:P1"].department == "HR"  # the department most rows name


def test_acl_map_value_empty_means_nobody_but_admins(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text("id,text,access\n1,hidden,nobody\n2,open,public\n")
    records, _ = split(extract(tmp_path, {"file": "d.csv", "acl": "access"}))
    assert records["doc:1"].acl == () and records["doc:2"].acl == ("public",)


def test_cell_over_the_csv_field_limit_fails_that_row_only(tmp_path: Path) -> None:
    huge = "x" * 200_000
    (tmp_path / "d.csv").write_text(f'id,text\n1,before\n2,{huge}\n3,"{huge}"\n4,after\n')
    records, errors = split(extract(tmp_path, {"file": "d.csv"}))
    assert set(records) == {"doc:1", "doc:4"}
    assert errors == {
        "doc:d.csv:line-3": "d.csv: line 3: field larger than field limit (131072); row not read",
        "doc:d.csv:line-4": "d.csv: line 4: field larger than field limit (131072); row not read",
    }


def test_row_over_max_row_kb_fails_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text(f"id,a,b\n1,{'y' * 600},{'z' * 600}\n2,small,row\n")
    (tmp_path / "d.jsonl").write_text(f'{{"id": "9", "text": "{"q" * 2000}"}}\n{{"id": "8", "text": "ok"}}\n')
    records, errors = split(extract(tmp_path, {"file": "d.*", "format": "auto"}, max_row_kb=1))
    assert set(records) == {"doc:2", "doc:8"}
    assert errors == {
        "doc:d.csv:line-2": "d.csv: line 2: row has 1201 characters, over the limit of 1024 (max_row_kb); "
        "row not read",
        "doc:d.jsonl:line-1": "d.jsonl: line 1: row has 2024 characters, over the limit of 1024 "
        "(max_row_kb); row not read",
    }


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def zip_bomb_xlsx() -> bytes:
    """A valid workbook whose sheet XML is padded with 30 MB of spaces (compresses about 1000x)."""
    good = zipfile.ZipFile(io.BytesIO(xlsx_bytes([["id", "text"], ["1", "one"]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for info in good.infolist():
            data = good.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<sheetData>", b"<sheetData>" + b" " * 30_000_000)
            bomb.writestr(info.filename, data)
    return out.getvalue()


def test_xlsx_zip_bomb_is_refused_and_the_other_files_are_read(tmp_path: Path) -> None:
    (tmp_path / "a_bomb.xlsx").write_bytes(zip_bomb_xlsx())
    (tmp_path / "b_good.xlsx").write_bytes(xlsx_bytes([["id", "text"], ["7", "seven"]]))
    records, errors = split(extract(tmp_path, {"file": "*.xlsx"}))
    assert list(records) == ["doc:7"]
    assert list(errors) == ["doc:a_bomb.xlsx"]
    assert errors["doc:a_bomb.xlsx"].startswith(
        "a_bomb.xlsx: xlsx: zip member 'xl/worksheets/sheet1.xml' expands"
    )
    assert errors["doc:a_bomb.xlsx"].endswith("x > max_compression_ratio=200 (zip bomb?)")


def test_xlsx_size_and_time_limits(tmp_path: Path) -> None:
    (tmp_path / "d.xlsx").write_bytes(xlsx_bytes([["id", "text"], *[[str(i), "row"] for i in range(3000)]]))
    _, errors = split(extract(tmp_path, {"file": "d.xlsx"}, max_file_mb=0.01))
    size = (tmp_path / "d.xlsx").stat().st_size
    assert errors == {"doc:d.xlsx": f"d.xlsx: file too large: {size} bytes > 10485 bytes (max_file_mb)"}
    _, errors = split(extract(tmp_path, {"file": "d.xlsx"}, max_seconds_per_file=0.001))
    assert errors == {"doc:d.xlsx": "d.xlsx: time limit exceeded: parsing took more than max_seconds=0.001"}


def test_export_file_linked_from_outside_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside.csv"
    outside.write_text("id,text\n1,secret\n")
    export = tmp_path / "export"
    export.mkdir()
    (export / "d.csv").symlink_to(outside)
    _, errors = split(extract(export, {"file": "d.csv"}))
    assert errors == {"doc:d.csv": "d.csv: path leads outside the source folder (symbolic link); not read"}
