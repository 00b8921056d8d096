"""The coverage report as one self-contained HTML file (inline CSS and SVG, no scripts, no external URLs).

Report -> charts.py (SVG) + templates/coverage.html.j2 (Jinja2, autoescape on) -> coverage.html

In the portal (/coverage) the same template links the CSS instead, under the portal's CSP. Every table
cell with a number carries `data-value` with the exact number from the report (shares as
fractions), so a reader (or a test) can check the HTML against report.json and the CSV files.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from kmingest.coverage import charts
from kmingest.coverage.metrics import AGE_BUCKETS
from kmingest.coverage.model import STATUS_ORDER, DiscoveredTopic, Report
from kmingest.coverage.rollout_report import rollout_html

TEMPLATES = Path(__file__).parent / "templates"
HTML_FILE = "coverage.html"
CANDIDATES_SHOWN = 8  # per department, largest first (report.json and topics.csv list them all)


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


def _num(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _date(value: datetime | None) -> str:
    return "–" if value is None else value.strftime("%Y-%m-%d")


def _when(value: datetime | None) -> str:
    return "–" if value is None else value.strftime("%Y-%m-%d %H:%M UTC%z")


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"], default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(pct=_pct, num=_num, date=_date, when=_when)
    return env


def stylesheet() -> str:
    """The report's CSS (inlined in the file; served apart where a CSP forbids inline styles)."""
    return (TEMPLATES / "coverage.css").read_text(encoding="utf-8")


def shown_candidates(candidates: list[DiscoveredTopic]) -> list[DiscoveredTopic]:
    """The largest CANDIDATES_SHOWN candidates of each department, departments in report order."""
    by_department: dict[str, list[DiscoveredTopic]] = {}
    for topic in candidates:
        by_department.setdefault(topic.department, []).append(topic)
    return [
        t
        for topics in by_department.values()
        for t in sorted(topics, key=lambda t: -t.documents)[:CANDIDATES_SHOWN]
    ]


def render_html(
    report: Report,
    stylesheet_url: str | None = None,
    back_url: str | None = None,
    accept_token: str | None = None,
    accepted_ids: frozenset[str] = frozenset(),
    accepted_notice: str | None = None,
) -> str:
    """The report page; with `stylesheet_url` the CSS is linked instead of inlined (the portal's CSP);
    with `accept_token` (the portal's CSRF token) each candidate topic gets an "Accept into map" form."""
    areas_by_status = {s: sum(a.status == s for a in report.areas) for s in STATUS_ORDER}
    candidates = [t for t in report.topics if t.candidate]
    template = _environment().get_template("coverage.html.j2")
    return template.render(
        r=report,
        stylesheet_url=stylesheet_url,
        back_url=back_url,
        accept_token=accept_token,
        accepted_ids=accepted_ids,
        accepted_notice=accepted_notice,
        rollout_section=rollout_html(report.rollout) if report.rollout is not None else None,
        inline_css=Markup(stylesheet()),  # our own file, not user content
        buckets=AGE_BUCKETS,
        areas_by_status=areas_by_status,
        candidates=candidates,
        shown_candidates=shown_candidates(candidates),
        candidates_per_department=CANDIDATES_SHOWN,
        bar_chart=Markup(charts.bar_chart(report.departments)),
        heat_map=Markup(charts.heat_map(report.department_system)),
        freshness_chart=Markup(charts.freshness_chart(report.freshness)),
    )


def write_html(report: Report, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / HTML_FILE
    path.write_text(render_html(report), encoding="utf-8")
    return path
