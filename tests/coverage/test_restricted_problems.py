"""Failed and skipped records in the coverage report (issue 13, row 6): a restricted record (an HR-only
layoff plan that failed to parse) is counted but not named in the HTML, CSV and JSON files and on
/coverage, unless the reader may read it; `kmingest report coverage --include-restricted` names it."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from fastapi.testclient import TestClient

from kmingest.cli import cli
from kmingest.config import Config
from kmingest.coverage import write_report
from kmingest.embedding import Embedder
from kmingest.portal import create_app
from kmingest.workspace import Workspace
from tests.coverage.conftest import tiny_config, write_file

AS_OF = datetime(2026, 10, 1, tzinfo=UTC)
SECRET = "layoff-plan-2027"  # the restricted record's name, in its id and in its parse failure reason
BROKEN_PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF garbage"
ACCESS = {
    "users": {"kmlead": {}, "hana": {"departments": ["HR"]}, "km-admin": {}},
    "admins": ["km-admin"],
    "km_leads": ["kmlead", "hana"],
}


def restricted_config(root: Path, **extra: object) -> Config:
    return tiny_config(root, access=ACCESS, portal={"demo_logins": True}, **extra)


@pytest.fixture
def project(tmp_path: Path, embedder: Embedder) -> Iterator[tuple[Path, Config]]:
    """Quality (public) and HR files; one public and one HR-only PDF fail to parse."""
    when = datetime(2026, 9, 1, tzinfo=UTC)
    write_file(
        tmp_path, "docs/Quality/calibration.md", "Torque wrenches get a calibration yearly. " * 3, when
    )
    write_file(tmp_path, "docs/HR/leave.md", "Employees get fifteen days of annual leave a year. " * 3, when)
    (tmp_path / "docs/Quality/broken-gauge.pdf").write_bytes(BROKEN_PDF)
    (tmp_path / f"docs/HR/{SECRET}.pdf").write_bytes(BROKEN_PDF)
    (tmp_path / f"docs/HR/{SECRET}.pdf.meta.json").write_text('{"acl": ["dept:HR"]}', encoding="utf-8")
    (tmp_path / "wiki").mkdir()
    (tmp_path / "knowledge_map.yaml").write_text("departments: {}\n", encoding="utf-8")
    config = restricted_config(tmp_path)
    with Workspace(config) as ws:
        stats = ws.ingest(["docs", "wiki"])
    assert stats["docs"].failed == 2, stats
    yield tmp_path, config


def written_text(paths: list[Path]) -> str:
    return "\n".join(p.read_text(encoding="utf-8-sig") for p in paths)


def test_files_count_restricted_problems_without_naming_them(
    project: tuple[Path, Config], tmp_path: Path
) -> None:
    _, config = project
    paths = write_report(config, tmp_path / "out", as_of=AS_OF)
    text = written_text(paths)
    assert SECRET not in text  # neither the id nor the reason (which quotes the file name)
    assert "Quality/broken-gauge.pdf" in text  # a public record is still named
    data = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert [p["external_id"] for p in data["problems"]] == ["Quality/broken-gauge.pdf"]
    assert data["restricted_problems"] == [
        {"source": "docs", "system": "fileshare", "department": "HR", "kind": "failed", "records": 1}
    ]
    hr = next(d for d in data["departments"] if d["department"] == "HR")
    assert hr["failed"] == 1  # the metrics count it
    with (tmp_path / "out" / "problems.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = [
            (r["department"], r["external_id"], r["kind"], r["records"], bool(r["reason"]))
            for r in csv.DictReader(f)
        ]
    assert rows == [
        ("Quality", "Quality/broken-gauge.pdf", "failed", "1", True),
        ("HR", "(restricted)", "failed", "1", False),
    ]
    html = (tmp_path / "out" / "coverage.html").read_text(encoding="utf-8")
    assert 'data-table="restricted-problems"' in html and "not named" in html
    kept = written_text(sorted((config.state_dir / "reports").glob("*/report.json")))
    assert SECRET not in kept


def test_unknown_acl_is_restricted(project: tuple[Path, Config], tmp_path: Path) -> None:
    root, _ = project  # without re-reading the sources, no record's ACL is known: none is named
    config = restricted_config(
        root, coverage={"knowledge_map": str(root / "knowledge_map.yaml"), "attribute_problems": False}
    )
    paths = write_report(config, tmp_path / "out", formats=("json", "csv"), as_of=AS_OF)
    text = written_text(paths)
    assert SECRET not in text and "broken-gauge" not in text
    data = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert data["problems"] == [] and sum(c["records"] for c in data["restricted_problems"]) == 2


def test_cli_names_restricted_problems_only_when_asked(project: tuple[Path, Config], tmp_path: Path) -> None:
    root, config = project
    path = root / "kmingest.yaml"
    data = {
        "state_dir": str(config.state_dir),
        "index": {"path": str(config.index.path)},
        "embedding": {"cache_path": str(config.embedding.cache_path)},
        "sources": [
            {
                "name": s.name,
                "connector": "filesystem",
                "path": str(root / s.name),
                "system": s.system,
                "department_from_folder": True,
            }
            for s in config.sources
        ],
        "coverage": {"knowledge_map": str(root / "knowledge_map.yaml")},
        "access": ACCESS,
    }
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    base = ["--config", str(path), "report", "coverage", "--as-of", "2026-10-01"]
    counted = CliRunner().invoke(cli, [*base, "--out", str(tmp_path / "counted")], obj={})
    assert counted.exit_code == 0, counted.output
    assert SECRET not in written_text([p for p in (tmp_path / "counted").iterdir()])
    refused = CliRunner().invoke(cli, [*base, "--include-restricted"], obj={})
    assert refused.exit_code == 2 and "--out" in refused.output
    named = CliRunner().invoke(cli, [*base, "--include-restricted", "--out", str(tmp_path / "all")], obj={})
    assert named.exit_code == 0, named.output
    for name in ("coverage.html", "report.json", "problems.csv"):
        assert SECRET in (tmp_path / "all" / name).read_text(encoding="utf-8-sig"), name
    assert SECRET not in written_text(sorted((config.state_dir / "reports").glob("*/report.json")))


def sign_in(client: TestClient, user: str) -> None:
    client.cookies.clear()
    response = client.post("/login", data={"username": user, "next": "/coverage"}, follow_redirects=False)
    assert response.status_code == 303, response.text


def test_portal_names_a_restricted_problem_only_to_readers_who_may_read_it(
    project: tuple[Path, Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, config = project
    monkeypatch.setenv("KMINGEST_SESSION_SECRET", "restricted-problems-test-secret-0123456789")
    seen = {}
    with TestClient(create_app(config)) as client:
        for user in ("kmlead", "hana", "km-admin"):
            sign_in(client, user)
            page, data = client.get("/coverage"), client.get("/coverage/report.json")
            assert page.status_code == data.status_code == 200, (user, page.text)
            seen[user] = (SECRET in page.text, SECRET in data.text, data.json()["restricted_problems"])
            assert "Quality/broken-gauge.pdf" in page.text
    assert seen["kmlead"][:2] == (False, False) and seen["kmlead"][2][0]["records"] == 1  # KM lead, not HR
    assert seen["hana"] == (True, True, [])  # an HR KM lead may read the record
    assert seen["km-admin"] == (True, True, [])
