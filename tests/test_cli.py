"""The CLI on the bundled samples, as the README's quick start uses it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from kmingest.cli import cli


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = Path(__file__).resolve().parents[1]
    work = tmp_path_factory.mktemp("project")
    shutil.copytree(root / "samples", work / "samples")
    shutil.copy(root / "kmingest.yaml", work / "kmingest.yaml")
    result = CliRunner().invoke(cli, ["--config", str(work / "kmingest.yaml"), "ingest", "--all", "--full"],
                                obj={})  # fmt: skip
    assert result.exit_code == 0, result.output
    return work


def run(project: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--config", str(project / "kmingest.yaml"), *args], obj={})
    assert result.exit_code == 0, result.output
    return result.output


def search_json(project: Path, *args: str) -> dict:  # type: ignore[type-arg]
    return json.loads(run(project, "search", *args, "--json"))


def test_search_finds_english_and_chinese_samples(project: Path) -> None:
    hits = search_json(project, "how often are torque wrenches calibrated")["hits"]
    assert hits[0]["title"] == "Quality Manual (ISO 9001:2015)"
    zh = search_json(project, "质量")["hits"]
    assert zh and zh[0]["department"] == "Quality"
    assert "<mark>质量</mark>" in zh[0]["snippet_html"]


def test_search_respects_access_rights(project: Path) -> None:
    anonymous = [h["title"] for h in search_json(project, "discount approval")["hits"]]
    assert "Pricing and Discount Policy 2026" not in anonymous
    hr = [h["title"] for h in search_json(project, "discount approval", "--as-user", "hana")["hits"]]
    assert "Pricing and Discount Policy 2026" not in hr
    sales = [h["title"] for h in search_json(project, "discount approval", "--as-user", "alice")["hits"]]
    assert sales[0] == "Pricing and Discount Policy 2026"


def test_search_filters_by_department(project: Path) -> None:
    result = search_json(project, "policy", "--dept", "HR")
    assert result["hits"] and {h["department"] for h in result["hits"]} == {"HR"}
    assert [d for d, _ in result["facets"]["department"]] == ["HR"]


def test_status_shows_counts_and_failures_with_reasons(project: Path) -> None:
    report = json.loads(run(project, "status", "--json"))["shared-drive"]
    assert report["last_run"]["status"] == "ok"
    problems = {p["external_id"]: p for p in report["problems"]}
    assert set(problems) == {"R-D/broken-drawing.pdf", "R-D/old-spec.docx", "HR/old-handbook.doc"}
    assert problems["HR/old-handbook.doc"]["kind"] == "skipped"
    assert all(p["reason"] for p in problems.values())
    text = run(project, "status")
    assert "shared-drive: last run" in text and "R-D/broken-drawing.pdf" in text


def test_second_ingest_changes_nothing(project: Path) -> None:
    stats = json.loads(run(project, "ingest", "--all", "--json"))["shared-drive"]
    assert stats["new"] == stats["updated"] == stats["indexed"] == stats["embedded"] == 0
    assert stats["unchanged"] == stats["seen"] > 10


def test_bad_config_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "k.yaml"
    path.write_text("sources:\n  - {name: x, connector: nope, path: .}\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(path), "ingest", "--all"], obj={})
    assert result.exit_code == 2
    assert "unknown connector 'nope'" in result.output and "filesystem" in result.output
