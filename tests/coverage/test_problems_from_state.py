"""Problem records in the coverage report come from the state store alone (issue 15): the department,
system, type and ACL of every failed or skipped record are kept with its dead letter, so the report is the
same after the exports are deleted; an item the connector could not read stays "(unknown)" and restricted;
dead letters of an older state file (without those columns) are filled in by the next run."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kmingest.config import Config
from kmingest.coverage.model import Report
from kmingest.coverage.problems import for_reader
from kmingest.coverage.report import build_report
from kmingest.embedding import Embedder
from kmingest.index.base import PUBLIC, Caller
from kmingest.state import StateStore
from kmingest.workspace import Workspace
from tests.coverage.conftest import tiny_config, write_file

AS_OF = datetime(2026, 10, 1, tzinfo=UTC)
BROKEN_PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF garbage"
READER = Caller(frozenset({PUBLIC, "dept:Quality"}))  # not HR
# (source, external_id) -> (department, doc_type, kind)
EXPECTED = {
    ("docs", "Quality/broken-gauge.pdf"): ("Quality", "pdf", "failed"),
    ("docs", "HR/layoff-plan.pdf"): ("HR", "pdf", "failed"),
    ("docs", "HR/scan.png"): ("HR", "png", "skipped"),
    ("docs", "HR/bad-date.md"): ("(unknown)", "(unknown)", "failed"),  # the connector could not read it
}


@pytest.fixture
def project(tmp_path: Path, embedder: Embedder) -> Iterator[tuple[Path, Config]]:
    """A public and an HR-only PDF that fail to parse, an HR image (skipped), a file with a bad sidecar."""
    when = datetime(2026, 9, 1, tzinfo=UTC)
    write_file(
        tmp_path, "docs/Quality/calibration.md", "Torque wrenches get a calibration yearly. " * 3, when
    )
    write_file(tmp_path, "docs/HR/leave.md", "Employees get fifteen days of annual leave a year. " * 3, when)
    (tmp_path / "docs/Quality/broken-gauge.pdf").write_bytes(BROKEN_PDF)
    (tmp_path / "docs/Quality/broken-gauge.pdf.meta.json").write_text(
        '{"acl": ["dept:Quality"]}', encoding="utf-8"
    )
    (tmp_path / "docs/HR/layoff-plan.pdf").write_bytes(BROKEN_PDF)
    (tmp_path / "docs/HR/layoff-plan.pdf.meta.json").write_text('{"acl": ["dept:HR"]}', encoding="utf-8")
    (tmp_path / "docs/HR/scan.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))  # an image: skipped, public
    write_file(tmp_path, "docs/HR/bad-date.md", "A note about shift planning. " * 3, when)
    (tmp_path / "docs/HR/bad-date.md.meta.json").write_text('{"updated_at": "soon"}', encoding="utf-8")
    (tmp_path / "wiki").mkdir()
    (tmp_path / "knowledge_map.yaml").write_text("departments: {}\n", encoding="utf-8")
    config = tiny_config(tmp_path)
    with Workspace(config) as ws:
        ws.ingest(["docs", "wiki"])
    yield tmp_path, config


def report_of(config: Config) -> Report:
    with Workspace(config) as ws:
        return build_report(config, ws, as_of=AS_OF, generated_at=AS_OF)


def problems_of(report: Report) -> dict[tuple[str, str], tuple[str, str, str]]:
    return {(p.source, p.external_id): (p.department, p.doc_type, p.kind) for p in report.problems}


def test_report_names_problems_as_before_after_the_exports_are_deleted(project: tuple[Path, Config]) -> None:
    root, config = project
    before = report_of(config)
    shutil.rmtree(root / "docs")
    shutil.rmtree(root / "wiki")
    after = report_of(config)
    assert problems_of(after) == EXPECTED
    assert after.problems == before.problems
    assert {p.external_id: p.system for p in after.problems} == dict.fromkeys(
        [eid for _, eid in EXPECTED], "fileshare"
    )
    seen = for_reader(after, READER)
    assert [p.external_id for p in seen.problems] == ["HR/scan.png", "Quality/broken-gauge.pdf"]  # ACLs admit
    restricted = {(c.department, c.kind): c.records for c in seen.restricted_problems}
    assert restricted == {
        ("HR", "failed"): 1,
        ("(unknown)", "failed"): 1,
    }  # the HR-only plan, the unread file
    assert seen.restricted_problems == for_reader(before, READER).restricted_problems
    hr = next(d for d in after.departments if d.department == "HR")
    assert (hr.failed, hr.skipped) == (1, 1)  # the metrics count them under their department


def test_switching_attribution_off_reports_every_problem_unknown_and_restricted(
    project: tuple[Path, Config],
) -> None:
    root, _ = project
    config = tiny_config(root, coverage={"attribute_problems": False})
    report = report_of(config)
    assert {p.department for p in report.problems} == {"(unknown)"}
    assert for_reader(report, READER).problems == ()


def test_an_older_state_file_is_migrated_and_its_dead_letters_filled_in_by_the_next_run(
    project: tuple[Path, Config],
) -> None:
    _, config = project
    state_db = config.state_dir / "state.db"
    with sqlite3.connect(state_db) as db:  # as a version that kept no attribution left it
        db.execute("UPDATE dead_letters SET department = NULL, system = NULL, doc_type = NULL, acl = NULL")
    db.close()
    unattributed = report_of(config)
    assert {p.department for p in unattributed.problems} == {"(unknown)"}
    assert for_reader(unattributed, READER).problems == ()  # unknown ACL: fail closed
    with Workspace(config) as ws:
        ws.ingest(["docs", "wiki"])  # the unchanged skipped image is not processed again, yet filled in
    assert problems_of(report_of(config)) == EXPECTED


def test_a_state_file_without_the_columns_opens_and_keeps_its_dead_letters(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE dead_letters (source TEXT NOT NULL, external_id TEXT NOT NULL, kind TEXT NOT NULL, "
            "reason TEXT NOT NULL, run_id INTEGER NOT NULL, at TEXT NOT NULL, "
            "PRIMARY KEY (source, external_id)) WITHOUT ROWID"
        )
        db.execute("INSERT INTO dead_letters VALUES ('docs', 'HR/a.pdf', 'failed', 'parse: bad', 1, 'then')")
    db.close()
    state = StateStore(path)
    try:
        [letter] = state.dead_letters()
        assert (letter["external_id"], letter["department"], letter["acl"]) == ("HR/a.pdf", None, None)
        state.add_dead_letter("docs", "HR/b.pdf", "parse: bad", 2)
        assert [d["external_id"] for d in state.dead_letters("docs")] == ["HR/a.pdf", "HR/b.pdf"]
    finally:
        state.close()
