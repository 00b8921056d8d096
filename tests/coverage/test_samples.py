"""Coverage on the bundled sample exports: exact counts per department and system (derived from
samples/expected.json and the sample folder, not from the report), problems with their department,
knowledge-map statuses, search analytics from real searches, and CSV = JSON = HTML."""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from kmingest.cli import cli
from kmingest.coverage import build_report, write_formats
from kmingest.coverage.model import GroupMetrics, Report
from kmingest.index.base import Caller, SearchRequest
from kmingest.querylog import QueryLog, query_log_path
from kmingest.search import caller_for, search
from kmingest.workspace import Workspace
from tests.coverage.conftest import AS_OF, REPO, SampleProject

SYSTEMS = {"erp": "ERP", "crm": "CRM", "oa": "OA"}


def _department_maps() -> dict[str, dict[str, str]]:
    cfg = yaml.safe_load((REPO / "kmingest.yaml").read_text(encoding="utf-8"))
    return {s["name"]: s.get("department_map", {}) for s in cfg["sources"]}


def expected_documents(samples: SampleProject) -> Counter[tuple[str, str]]:
    """(department, system) -> documents, from expected.json and the files on disk."""
    maps = _department_maps()
    out: Counter[tuple[str, str]] = Counter()
    for name, system in SYSTEMS.items():
        for raw, n in samples.expected["systems"][name]["departments"].items():
            out[(maps[name].get(raw, raw) if raw else "unassigned", system)] += n
    with Workspace(samples.config) as ws:
        not_indexed = {d["external_id"] for d in ws.state.dead_letters("shared-drive")}
    files = samples.root / "samples" / "files"
    for path in files.rglob("*"):
        rel = path.relative_to(files).as_posix()
        if not path.is_file() or rel.endswith(".meta.json") or rel in not_indexed:
            continue
        side = path.with_name(path.name + ".meta.json")
        meta = json.loads(side.read_text(encoding="utf-8")) if side.exists() else {}
        out[(meta.get("department") or rel.split("/")[0], "fileshare")] += 1
    return out


@pytest.fixture(scope="module")
def report(samples: SampleProject) -> Report:
    with Workspace(samples.config) as ws:
        return build_report(samples.config, ws, as_of=AS_OF)


def test_documents_per_department_and_system_match_the_exports(
    samples: SampleProject, report: Report
) -> None:
    expected = expected_documents(samples)
    got = {(g.department, g.system): g.documents for g in report.department_system if g.documents}
    assert got == dict(expected)
    assert report.totals.documents == samples.expected["totals"]["valid_documents"] + 12 == 537
    by_dept = {g.department: g.documents for g in report.departments}
    for dept in ("Sales", "Quality", "Production", "R&D", "HR", "unassigned"):
        assert by_dept[dept] == sum(n for (d, _), n in expected.items() if d == dept)
    assert by_dept["unassigned"] == report.totals.no_department == 9  # 2 ERP + 2 CRM + 5 OA empty departments
    # cells roll up exactly into departments x systems
    cells: Counter[tuple[str, str]] = Counter()
    for c in report.cells:
        cells[(c.department, c.system)] += c.documents
    assert {k: v for k, v in cells.items() if v} == dict(expected)


def test_chunks_failures_and_skips_per_system(samples: SampleProject, report: Report) -> None:
    systems = {g.system: g for g in report.systems}
    for source, system in {**SYSTEMS, "shared-drive": "fileshare"}.items():
        assert systems[system].chunks == samples.stats[source].chunks
        assert systems[system].embedded_documents == samples.stats[source].indexed
    for name, system in SYSTEMS.items():
        assert systems[system].failed == len(samples.expected["systems"][name]["broken"])
        assert systems[system].skipped == 0
    # broken-drawing.pdf, old-spec.docx and old-handbook.doc (a stand-in the Word parser refuses)
    assert (systems["fileshare"].failed, systems["fileshare"].skipped) == (3, 0)
    assert report.totals.failed == samples.expected["totals"]["broken_items"] + 3 == 14
    oa = systems["OA"]
    assert oa.embedded_share == round(76 / 81, 4)  # 76 indexed of 81 records the pilot knows of


def test_problems_keep_their_department_and_type_where_the_source_knows_it(
    samples: SampleProject, report: Report
) -> None:
    manifest = ET.parse(samples.root / "samples" / "oa" / "manifest.xml").getroot()
    raw_dept = {d.get("id"): (d.findtext("department") or "") for d in manifest.iter("document")}
    dept_map = _department_maps()["oa"]
    problems = {(p.source, p.external_id): p for p in report.problems}
    corrupt = [b for b in samples.expected["systems"]["oa"]["broken"] if b["reason"] == "corrupt-file"]
    assert len(corrupt) == 2
    for item in corrupt:
        p = problems[("oa", item["id"])]
        assert p.kind == "failed" and p.system == "OA"
        raw = raw_dept[item["id"]]
        assert p.department == (dept_map.get(raw, raw) if raw else "unassigned")
        assert p.doc_type == Path(item["file"]).suffix.lstrip(".")
    assert problems[("oa", "OA-2023-0044")].department == "(unknown)"  # bad date: the connector read nothing
    assert problems[("shared-drive", "HR/old-handbook.doc")].kind == "failed"
    assert problems[("shared-drive", "HR/old-handbook.doc")].department == "HR"
    assert problems[("shared-drive", "R-D/old-spec.docx")].department == "R&D"  # folder R-D, mapped
    dept = {g.department: g for g in report.departments}
    assert (dept["HR"].failed, dept["HR"].skipped) == (1, 0)


def test_freshness_is_measured_from_as_of(report: Report) -> None:
    cell = next(
        c for c in report.department_system if (c.department, c.system) == ("Production", "fileshare")
    )
    assert cell.median_age_days == round(
        (AS_OF - datetime(2026, 10, 15, 12, tzinfo=UTC)).total_seconds() / 86400, 1
    )
    assert cell.updated_90d_share == 1.0 and cell.undated == 0
    hr = next(g for g in report.departments if g.department == "HR")
    assert sum(report.freshness["HR"].values()) == hr.documents
    assert 0 < report.totals.updated_365d_share < 1
    assert report.totals.near_empty > 0 and report.totals.duplicates == 0


def _texts(samples: SampleProject) -> dict[str, str]:
    with Workspace(samples.config) as ws:
        ids = [f.doc_id for f in ws.index.document_facts(Caller.system())]
        docs = [ws.index.get_document(d, Caller.system()) for d in ids]
    return {str(d["doc_id"]): f"{d['title']}\n{d['text']}".lower() for d in docs if d}


def test_knowledge_map_has_every_status_and_area_counts_are_real_matches(
    samples: SampleProject, report: Report
) -> None:
    areas = {(a.department, a.area): a for a in report.areas}
    assert {a.status for a in report.areas} == {"covered", "thin", "stale", "missing"}
    assert areas[("HR", "Performance appraisal")].status == "missing"
    assert areas[("HR", "Performance appraisal")].documents == 0
    export = areas[("Sales", "Export control")]
    assert (export.status, export.documents) == ("stale", 1)
    assert export.freshest is not None and export.freshest.date().isoformat() == "2024-09-14"
    assert export.authors == (("Anna Berg", 1),) and export.examples == (
        "Export Control Screening Procedure",
    )
    changeover = areas[("Production", "Line changeover")]
    assert (changeover.status, changeover.documents) == ("thin", 1)
    assert areas[("R&D", "Engineering changes (ECN)")].status == "covered"
    texts = _texts(samples)  # independent check: substring search over every document's text
    assert areas[("HR", "Remote work")].documents == sum(
        "远程办公" in t or "remote work" in t for t in texts.values()
    )
    assert areas[("HR", "Travel expenses")].documents == sum(
        "差旅费" in t or "travel expense" in t for t in texts.values()
    )


def test_zero_result_and_no_click_queries_from_real_searches(samples: SampleProject) -> None:
    log = QueryLog(query_log_path(samples.config.state_dir))
    with Workspace(samples.config) as ws:
        alice, hana = caller_for("alice", samples.config.access), caller_for("hana", samples.config.access)
        missing = search(ws, "Zorblax quuxifier", alice, mode="bm25")
        assert missing.total == 0
        log.record("Sales", "Zorblax  QUUXIFIER", {}, missing.total, 5.0, mode="bm25")
        found = search(ws, "export control screening", hana, mode="bm25")
        assert found.total > 0
        log.record("HR", "export control screening", {}, found.total, 7.0, mode="bm25")
        clicked = search(ws, "远程办公", hana, mode="bm25")
        qid = log.record("HR", "远程办公", {}, clicked.total, 4.0, mode="bm25")
        assert log.record_click(qid, clicked.hits[0].doc_id)
        # other tests share this query log: list every query, so ties at the top-N cut cannot hide these
        everything = samples.config.coverage.model_copy(update={"top_queries": 1000})
        report = build_report(samples.config.model_copy(update={"coverage": everything}), ws, as_of=AS_OF)
    log.close()
    s = report.search
    assert s is not None and s.searches >= 3
    zero = {q.query: q for q in s.zero_result_queries}
    assert zero["zorblax quuxifier"].departments == ("Sales",)
    sales = next(d for d in s.departments if d.department == "Sales")
    assert "zorblax quuxifier" in [q.query for q in sales.zero_result_queries]
    no_click = {q.query for q in s.no_click_queries}
    assert "export control screening" in no_click and "远程办公" not in no_click
    assert {q.query for q in s.top_queries} >= {"zorblax quuxifier", "远程办公"}


# ---- the same numbers in every format -------------------------------------------------------------------
class _Cells(HTMLParser):
    """(table, row key, metric) -> data-value, from the report's HTML tables."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[tuple[str, tuple[str, ...], str], str] = {}
        self.table = ""
        self.row: tuple[str, ...] = ()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "table":
            self.table = a.get("data-table", "")
        elif tag == "tr":
            self.row = tuple(
                a.get(k, "") for k in ("data-dept", "data-system", "data-type", "data-area", "data-query")
            )
        elif tag == "td" and "data-value" in a:
            key = a.get("data-metric") or a.get("data-bucket", "")
            self.values[(self.table, self.row, key)] = a["data-value"]


def _num(value: str) -> float | None:
    return None if value == "" else float(value)


METRICS = (
    "documents",
    "chunks",
    "embedded_share",
    "median_age_days",
    "updated_90d_share",
    "updated_365d_share",
    "failed",
    "skipped",
    "near_empty",
    "duplicates",
    "duplicates_in_source",
    "no_department",
)


def test_csv_json_and_html_carry_the_same_numbers(
    samples: SampleProject, report: Report, tmp_path: Path
) -> None:
    write_formats(report, tmp_path, ["html", "json", "csv"])
    data = Report.model_validate_json((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert data == report
    parser = _Cells()
    parser.feed((tmp_path / "coverage.html").read_text(encoding="utf-8"))
    html = parser.values
    with (tmp_path / "coverage_metrics.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    levels: dict[str, tuple[str, list[GroupMetrics]]] = {
        "department": ("departments", list(data.departments)),
        "department_system": ("department_system", list(data.department_system)),
        "cell": ("cells", list(data.cells)),
    }
    for level, (table, groups) in levels.items():
        csv_rows = {(r["department"], r["system"], r["doc_type"]): r for r in rows if r["level"] == level}
        assert len(csv_rows) == len(groups) > 0
        for g in groups:
            row = csv_rows[(g.department, g.system, g.doc_type)]
            key = (g.department, g.system if level != "department" else "", g.doc_type, "", "")
            for m in METRICS:
                value = getattr(g, m)
                assert _num(row[m]) == value, (level, g.department, g.system, m)
                assert _num(html[(table, key, m)]) == value, (level, g.department, g.system, m)
    total = next(r for r in rows if r["level"] == "total")
    assert all(_num(total[m]) == getattr(data.totals, m) for m in METRICS)
    with (tmp_path / "knowledge_areas.csv").open(encoding="utf-8-sig", newline="") as f:
        areas = {(r["department"], r["area"]): r for r in csv.DictReader(f)}
    for a in data.areas:
        assert areas[(a.department, a.area)]["status"] == a.status
        assert int(areas[(a.department, a.area)]["documents"]) == a.documents
        assert int(html[("areas", (a.department, "", "", a.area, ""), "documents")]) == a.documents
    with (tmp_path / "coverage_freshness.csv").open(encoding="utf-8-sig", newline="") as f:
        for r in csv.DictReader(f):
            assert int(r["documents"]) == data.freshness[r["department"]][r["age"]]
            assert int(html[("freshness", (r["department"], "", "", "", ""), r["age"])]) == int(
                r["documents"]
            )


def test_cli_writes_the_requested_formats_and_keeps_the_report(
    samples: SampleProject, tmp_path: Path
) -> None:
    config = samples.root / "kmingest-cli.yaml"
    data: dict[str, Any] = yaml.safe_load((REPO / "kmingest.yaml").read_text(encoding="utf-8"))
    data.update(
        state_dir=str(samples.config.state_dir),
        index={"path": str(samples.config.index.path)},
        embedding={"cache_path": str(samples.config.embedding.cache_path)},
        coverage={"knowledge_map": str(REPO / "knowledge_map.yaml"), "reports_dir": str(tmp_path / "hist")},
    )
    config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli,
        [
            "--config",
            str(config),
            "report",
            "coverage",
            "--format",
            "html,csv",
            "--out",
            str(out),
            "--as-of",
            "2026-11-01",
        ],
        obj={},
    )
    assert result.exit_code == 0, result.output
    assert (out / "coverage.html").exists() and (out / "coverage_metrics.csv").exists()
    assert not (out / "report.json").exists()
    kept = list((tmp_path / "hist").glob("*/report.json"))
    assert len(kept) == 1 and str(kept[0]) in result.output
    assert (
        Report.model_validate_json(kept[0].read_text(encoding="utf-8")).as_of.date().isoformat()
        == "2026-11-01"
    )
    bad = CliRunner().invoke(cli, ["--config", str(config), "report", "coverage", "--format", "pdf"], obj={})
    assert bad.exit_code == 2 and "html, json, csv" in bad.output


def test_search_as_system_is_what_area_matching_uses(samples: SampleProject) -> None:
    """The area matcher relies on a one-term BM25 search returning every document with the term."""
    texts = _texts(samples)
    with Workspace(samples.config) as ws:
        hits = ws.index.search(
            SearchRequest(query="差旅", mode="bm25", limit=10_000, lexical_k=10_000), Caller.system(), None
        )
    assert hits.total == len(hits.hits) == sum("差旅" in t for t in texts.values())


def test_analytics_window_leaves_out_old_queries(samples: SampleProject, tmp_path: Path) -> None:
    log = QueryLog(query_log_path(samples.config.state_dir))
    log.record("Quality", "ancient query", {}, 0, 1.0, at=datetime.now(UTC) - timedelta(days=400))
    log.close()
    with Workspace(samples.config) as ws:
        report = build_report(samples.config, ws, as_of=AS_OF)
    assert report.search is not None
    assert "ancient query" not in {q.query for q in report.search.zero_result_queries}
