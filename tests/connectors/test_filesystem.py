from __future__ import annotations

from pathlib import Path

import pytest

from kmingest.config import SourceConfig
from kmingest.connectors import ExtractError, available_connectors, build_connector
from kmingest.connectors.base import ConnectorConfigError
from kmingest.models import SourceRecord


def extract(path: Path, **options: object) -> list[SourceRecord | ExtractError]:
    source = SourceConfig(name="fs", connector="filesystem", path=path, **options)  # type: ignore[arg-type]
    return list(build_connector(source).extract())


def test_files_with_sidecars_and_folder_departments(tmp_path: Path) -> None:
    (tmp_path / "Sales").mkdir()
    (tmp_path / "Sales" / "a.txt").write_text("hello")
    (tmp_path / "Sales" / "a.txt.meta.json").write_text(
        '{"acl": ["dept:Sales"], "title": "A", "updated_at": "2026-01-02", "region": "East"}'
    )
    (tmp_path / "top.txt").write_text("top")
    (tmp_path / ".hidden").write_text("x")
    records = extract(tmp_path, department_from_folder=True, department="General",
                      department_map={"Sales": "销售"})  # fmt: skip
    by_id = {r.external_id: r for r in records if isinstance(r, SourceRecord)}
    assert set(by_id) == {"Sales/a.txt", "top.txt"}
    a = by_id["Sales/a.txt"]
    assert (a.department, a.acl, a.title, a.metadata) == ("销售", ("dept:Sales",), "A", {"region": "East"})
    assert a.updated_at is not None and a.updated_at.year == 2026
    assert by_id["top.txt"].department == "General" and by_id["top.txt"].acl == ("public",)


def test_ids_are_stable_across_runs(tmp_path: Path) -> None:
    (tmp_path / "x.md").write_text("# X")
    first = [r.doc_id for r in extract(tmp_path) if isinstance(r, SourceRecord)]
    assert first == [r.doc_id for r in extract(tmp_path) if isinstance(r, SourceRecord)]


def test_bad_sidecar_is_an_error_for_that_file_only(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("a")
    (tmp_path / "a.txt.meta.json").write_text("{not json")
    (tmp_path / "b.txt").write_text("b")
    (tmp_path / "b.txt.meta.json").write_text('{"updated_at": "yesterday"}')
    (tmp_path / "c.txt").write_text("c")
    records = extract(tmp_path)
    errors = {r.external_id: r.reason for r in records if isinstance(r, ExtractError)}
    assert "not valid JSON" in errors["a.txt"]
    assert "ISO 8601" in errors["b.txt"]
    assert [r.external_id for r in records if isinstance(r, SourceRecord)] == ["c.txt"]


def test_limits_depth_size_and_patterns(tmp_path: Path) -> None:
    deep = tmp_path / "1" / "2" / "3"
    deep.mkdir(parents=True)
    (deep / "deep.txt").write_text("deep")
    (tmp_path / "big.txt").write_bytes(b"x" * 2_000_000)
    (tmp_path / "keep.md").write_text("k")
    (tmp_path / "skip.tmp").write_text("t")
    records = extract(tmp_path, max_depth=2, max_file_mb=1, exclude=["*.tmp"])
    ok = [r.external_id for r in records if isinstance(r, SourceRecord)]
    errors = {r.external_id: r.reason for r in records if isinstance(r, ExtractError)}
    assert ok == ["keep.md"]
    assert errors["big.txt"] == "file too large: 2000000 bytes > 1048576 bytes (max_file_mb)"


def test_empty_folder_gives_no_records_and_missing_folder_a_clear_error(tmp_path: Path) -> None:
    assert extract(tmp_path) == []
    with pytest.raises(ConnectorConfigError, match="does not exist"):
        extract(tmp_path / "nope")


def test_registry_lists_builtin_and_rejects_unknown_options(tmp_path: Path) -> None:
    assert available_connectors()["filesystem"] == "connectors.filesystem:FilesystemConnector"
    with pytest.raises(ConnectorConfigError, match=r"sources\[fs\]\.colour: Extra inputs are not permitted"):
        extract(tmp_path, colour="red")
