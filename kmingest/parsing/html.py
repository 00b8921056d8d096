"""HTML -> text with heading sections (also used for HTML e-mail bodies and markup inside XML feeds).

Boilerplate (scripts, styles, navigation, page header/footer, asides, hidden elements) is removed; h1-h6
open sections; paragraphs, list items and data-table rows ("cell | cell") become blocks; layout tables
(tables holding headings or other tables) are walked like ordinary containers. <meta> tags give metadata
author, description, created_at (article:published_time, dcterms.created, date, ...) and updated_at
(article:modified_time, dcterms.modified, last-modified, ...; else created_at), dates as ISO 8601 with offset.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from bs4 import BeautifulSoup
from bs4.element import Comment, Declaration, Doctype, NavigableString, ProcessingInstruction, Tag

from kmingest.models import ParsedContent
from kmingest.parsing.base import ParseLimits
from kmingest.parsing.builder import TextBuilder, squash, tidy_lines
from kmingest.parsing.encoding import decode_text

_DROP = {"head", "script", "style", "nav", "noscript", "template", "svg", "aside", "iframe", "object"}
_DROP |= {"canvas", "select", "button", "input", "textarea", "map"}
_PAGE_CHROME = {"header", "footer"}  # dropped unless inside an <article>/<main> (then it is a byline)
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_BLOCKS = {"p", "div", "section", "article", "main", "blockquote", "form", "fieldset", "figure", "figcaption"}
_BLOCKS |= {"address", "dl", "dt", "dd", "ul", "ol", "li", "tr", "td", "th", "table", "caption", "hr"}
_BLOCKS |= {"center", "details", "summary", "body", "html", "header", "footer", "thead", "tbody", "tfoot"}
_SKIP_STRINGS = (Comment, Declaration, Doctype, ProcessingInstruction)
_BLANK_RUN = re.compile(r"\n[^\S\n]*\n\s*")
_WHITESPACE = re.compile(r"\s+")
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_MODIFIED = (
    "article:modified_time",
    "og:updated_time",
    "dcterms.modified",
    "dc.date.modified",
    "last-modified",
)
_CREATED = (
    "article:published_time",
    "dcterms.created",
    "dcterms.issued",
    "dc.date.created",
    "date",
    "dc.date",
)


def _meta(head: Tag | None, name: str) -> str | None:
    tag = head.find("meta", attrs={"name": re.compile(f"^{name}$", re.I)}) if head is not None else None
    content = tag.get("content") if isinstance(tag, Tag) else None
    return (squash(content) or None) if isinstance(content, str) else None


def _meta_date(head: Tag | None, names: tuple[str, ...]) -> str | None:
    """The first of the named <meta> dates (name=, property= or http-equiv=) that parses, as ISO 8601 with
    offset (UTC when it names none): ISO 8601 / W3CDTF, or an HTTP (RFC 822) date."""
    if head is None:
        return None
    wanted = {name.lower() for name in names}
    found: dict[str, str] = {}
    for tag in head.find_all("meta"):
        key = next((str(tag.get(a)) for a in ("name", "property", "http-equiv") if tag.has_attr(a)), "")
        content = tag.get("content")
        if key.lower() in wanted and isinstance(content, str):
            found.setdefault(key.lower(), content.strip())
    for name in names:
        when = _when(found.get(name.lower(), ""))
        if when is not None:
            return when.isoformat()
    return None


def _when(text: str) -> datetime | None:
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _is_hidden(tag: Tag) -> bool:
    return tag.has_attr("hidden") or bool(_HIDDEN_STYLE.search(str(tag.get("style", ""))))


def _is_data_table(table: Tag) -> bool:
    if table.find(["table", *_HEADINGS]):
        return False
    rows = table.find_all("tr")
    return any(len(row.find_all(["td", "th"], recursive=False)) > 1 for row in rows)


def _table_rows(table: Tag) -> Iterator[str]:
    for row in table.find_all("tr"):
        cells = (squash(cell.get_text(" ")) for cell in row.find_all(["td", "th"], recursive=False))
        line = " | ".join(cell for cell in cells if cell)
        if line:
            yield line


class _Walker:
    """Iterative depth-first walk (deep HTML must not hit the recursion limit) feeding a TextBuilder."""

    def __init__(self, builder: TextBuilder) -> None:
        self.builder = builder
        self.inline: list[str] = []
        self.prefix = ""
        self.in_article = 0  # depth of <article>/<main>: a <header> in there is a byline, not page chrome
        self.first_h1: str | None = None

    def flush(self) -> None:
        """Emit the pending inline text; <br><br> (a blank line) separates paragraphs."""
        if not self.inline:
            return
        for block in _BLANK_RUN.split("".join(self.inline)):
            text = tidy_lines(block)
            if text:
                self.builder.paragraph(self.prefix + text)
                self.prefix = ""
        self.inline = []

    def start(self, tag: Tag) -> bool:
        """Handle an opening tag; True means: walk its children. Boilerplate is skipped here, in one pass."""
        name = tag.name
        if name in _DROP or (name in _PAGE_CHROME and not self.in_article) or _is_hidden(tag):
            return False
        if name in _HEADINGS:
            self.flush()
            text = tag.get_text(" ")
            self.builder.heading(_HEADINGS[name], text)
            if name == "h1" and self.first_h1 is None:
                self.first_h1 = squash(text)
            return False
        if name == "br":
            self.inline.append("\n")
            return False
        if name == "pre":
            self.flush()
            for block in _BLANK_RUN.split(tag.get_text()):
                self.builder.paragraph("\n".join(line.rstrip() for line in block.splitlines()))
            return False
        if name == "table" and _is_data_table(tag):
            self.flush()
            self.builder.paragraph("\n".join(_table_rows(tag)))
            return False
        if name in ("article", "main"):
            self.in_article += 1
        if name in _BLOCKS:
            self.flush()
            if name == "li":
                self.prefix = "- "
        elif name in ("td", "th"):
            self.inline.append(" ")
        return True

    def end(self, tag: Tag) -> None:
        if tag.name in ("article", "main"):
            self.in_article -= 1
        if tag.name in _BLOCKS:
            self.flush()
            if tag.name == "li":
                self.prefix = ""
        elif tag.name in ("td", "th", "img"):
            self.inline.append(" ")

    def walk(self, root: Tag) -> None:
        stack: list[tuple[Tag, Iterator[object]]] = [(root, iter(list(root.children)))]
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                self.end(node)
            elif isinstance(child, Tag):
                if self.start(child):
                    stack.append((child, iter(list(child.children))))
            elif isinstance(child, NavigableString) and not isinstance(child, _SKIP_STRINGS):
                self.inline.append(_WHITESPACE.sub(" ", child))  # source line breaks are just spaces
        self.flush()


def _soup(markup: str) -> BeautifulSoup:
    return BeautifulSoup(_XML_DECL.sub("", markup, count=1), "lxml")  # XHTML's declaration upsets bs4


def add_document(builder: TextBuilder, markup: str) -> None:
    """Add the blocks of one HTML/XHTML document to `builder` (h1-h6 open sections), e.g. an epub chapter."""
    _Walker(builder).walk(_soup(markup))


def html_to_content(markup: str, limits: ParseLimits, doc_type: str = "html") -> ParsedContent:
    soup = _soup(markup)
    head = soup.head
    title_tag = head.find("title") if head is not None else None
    title = squash(title_tag.get_text(" ")) if isinstance(title_tag, Tag) else ""
    lang = soup.html.get("lang") if soup.html is not None else None
    metadata = {"lang": lang, "description": _meta(head, "description"), "author": _meta(head, "author")}
    metadata["created_at"] = _meta_date(head, _CREATED)
    metadata["updated_at"] = _meta_date(head, _MODIFIED) or metadata["created_at"]
    builder = TextBuilder(limits.max_chars)
    walker = _Walker(builder)
    walker.walk(soup)
    return builder.build(
        doc_type, title or walker.first_h1, {k: v for k, v in metadata.items() if isinstance(v, str) and v}
    )


def fragment_text(markup: str) -> str:
    """Plain text of an HTML fragment (e.g. an RSS description): blocks become lines."""
    builder = TextBuilder(max_chars=len(markup) + 1)  # text never outgrows its markup
    _Walker(builder).walk(BeautifulSoup(markup, "lxml"))
    return builder.build("html").text.replace("\n\n", "\n")


def parse_html(data: bytes, filename: str, limits: ParseLimits) -> ParsedContent:
    return html_to_content(decode_text(data), limits)
