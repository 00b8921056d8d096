"""Inline SVG charts for the HTML report: no JavaScript, no external files, printable, and no style
attributes (presentation attributes only), so they also render under the portal's strict CSP.

Report -> bar_chart / heat_map / freshness_chart -> SVG strings (every label escaped) -> render_html.py

Each chart carries a <title> and role="img" with an aria-label, and every number it draws is also in a
table next to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from kmingest.coverage.metrics import AGE_BUCKETS
from kmingest.coverage.model import GroupMetrics

FONT = "system-ui, -apple-system, 'Segoe UI', 'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif"
BUCKET_COLOURS = ("#1a7f37", "#7fc97f", "#f0b429", "#d1495b", "#9aa5b1")
LABEL_W = 130


def _svg(width: int, height: int, label: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(label)}" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="{escape(FONT)}" '
        'font-size="12">'
        f"<title>{escape(label)}</title>" + "".join(body) + "</svg>"
    )


def _text(x: float, y: float, text: str, anchor: str = "start", extra: str = "") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" {extra}>{escape(text)}</text>'


def _short(label: str, limit: int = 18) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def bar_chart(departments: Sequence[GroupMetrics], width: int = 640) -> str:
    """Documents per department (blue) with the records that did not make it in (failed + skipped, red)."""
    row_h, top = 24, 26
    height = top + row_h * max(1, len(departments)) + 10
    biggest = max([d.documents + d.failed + d.skipped for d in departments] + [1])
    scale = (width - LABEL_W - 60) / biggest
    body = [
        f'<rect x="{LABEL_W}" y="6" width="10" height="10" fill="#2f6fb5"/>',
        _text(LABEL_W + 14, 15, "documents in the index"),
        f'<rect x="{LABEL_W + 170}" y="6" width="10" height="10" fill="#d1495b"/>',
        _text(LABEL_W + 184, 15, "failed or skipped records"),
    ]
    for i, d in enumerate(departments):
        y = top + i * row_h
        docs_w, bad_w = d.documents * scale, (d.failed + d.skipped) * scale
        body.append(_text(LABEL_W - 6, y + 15, _short(d.department), "end"))
        body.append(
            f'<rect class="bar" x="{LABEL_W}" y="{y + 3}" width="{docs_w:.1f}" height="16" '
            f'fill="#2f6fb5"><title>{escape(d.department)}: {d.documents} documents</title></rect>'
        )
        if bad_w:
            body.append(
                f'<rect x="{LABEL_W + docs_w:.1f}" y="{y + 3}" width="{bad_w:.1f}" height="16" '
                f'fill="#d1495b"><title>{escape(d.department)}: {d.failed} failed, {d.skipped} '
                "skipped</title></rect>"
            )
        body.append(_text(LABEL_W + docs_w + bad_w + 4, y + 15, str(d.documents)))
    return _svg(width, height, "Documents per department", body)


def _heat(value: int, biggest: int) -> str:
    if value == 0:
        return "#f4f5f7"
    t = value / biggest
    r, g, b = (int(a + (z - a) * t) for a, z in ((222, 12), (235, 68), (247, 138)))
    return f"rgb({r},{g},{b})"


def heat_map(cells: Sequence[GroupMetrics], width: int = 640) -> str:
    """Documents per department (rows) x source system (columns); darker is more."""
    departments = sorted({c.department for c in cells})
    systems = sorted({c.system for c in cells})
    value = {(c.department, c.system): c.documents for c in cells}
    biggest = max([*value.values(), 1])
    cell_w = min(110, (width - LABEL_W) // max(1, len(systems)))
    row_h, top = 26, 24
    height = top + row_h * max(1, len(departments)) + 6
    body = [
        _text(LABEL_W + j * cell_w + cell_w / 2, 16, _short(s, 14), "middle", 'font-weight="600"')
        for j, s in enumerate(systems)
    ]
    for i, dept in enumerate(departments):
        y = top + i * row_h
        body.append(_text(LABEL_W - 6, y + 17, _short(dept), "end"))
        for j, system in enumerate(systems):
            n = value.get((dept, system), 0)
            x = LABEL_W + j * cell_w
            body.append(
                f'<rect class="cell" x="{x + 1}" y="{y + 1}" width="{cell_w - 2}" height="{row_h - 2}" '
                f'fill="{_heat(n, biggest)}"><title>{escape(dept)} · {escape(system)}: {n} documents'
                "</title></rect>"
            )
            colour = "#fff" if n > biggest * 0.55 else "#1f2933"
            body.append(_text(x + cell_w / 2, y + 17, str(n), "middle", f'fill="{colour}"'))
    return _svg(width, height, "Documents per department and source system", body)


def freshness_chart(freshness: dict[str, dict[str, int]], width: int = 640) -> str:
    """Per department, the share of documents in each age bucket (100% stacked bars)."""
    row_h, top = 24, 30
    height = top + row_h * max(1, len(freshness)) + 8
    body: list[str] = []
    x = LABEL_W
    for bucket, colour in zip(AGE_BUCKETS, BUCKET_COLOURS, strict=True):
        body.append(f'<rect x="{x}" y="6" width="10" height="10" fill="{colour}"/>')
        body.append(_text(x + 14, 15, bucket))
        x += 14 + 8 * len(bucket) + 14
    span = width - LABEL_W - 10
    for i, (dept, buckets) in enumerate(freshness.items()):
        y = top + i * row_h
        total = sum(buckets.values()) or 1
        body.append(_text(LABEL_W - 6, y + 15, _short(dept), "end"))
        x0 = float(LABEL_W)
        for bucket, colour in zip(AGE_BUCKETS, BUCKET_COLOURS, strict=True):
            n = buckets.get(bucket, 0)
            if not n:
                continue
            w = span * n / total
            body.append(
                f'<rect class="segment" x="{x0:.1f}" y="{y + 3}" width="{w:.1f}" height="16" '
                f'fill="{colour}"><title>{escape(dept)}: {n} documents {escape(bucket)}</title></rect>'
            )
            x0 += w
    return _svg(width, height, "Age of documents per department", body)
