"""Rollout figures per department and month from a generated query log spanning four months (plus one
month before the window), documents' dates and kept reports; pilot vs others; CSV, JSON and HTML agree."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kmingest.coverage.model import AreaResult, GroupMetrics, Report, Thresholds
from kmingest.coverage.rollout import compute_rollout, kept_reports, month_window, rollout_for
from kmingest.coverage.rollout_report import (
    Rollout,
    RolloutRow,
    rollout_html,
    rollout_rows,
    write_rollout_csv,
)
from kmingest.querylog import QueryLog, query_log_path

UNTIL = datetime(2026, 10, 20, 12, 0, tzinfo=UTC)
MONTHS = ("2026-07", "2026-08", "2026-09", "2026-10")
ODD_DEPT = 'R&D <script>"x"</script>'


def generate_query_log(path: Path) -> None:
    """Deterministic searches, 2026-06 to 2026-10. Quality (the pilot), month m = 0..3 of the window:
    2 + m searchers with 3 searches each; each opens a result from its first min(m + 1, 3) searches, and
    in months 0 and 1 its last search finds nothing. Sales: 2 searchers x 2 searches a month, the second
    finds nothing, nothing opened. Also: a person in Quality and Sales (October, one search, opened), a
    search logged before searcher ids existed (HR, August), a browse without a query (ignored), a search
    in June (outside the window) and one by a department whose name needs escaping (September)."""
    log = QueryLog(path)

    def search(when: datetime, depts: tuple[str, ...], who: str | None, found: int, opened: bool) -> None:
        qid = log.record(
            None, f"query by {who}", {}, found, 10.0, at=when, owner="o", departments=depts, searcher=who
        )
        if opened:
            assert log.record_click(qid, "doc-1", owner="o")

    for m, month in enumerate(MONTHS):
        year, mon = (int(p) for p in month.split("-"))
        for s in range(2 + m):
            for i in range(3):
                zero = m < 2 and i == 2
                search(
                    datetime(year, mon, 2 + s, 9 + i, tzinfo=UTC),
                    ("Quality",),
                    f"q{s}",
                    0 if zero else 4,
                    i < min(m + 1, 3),
                )
        for s in range(2):
            for i in range(2):
                search(
                    datetime(year, mon, 10 + s, 9 + i, tzinfo=UTC), ("Sales",), f"s{s}", 4 * (1 - i), False
                )
    search(datetime(2026, 10, 15, tzinfo=UTC), ("Quality", "Sales"), "r0", 2, True)
    log.record("HR", "legacy search", {}, 1, 5.0, at=datetime(2026, 8, 5, tzinfo=UTC))  # no searcher id
    log.record(
        None, "   ", {}, 9, 5.0, at=datetime(2026, 7, 5, tzinfo=UTC), departments=("Quality",), searcher="q0"
    )
    search(datetime(2026, 6, 30, tzinfo=UTC), ("Quality",), "q9", 1, True)
    search(datetime(2026, 9, 9, tzinfo=UTC), (ODD_DEPT,), "x0", 1, False)
    log.close()


@dataclass(frozen=True)
class Doc:
    department: str
    updated_at: datetime | None


DOCS = [
    Doc("Quality", datetime(2026, 9, 1, tzinfo=UTC)),
    Doc("Quality", datetime(2026, 9, 30, tzinfo=UTC)),
    Doc("Quality", datetime(2025, 9, 1, tzinfo=UTC)),
    Doc("Sales", datetime(2026, 10, 1, tzinfo=UTC)),
    Doc("Sales", None),
]


def kept(at: datetime, quality_docs: int, quality_covered: int) -> Report:
    def dept(name: str, documents: int) -> GroupMetrics:
        return GroupMetrics(department=name, documents=documents)

    def area(name: str, status: str) -> AreaResult:
        return AreaResult.model_validate(
            {
                "department": "Quality",
                "area": name,
                "keywords": (name,),
                "status": status,
                "documents": 1,
                "thin_below": 3,
                "stale_after_days": 365,
            }
        )

    statuses = ["covered"] * quality_covered + ["missing"] * (2 - quality_covered)
    return Report(
        report_id=at.strftime("%Y%m%dT%H%M%SZ"),
        generated_at=at,
        as_of=at,
        backend="embedded",
        thresholds=Thresholds(thin_below=3, stale_after_days=365, near_empty_chars=200),
        totals=GroupMetrics(department="(all)"),
        departments=(dept("Quality", quality_docs), dept("Sales", 5)),
        areas=tuple(area(f"area {i}", s) for i, s in enumerate(statuses)),
    )


REPORTS = [
    kept(datetime(2026, 8, 31, tzinfo=UTC), 10, 1),
    kept(datetime(2026, 9, 15, tzinfo=UTC), 12, 1),
    kept(datetime(2026, 9, 30, tzinfo=UTC), 14, 2),
]


@pytest.fixture
def rollout(tmp_path: Path) -> Rollout:
    generate_query_log(query_log_path(tmp_path))
    return rollout_for(tmp_path, DOCS, REPORTS, ("Quality",), UNTIL, months=4)


def row(rows: tuple[RolloutRow, ...], name: str, month: str) -> RolloutRow:
    return next(r for r in rows if r.name == name and r.month == month)


def test_window_is_the_last_months_up_to_the_report() -> None:
    assert month_window(UNTIL, 4) == MONTHS
    assert month_window(datetime(2026, 2, 1, tzinfo=UTC), 3) == ("2025-12", "2026-01", "2026-02")


def test_pilot_department_figures_per_month(rollout: Rollout) -> None:
    quality = [row(rollout.departments, "Quality", m) for m in MONTHS]
    assert [r.searchers for r in quality] == [2, 3, 4, 6]  # October: q0..q4 and r0
    assert [r.searches for r in quality] == [6, 9, 12, 16]  # the browse in July is not a search
    assert [r.opened for r in quality] == [2, 6, 12, 16]
    assert [r.success_share for r in quality] == [0.3333, 0.6667, 1.0, 1.0]
    assert [r.zero_result_share for r in quality] == [0.3333, 0.3333, 0.0, 0.0]
    assert [r.documents_updated for r in quality] == [0, 0, 2, 0]
    assert [r.documents for r in quality] == [None, 10, 14, None]  # September: its newest kept report
    assert [r.documents_added for r in quality] == [None, None, 4, None]
    assert [(r.areas, r.areas_covered) for r in quality] == [(None, None), (2, 1), (2, 2), (None, None)]
    assert all(r.pilot for r in quality)


def test_other_departments_and_searches_without_a_searcher_id(rollout: Rollout) -> None:
    sales = [row(rollout.departments, "Sales", m) for m in MONTHS]
    assert [(r.searchers, r.searches, r.opened, r.zero_result_share) for r in sales] == [
        (2, 4, 0, 0.5),
        (2, 4, 0, 0.5),
        (2, 4, 0, 0.5),
        (3, 5, 1, 0.4),
    ]
    assert [r.documents_added for r in sales] == [None, None, 0, None]
    hr_august = row(rollout.departments, "HR", "2026-08")
    assert (hr_august.searches, hr_august.searchers, hr_august.pilot) == (1, 0, False)


def test_pilot_and_others_count_a_person_of_both_once_each(rollout: Rollout) -> None:
    pilot, others, every = (row(rollout.groups, g, "2026-10") for g in ("pilot", "others", "all"))
    assert (pilot.searchers, pilot.searches, pilot.opened) == (6, 16, 16)
    assert (others.searchers, others.searches, others.opened) == (3, 5, 1)
    assert (every.searchers, every.searches) == (8, 20)  # r0 once, not twice
    july_others = row(rollout.groups, "others", "2026-07")
    assert (july_others.searches, july_others.zero_result_share) == (4, 0.5)
    assert row(rollout.groups, "others", "2026-09").searches == 5  # Sales 4 + the odd department's 1
    assert row(rollout.groups, "pilot", "2026-09").documents == 14


def test_trend_compares_first_and_last_month_per_group(rollout: Rollout) -> None:
    trends = {(t.group, t.figure): t for t in rollout.trend}
    searchers = trends[("pilot", "searchers")]
    assert (searchers.first_month, searchers.first, searchers.last_month, searchers.last) == (
        "2026-07",
        2,
        "2026-10",
        6,
    )
    assert (searchers.direction, searchers.better) == ("up", True)
    zero = trends[("pilot", "zero_result_share")]
    assert (zero.first, zero.last, zero.direction, zero.better) == (0.3333, 0.0, "down", True)
    covered = trends[("pilot", "areas_covered")]  # only months with a kept report
    assert (covered.first_month, covered.last_month, covered.direction) == ("2026-08", "2026-09", "up")
    assert trends[("others", "success_share")].direction == "up"  # 0 -> 0.2
    assert trends[("others", "zero_result_share")].better is True  # 0.5 -> 0.4


def test_without_a_pilot_there_is_only_the_all_group(tmp_path: Path) -> None:
    generate_query_log(query_log_path(tmp_path))
    plain = rollout_for(tmp_path, DOCS, REPORTS, (), UNTIL, months=4)
    assert {r.name for r in plain.groups} == {"all"}
    assert not any(r.pilot for r in plain.departments)
    empty = compute_rollout((), (), (), ("Quality",), UNTIL, months=2)
    assert [(r.name, r.searches) for r in empty.groups] == [
        ("pilot", 0),
        ("pilot", 0),
        ("others", 0),
        ("others", 0),
        ("all", 0),
        ("all", 0),
    ]


def test_csv_json_and_html_carry_the_same_figures(rollout: Rollout, tmp_path: Path) -> None:
    rows = rollout_rows(rollout)
    as_json = json.loads(rollout.model_dump_json())
    assert rows == as_json["groups"] + as_json["departments"]
    with write_rollout_csv(rollout, tmp_path / "out").open(encoding="utf-8-sig", newline="") as f:
        from_csv = list(csv.DictReader(f))
    assert len(from_csv) == len(rows)
    for written, original in zip(from_csv, rows, strict=True):
        assert written == {k: "" if v is None else str(v) for k, v in original.items()}
    html = str(rollout_html(rollout))
    quality_sept = row(rollout.departments, "Quality", "2026-09")
    cell = '<tr data-scope="department" data-name="Quality" data-month="2026-09">'
    line = html[html.index(cell) : html.index("</tr>", html.index(cell))]
    assert f'data-metric="success_share" data-value="{quality_sept.success_share}">100.0%<' in line
    assert 'data-metric="documents_added" data-value="4">4<' in line
    assert 'data-group="pilot" data-figure="success_share" data-first="0.3333" data-last="1.0"' in html
    assert "<script>" not in html and "R&amp;D &lt;script&gt;" in html  # a department name is text


def test_kept_reports_are_read_from_the_history_skipping_unreadable_ones(tmp_path: Path) -> None:
    for report in REPORTS:
        folder = tmp_path / report.report_id
        folder.mkdir()
        (folder / "report.json").write_text(report.model_dump_json(), encoding="utf-8")
    (tmp_path / "20260101T000000Z").mkdir()
    (tmp_path / "20260101T000000Z" / "report.json").write_text("{not json", encoding="utf-8")
    assert [r.report_id for r in kept_reports(tmp_path)] == [r.report_id for r in REPORTS]
    assert kept_reports(tmp_path / "absent") == []
