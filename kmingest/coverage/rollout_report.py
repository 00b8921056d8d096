"""The typed rollout figures and how a report shows them: CSV/JSON rows and an HTML section.

rollout.compute_rollout -> Rollout -> rollout_rows (CSV and JSON rows), write_rollout_csv (rollout.csv),
                                      rollout_html (an escaped <section> the coverage report includes)

Shares are fractions between 0 and 1 (4 places), as everywhere in the coverage report; CSV, JSON and HTML
carry the same numbers (every HTML number cell has `data-value` with the exact value of the JSON row).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, Literal

from markupsafe import Markup
from pydantic import BaseModel, ConfigDict

CSV_FILE = "rollout.csv"
FIGURE_LABELS = {
    "searchers": "Active searchers",
    "searches": "Searches",
    "opened": "Searches with a result opened",
    "success_share": "Search success",
    "zero_result": "Zero-result searches",
    "zero_result_share": "Zero-result share",
    "documents_updated": "Documents updated",
    "documents": "Documents",
    "documents_added": "Documents added (net)",
    "areas": "Areas",
    "areas_covered": "Areas covered",
}
GROUP_LABELS = {"pilot": "Pilot", "others": "Other departments", "all": "All departments"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RolloutRow(_Model):
    scope: Literal["department", "group"]
    name: str  # the department, or the group: pilot, others, all
    pilot: bool | None  # department rows: whether it is a pilot department; None for groups
    month: str  # YYYY-MM
    searchers: int = 0
    searches: int = 0
    opened: int = 0
    success_share: float = 0.0  # opened / searches
    zero_result: int = 0
    zero_result_share: float = 0.0
    documents_updated: int = 0
    documents: int | None = None
    documents_added: int | None = None
    areas: int | None = None
    areas_covered: int | None = None


class Trend(_Model):
    group: str
    figure: str  # a RolloutRow field
    first_month: str
    last_month: str
    first: float | None
    last: float | None
    direction: Literal["up", "down", "flat", "unknown"]
    better: bool | None  # None when flat or unknown


class Rollout(_Model):
    months: tuple[str, ...]
    pilot_departments: tuple[str, ...]
    departments: tuple[RolloutRow, ...] = ()
    groups: tuple[RolloutRow, ...] = ()
    trend: tuple[Trend, ...] = ()


ROW_FIELDS = tuple(RolloutRow.model_fields)


def rollout_rows(rollout: Rollout) -> list[dict[str, Any]]:
    """One dict per row, group rows first then departments, with the fields (and values) of the JSON."""
    return [row.model_dump(mode="json") for row in (*rollout.groups, *rollout.departments)]


def _cell(value: Any) -> Any:
    """A CSV cell; text a spreadsheet would run as a formula (a department name) gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_rollout_csv(rollout: Rollout, out_dir: Path) -> Path:
    """rollout.csv (UTF-8 with BOM, for Excel): the columns of rollout_rows, one line per row."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / CSV_FILE
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(ROW_FIELDS)
        writer.writerows([_cell(row[name]) for name in ROW_FIELDS] for row in rollout_rows(rollout))
    return path


def _shown(figure: str, value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value * 100:.1f}%" if figure.endswith("_share") else f"{value:,.0f}"


def _number(figure: str, value: float | None) -> Markup:
    data = "" if value is None else value
    return Markup('<td class="n" data-metric="{}" data-value="{}">{}</td>').format(
        figure, data, _shown(figure, value)
    )


TABLE_FIGURES = (
    "searchers",
    "searches",
    "success_share",
    "zero_result_share",
    "documents_updated",
    "documents",
    "documents_added",
    "areas_covered",
)


def _table(rows: tuple[RolloutRow, ...], first_label: str, skip_empty: bool) -> Markup:
    head = Markup("").join(Markup('<th class="n">{}</th>').format(FIGURE_LABELS[f]) for f in TABLE_FIGURES)
    lines = []
    for row in rows:
        if skip_empty and not row.searches and not row.documents_updated and row.documents is None:
            continue
        name = GROUP_LABELS.get(row.name, row.name) if row.scope == "group" else row.name
        badge = Markup(' <span class="note">(pilot)</span>') if row.pilot else Markup("")
        cells = Markup("").join(_number(f, getattr(row, f)) for f in TABLE_FIGURES)
        lines.append(
            Markup(
                '<tr data-scope="{}" data-name="{}" data-month="{}"><td>{}{}</td><td>{}</td>{}</tr>'
            ).format(row.scope, row.name, row.month, name, badge, row.month, cells)
        )
    return Markup('<table class="metrics rollout"><tr><th>{}</th><th>Month</th>{}</tr>{}</table>').format(
        first_label, head, Markup("").join(lines)
    )


def _trend_list(rollout: Rollout) -> Markup:
    items = []
    for t in rollout.trend:
        if t.direction == "unknown":
            continue
        verdict = "better" if t.better else "worse" if t.better is False else "same"
        label = Markup("{}: {}").format(GROUP_LABELS.get(t.group, t.group), FIGURE_LABELS[t.figure])
        item = Markup('<li data-group="{}" data-figure="{}" data-first="{}" data-last="{}" class="{}">{} ')
        moves = Markup("{} ({}) → {} ({})</li>").format(
            _shown(t.figure, t.first), t.first_month, _shown(t.figure, t.last), t.last_month
        )
        items.append(item.format(t.group, t.figure, t.first, t.last, verdict, label) + moves)
    if not items:
        return Markup('<p class="note">Not enough months with data for a trend yet.</p>')
    return Markup('<ul class="trend">{}</ul>').format(Markup("").join(items))


def rollout_html(rollout: Rollout) -> Markup:
    """The report's "Rollout and value over time" section as escaped markup (include it as is)."""
    pilot = ", ".join(rollout.pilot_departments) or "none set (coverage.pilot_departments)"
    return Markup(
        '<section id="rollout"><h2>Rollout and value over time</h2>'
        '<p class="note">{} to {}. Pilot departments: {}. Searchers are counted by pseudonym, never by name; '
        "the current month counts to the report's date.</p><h3>Trend</h3>{}"
        "<h3>Pilot and other departments per month</h3>{}<h3>Per department</h3>{}</section>"
    ).format(
        rollout.months[0] if rollout.months else "",
        rollout.months[-1] if rollout.months else "",
        pilot,
        _trend_list(rollout),
        _table(rollout.groups, "Group", False),
        _table(rollout.departments, "Department", True),
    )
