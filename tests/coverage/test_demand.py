"""Demand topics: searches that found nothing (or nothing opened), grouped by meaning per department of the
people searching, with the nearest supply; a generated query log on the tiny project, real models."""

from __future__ import annotations

from pathlib import Path

from kmingest.config import Config
from kmingest.coverage import write_formats
from kmingest.coverage.report import build_report
from kmingest.querylog import QueryLog, query_log_path
from kmingest.workspace import Workspace


def log_searches(config: Config) -> None:
    log = QueryLog(query_log_path(config.state_dir))
    searches = [  # (departments, searcher, query, results, opened)
        (("HR",), "s1", "parental leave policy", 0, False),
        (("HR",), "s2", "Parental  leave policy", 0, False),
        (("HR",), "s3", "maternity leave rules", 0, False),
        (("HR",), "s1", "产假规定", 0, False),
        (("HR",), "s2", "产假多少天", 0, False),
        (("HR",), "s3", "annual leave", 2, True),  # found and opened: not unanswered
        (("Quality",), "s4", "welding inspection checklist", 0, False),
        (("Quality",), "s4", "torque wrench calibration", 3, False),  # found, nothing opened
        (("Sales", "HR"), "s5", "canteen menu", 0, False),
        (("HR",), None, "", 0, False),  # browsing, not a search
    ]
    try:
        for depts, who, query, found, opened in searches:
            qid = log.record(None, query, {}, found, 5.0, departments=depts, searcher=who, owner="x")
            if opened:
                log.record_click(qid, "docs:whatever", owner="x")
    finally:
        log.close()


def test_unanswered_searches_grouped_by_meaning_per_department(
    tiny: tuple[Path, Config], tmp_path: Path
) -> None:
    _, config = tiny
    log_searches(config)
    with Workspace(config) as ws:
        report = build_report(config, ws)
    hr = {d.label: d for d in report.demand if d.department == "HR"}
    leave = hr["parental leave policy"]
    assert leave.queries == ("parental leave policy", "maternity leave rules")  # normalised, by meaning
    assert (leave.searches, leave.zero_result, leave.no_click, leave.searchers) == (3, 3, 0, 3)
    chinese = next(d for d in hr.values() if "产假规定" in d.queries)
    assert set(chinese.queries) == {"产假规定", "产假多少天"} and chinese.searches == 2
    assert "annual leave" not in {q for d in report.demand for q in d.queries}
    assert "canteen menu" in hr and any(
        d.department == "Sales" and d.label == "canteen menu" for d in report.demand
    )
    quality = {d.label: d for d in report.demand if d.department == "Quality"}
    assert quality["welding inspection checklist"].nearest_area == "Welding inspection"
    assert (
        quality["torque wrench calibration"].no_click,
        quality["torque wrench calibration"].zero_result,
    ) == (1, 0)
    assert quality["torque wrench calibration"].nearest_area == "Calibration"
    assert hr["canteen menu"].nearest_area == "" and hr["canteen menu"].nearest_topic == ""
    write_formats(report, tmp_path, ["html", "csv"])
    html = (tmp_path / "coverage.html").read_text(encoding="utf-8")
    assert 'id="demand"' in html and 'data-unanswered="yes"' in html
    rows = (tmp_path / "demand.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(rows) == len(report.demand) + 1
    assert any("parental leave policy; maternity leave rules" in row for row in rows)
