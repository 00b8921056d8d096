"""Hostile OA exports (issue 13 rows 10, 20): listed files are size-checked before they are read, and
entries with empty or missing <permissions> are not public unless the source says so."""

from __future__ import annotations

import resource
from pathlib import Path
from typing import Any

import pytest

from kmingest.config import SourceConfig
from kmingest.connectors import ExtractError, build_connector
from kmingest.connectors.base import ConnectorConfigError
from kmingest.models import SourceRecord

ENTRY = """<document id="{id}"><file>files/{file}</file><title>{id}</title><department>人力资源部</department>
<publishDate>2026-01-02</publishDate>{perms}</document>"""


def export(root: Path, entries: list[tuple[str, str, str]]) -> Path:
    """entries: (id, file name under files/, permissions XML); each file gets a line of text."""
    (root / "files").mkdir(parents=True, exist_ok=True)
    for _, name, _ in entries:
        target = root / "files" / name
        if not target.exists():
            target.write_text(f"text of {name}", encoding="utf-8")
    body = "\n".join(ENTRY.format(id=i, file=f, perms=p) for i, f, p in entries)
    (root / "manifest.xml").write_text(
        f'<?xml version="1.0" encoding="UTF-8"?>\n<export>{body}</export>', encoding="utf-8"
    )
    return root


def extract(root: Path, **options: Any) -> tuple[dict[str, SourceRecord], dict[str, str]]:
    source = SourceConfig(name="oa", connector="oa", path=root, **options)
    items = list(build_connector(source).extract())
    return (
        {r.external_id: r for r in items if isinstance(r, SourceRecord)},
        {r.external_id: r.reason for r in items if isinstance(r, ExtractError)},
    )


def test_oversized_file_is_refused_from_its_size_without_being_read(tmp_path: Path) -> None:
    (tmp_path / "files").mkdir()
    with (tmp_path / "files" / "huge.txt").open("wb") as fh:
        fh.truncate(1024 * 1024 * 1024)  # sparse: 1 GB on paper, nothing on disk
    root = export(
        tmp_path,
        [
            ("A", "huge.txt", '<permissions><allow type="public"/></permissions>'),
            ("B", "small.txt", '<permissions><allow type="public"/></permissions>'),
        ],
    )
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    records, errors = extract(root, max_file_mb=10)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before) / 1024
    assert list(records) == ["B"]
    assert errors == {
        "A": "manifest.xml: file 'files/huge.txt' named by A: file too large: 1073741824 bytes > "
        "10485760 bytes (max_file_mb)"
    }
    assert grown_mb < 100


def test_listed_file_linked_out_of_the_export_is_refused(tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("outside")
    root = tmp_path / "oa"
    (root / "files").mkdir(parents=True)
    (root / "files" / "link.txt").symlink_to(tmp_path / "secret.txt")
    export(root, [("A", "link.txt", '<permissions><allow type="public"/></permissions>')])
    records, errors = extract(root)
    assert records == {} and "does not exist in the export" in errors["A"]


NO_PERMS = [
    ("E", "empty.txt", "<permissions/>"),
    ("M", "missing.txt", ""),
    ("P", "public.txt", '<permissions><allow type="public"/></permissions>'),
]


def test_entries_without_permissions_are_admins_only_by_default(tmp_path: Path) -> None:
    records, errors = extract(export(tmp_path, NO_PERMS))
    assert errors == {}
    assert {k: r.acl for k, r in records.items()} == {"E": (), "M": (), "P": ("public",)}


def test_default_acl_or_the_source_acl_applies_to_entries_without_permissions(tmp_path: Path) -> None:
    root = export(tmp_path, NO_PERMS)
    records, _ = extract(root, default_acl=["dept:HR", "user:hana"])
    assert records["E"].acl == records["M"].acl == ("dept:HR", "user:hana")
    records, _ = extract(root, acl=["dept:HR"])  # set explicitly on the source: used as before
    assert records["E"].acl == ("dept:HR",) and records["P"].acl == ("public",)


def test_missing_permissions_fail_makes_such_entries_dead_letters(tmp_path: Path) -> None:
    records, errors = extract(export(tmp_path, NO_PERMS), missing_permissions="fail")
    assert list(records) == ["P"]
    reason = (
        "manifest.xml: {}: no <permissions> (missing_permissions: fail); record not indexed "
        "(fix: add permissions in the OA system, or set default_acl)"
    )
    assert errors == {"E": reason.format("E"), "M": reason.format("M")}


def test_default_acl_must_name_principals(tmp_path: Path) -> None:
    source = SourceConfig(name="oa", connector="oa", path=tmp_path, default_acl=["HR"])
    with pytest.raises(
        ConnectorConfigError, match=r"sources\[oa\]\.default_acl: Value error, 'HR' is not a principal"
    ):
        build_connector(source)
