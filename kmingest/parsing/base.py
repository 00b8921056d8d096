"""Contract shared by all parsers: limits, the errors a parser may raise, and the parser signature.

The pipeline calls `kmingest.parsing.parse_bytes(data, filename, limits)` on a SourceRecord's bytes and
gets a `ParsedContent` (see kmingest.models). A parser never lets an arbitrary exception escape for bad
input: it raises `ParseError` (the file is broken: recorded as *failed*) or `UnsupportedFormat` (no parser
for it, e.g. .doc or images: recorded as *skipped*), each with a reason a person can act on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo

from kmingest.models import ParsedContent


@dataclass(frozen=True)
class ParseLimits:
    """Explicit limits; going over one is a ParseError naming the limit and the value."""

    max_file_bytes: int = 50 * 1024 * 1024
    max_chars: int = 2_000_000
    max_uncompressed_bytes: int = 200 * 1024 * 1024  # sum over members of zip-based formats
    max_compression_ratio: float = 200.0  # per zip member: uncompressed / compressed
    max_seconds: float = 60.0
    max_pdf_pages: int = 2000
    max_sheet_rows: int = 200_000


class ParseError(Exception):
    """The file could not be parsed (corrupt, encrypted, over a limit)."""


class UnsupportedFormat(Exception):
    """No parser exists for this format; the file is skipped, not failed."""


Parser = Callable[[bytes, str, ParseLimits], ParsedContent]


def moment(year: str, parts: tuple[str | None, ...], zone: tzinfo) -> datetime | None:
    """A date read from a file's metadata: the year, then month, day, hour, minute and second as digits
    (missing: the first month or day, zero time), in the zone; None when out of range (month 13, hour 25)."""
    month, day, hour, minute, second = parts
    try:
        clock = (int(hour or 0), int(minute or 0), int(second or 0))
        return datetime(int(year), int(month or 1), int(day or 1), *clock, tzinfo=zone)
    except ValueError:
        return None
