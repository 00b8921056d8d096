"""Which date, author and title a Document gets: the record's (sidecar, export) or the document's own.

Place in the data flow: `record_document.to_document` parses a SourceRecord, then asks this module which
of the record's and the parsed document's values win. Parsers put what the document says into
ParsedContent.metadata (`updated_at` / `created_at` as ISO 8601 with offset, `author`, `title`, mail
`recipients`); connectors say in SourceRecord.metadata where their values came from.

Dates and authors (`date_source` / `author_source` on the Document's metadata say which one was used):
- "sidecar" or "export": a connector's value (a sidecar file, a table column, an OA manifest) is
  authoritative;
  a connector that does not say where its date came from is "export";
- "file": the filesystem connector's fallback, the modification time (a `cp` makes a 2017 procedure look
  new): the document's own date replaces it when the document has one;
- "document": the document's updated_at, else its created_at (e-mail Date, core properties, PDF /ModDate,
  html meta); a date before 1971 or more than a day in the future is not believed (empty FILETIMEs, clocks).

Titles (`title_from`, a SourceConfig key): a connector's title (sidecar, export column) always wins. Then
- "property": the parser's title (core/Info title property, mail subject, html <title>), else the file name;
- "heading": the document's own title line (below), else the parser's title, else the file name;
- "filename": the file name without its extension;
- "auto" (default): a title property (docx/pptx core title, PDF /Title) is used only when the document shows
  it: it equals the document's title line or one of its first three lines (one line or two joined, ignoring
  case and spaces). Otherwise the document's title line wins, then the property, then the file name. Stale
  template titles (three procedures all titled "DNMC程序") so give way to the document's own first line.
  Formats without a title property (mail, html, text) keep the parser's title.
The document's title line: among its first three lines, the first heading, else the first line, that looks
like a title (2-100 characters with letters, not a numbered section such as "1 目的" or "第一章", not a table
row); else the first such heading anywhere.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal

from kmingest.models import ParsedContent, SourceRecord
from kmingest.parsing.normalize import clean_value

TitleFrom = Literal["auto", "property", "heading", "filename"]
Origin = Literal["sidecar", "export", "document", "file"]

EARLIEST = datetime(1971, 1, 1, tzinfo=UTC)
OPENING_LINES = 3
MAX_TITLE_CHARS = 100
_NUMBERED = re.compile(
    r"^\s*(\d+(\.\d+)*[.、)）]?(\s|$)|[(（]?[一二三四五六七八九十]+[、.)）]|第[一二三四五六七八九十百\d]+[章节条部分篇]"
    r"|(chapter|section|part|article)\s+\d)",
    re.I,
)


def document_date(record: SourceRecord, metadata: dict[str, Any]) -> tuple[datetime | None, Origin | None]:
    """The Document's date and where it came from."""
    said = _origin(record.metadata.get("date_source"))
    if record.updated_at is not None and said != "file":
        return record.updated_at, said
    own = plausible(metadata.get("updated_at")) or plausible(metadata.get("created_at"))
    if own is not None:
        return own, "document"
    return record.updated_at, ("file" if record.updated_at is not None else None)


def document_author(record: SourceRecord, metadata: dict[str, Any]) -> tuple[str | None, Origin | None]:
    """The Document's author and where it came from (a file system gives none)."""
    author = clean_value(record.author)
    if author:
        return str(author), _origin(record.metadata.get("author_source"))
    own = metadata.get("author")
    if isinstance(own, str) and own.strip():
        return own.strip(), "document"
    return None, None


def _origin(value: Any) -> Origin:
    return value if value in ("sidecar", "document", "file") else "export"


def plausible(value: Any) -> datetime | None:
    """An ISO 8601 date from a parser as an aware datetime, when it may be a real one."""
    if not isinstance(value, str) or not value:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    return when if EARLIEST <= when <= datetime.now(UTC) + timedelta(days=1) else None


def choose_title(record: SourceRecord, parsed: ParsedContent, title_from: TitleFrom = "auto") -> str:
    """The Document's title under the source's title policy (see the module docstring)."""
    filename = Path(record.filename).stem if record.filename else record.external_id
    if record.title:
        return record.title
    if title_from == "filename":
        return filename
    if title_from == "property":
        return parsed.title or filename
    opening = _opening(parsed.text)
    own = title_line(parsed, opening)
    if title_from == "heading":
        return own or parsed.title or filename
    prop = parsed.title if parsed.title and parsed.title == parsed.metadata.get("title") else None
    if prop is None:
        return parsed.title or filename
    if _squeezed(prop) in shown_lines(opening, own):
        return prop
    return own or prop


def title_line(parsed: ParsedContent, opening: list[tuple[int, str]]) -> str | None:
    """The line the document shows as its title (see the module docstring), or None. `opening`: its
    first lines (`_opening`)."""
    starts = {s.start: s.path[-1] for s in parsed.sections if s.path}
    heading_first = next((line for start, line in opening if start in starts and _title_like(line)), None)
    first_line = next((line for _, line in opening if _title_like(line)), None)
    return heading_first or first_line or next((t for _, t in sorted(starts.items()) if _title_like(t)), None)


def shown_lines(opening: list[tuple[int, str]], own: str | None) -> set[str]:
    """What the document shows first, squeezed: its title line, its first lines and pairs of them."""
    lines = [_squeezed(line) for _, line in opening]
    pairs = [a + b for a, b in pairwise(lines)]
    return {*lines, *pairs} | ({_squeezed(own)} if own else set())


def _opening(text: str) -> list[tuple[int, str]]:
    """The first non-empty lines with their offsets."""
    found: list[tuple[int, str]] = []
    offset = 0
    for raw in text[:20_000].split("\n"):
        line = raw.strip()
        if line:
            found.append((offset + raw.index(line[0]), line))
            if len(found) == OPENING_LINES:
                break
        offset += len(raw) + 1
    return found


def _title_like(line: str) -> bool:
    letters = sum(ch.isalpha() for ch in line)
    return (
        2 <= len(line) <= MAX_TITLE_CHARS and letters >= 2 and " | " not in line and not _NUMBERED.match(line)
    )


def _squeezed(text: str) -> str:
    return "".join(text.split()).casefold()
