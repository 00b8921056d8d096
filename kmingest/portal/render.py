"""Markup the portal builds itself: highlighted snippets and full text, where `<mark>` is the only tag.

index hit (snippet_html) / document text + query -> escaped text + <mark> -> templates (autoescape on)

A backend's `snippet_html` is already escaped with `<mark>` around matches; it is still taken apart and
rebuilt here (text unescaped, then escaped again), so nothing but the highlight marks can ever reach the
browser as markup, whatever a backend returns.
"""

from __future__ import annotations

import html
import re
from datetime import datetime

from markupsafe import Markup, escape

from kmingest.analysis import densest_window, highlight_spans

_MARK_RE = re.compile(r"(</?mark>)")
_TAG_RE = re.compile(r"<[^>]*>")


def safe_snippet(snippet_html: str) -> Markup:
    """Rebuild a snippet from its text and its <mark> boundaries only."""
    out: list[str] = []
    open_mark = False
    for part in _MARK_RE.split(snippet_html):
        if part == "<mark>":
            if not open_mark:
                out.append("<mark>")
                open_mark = True
        elif part == "</mark>":
            if open_mark:
                out.append("</mark>")
                open_mark = False
        elif part:
            out.append(str(escape(html.unescape(_TAG_RE.sub("", part)))))
    if open_mark:
        out.append("</mark>")
    return Markup("".join(out))


def snippet_text(snippet_html: str) -> str:
    """The plain text of a snippet (what the JSON API returns beside the highlight spans)."""
    return html.unescape(_TAG_RE.sub("", snippet_html))


def snippet_spans(snippet_html: str) -> list[tuple[int, int]]:
    """Character spans of the marks within `snippet_text(snippet_html)`."""
    spans: list[tuple[int, int]] = []
    pos = 0
    start: int | None = None
    for part in _MARK_RE.split(snippet_html):
        if part == "<mark>":
            start = pos
        elif part == "</mark>":
            if start is not None:
                spans.append((start, pos))
            start = None
        else:
            pos += len(html.unescape(_TAG_RE.sub("", part)))
    return spans


PASSAGE_CHARS = 400  # the window of the document page's densest passage
MAX_MARKS = 500  # <mark> elements on one document page; further matches are counted, not marked


def marked_range(matches: int, best: int, cap: int = MAX_MARKS) -> range:
    """Which matches get a <mark>: at most `cap` consecutive ones, the best passage's among them."""
    first = max(0, min(best - cap // 2, matches - cap))
    return range(first, min(matches, first + cap))


def highlight_full_text(text: str, query: str) -> tuple[Markup, int]:
    """Escaped full text with the query's matches marked; the densest passage's first mark has id="match".
    At most MAX_MARKS matches around that passage are marked (a page with tens of thousands of matches
    stays small and quick). Returns the markup and the number of matches (marked or not)."""
    spans = highlight_spans(text, query) if query.strip() else []
    best = densest_window(spans, PASSAGE_CHARS)
    out: list[str] = []
    pos = 0
    for i in marked_range(len(spans), best):
        s, e = spans[i]
        out.append(str(escape(text[pos:s])))
        attr = ' id="match" tabindex="-1"' if i == best else ""
        out.append(f"<mark{attr}>{escape(text[s:e])}</mark>")
        pos = e
    out.append(str(escape(text[pos:])))
    return Markup("".join(out)), len(spans)


def format_date(value: datetime | str | None) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return str(value)[:10]
    return value.date().isoformat()
