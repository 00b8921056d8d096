"""PDF -> text, one block per page (pypdf, pure Python; no OCR, so scanned pages yield nothing).

Encrypted files (RC4, AES-128, AES-256; AES through the `cryptography` package) are opened with the
empty user password when possible, else fail with a reason. The page count is checked against
`max_pdf_pages` before any text is extracted; a page whose extraction crashes is skipped and counted in
metadata["pages_failed"]. The Info dictionary gives metadata title, author, subject, creator (the producing
application), created_at (/CreationDate) and updated_at (/ModDate), dates as ISO 8601 with offset.
"""

from __future__ import annotations

import io
import logging
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import PurePath
from typing import Any

from pypdf import PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError

from kmingest.models import ParsedContent
from kmingest.parsing.base import ParseError, ParseLimits, moment
from kmingest.parsing.builder import TextBuilder, squash, tidy_lines

# pypdf warns per odd font / object ("fontTools is required ...") and would flood the pipeline log;
# quieten it unless the application configured that logger itself.
if logging.getLogger("pypdf").level == logging.NOTSET:
    logging.getLogger("pypdf").setLevel(logging.ERROR)

_BLANK_RUN = re.compile(r"\n\s*\n")
_PDF_DATE = re.compile(r"(?:D:)?(\d{4})(\d\d)?(\d\d)?(\d\d)?(\d\d)?(\d\d)?\s*(?:([Zz+-])(\d\d)?'?(\d\d)?'?)?")
_JUNK_TITLE = re.compile(r"^(untitled.*|microsoft word - .*|.*\.(docx?|pdf|indd|qxd|jpe?g|png|tiff?))$", re.I)
_NO_AES = "pdf: encrypted with AES, cannot decrypt (the 'cryptography' package is not installed)"
_NEEDS_PASSWORD = "pdf: encrypted, no password: opening it needs a user password; remove the password"


def _open(data: bytes) -> PdfReader:
    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted:
        try:
            if not reader.decrypt(""):
                raise ParseError(_NEEDS_PASSWORD)
        except (FileNotDecryptedError, NotImplementedError) as exc:
            raise ParseError(f"pdf: encrypted, cannot decrypt ({exc})") from None
    return reader


def _info(reader: PdfReader) -> dict[str, Any]:
    try:
        info = reader.metadata
    except Exception:  # a broken Info dictionary must not cost us the text
        return {}
    if info is None:
        return {}
    out: dict[str, Any] = {}
    for key, attr in (
        ("title", "title"),
        ("author", "author"),
        ("subject", "subject"),
        ("creator", "creator"),
    ):
        try:
            value = getattr(info, attr)
        except Exception:
            continue
        if isinstance(value, str) and squash(value):
            out[key] = squash(value)
    for key, name in (("/CreationDate", "created_at"), ("/ModDate", "updated_at")):
        try:
            when = pdf_date(str(info.get(key) or ""))
        except Exception:  # an indirect object that does not resolve
            continue
        if when is not None:
            out[name] = when.isoformat()
    return out


def pdf_date(text: str) -> datetime | None:
    """A PDF date ("D:20170301083000+08'00'", also without "D:", seconds or offset; "Z" is UTC) as an
    aware datetime (UTC when it names no offset); None when it is not one."""
    match = _PDF_DATE.match(text.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second, sign, zone_hours, zone_minutes = match.groups()
    tz = UTC
    if sign in ("+", "-") and zone_hours:
        offset = timedelta(hours=int(zone_hours), minutes=int(zone_minutes or 0))
        tz = timezone(-offset if sign == "-" else offset) if offset < timedelta(hours=24) else UTC
    return moment(year, (month, day, hour, minute, second), tz)


def parse_pdf(data: bytes, filename: str, limits: ParseLimits) -> ParsedContent:
    try:
        return _parse(data, filename, limits)
    except DependencyError:  # AES needs `cryptography`; pypdf may first need it anywhere it reads objects
        raise ParseError(_NO_AES) from None


def _parse(data: bytes, filename: str, limits: ParseLimits) -> ParsedContent:
    reader = _open(data)
    n_pages = len(reader.pages)
    if n_pages > limits.max_pdf_pages:
        raise ParseError(f"pdf: {n_pages} pages > max_pdf_pages={limits.max_pdf_pages}")
    builder = TextBuilder(limits.max_chars)
    page_offsets: list[int] = []
    failed = 0
    for page in reader.pages:
        try:
            raw = page.extract_text() or ""
        except DependencyError:
            raise
        except Exception:
            raw, failed = "", failed + 1
        blocks = [text for text in map(tidy_lines, _BLANK_RUN.split(raw)) if text]
        page_offsets.append(len(builder) + (2 if len(builder) and blocks else 0))
        for block in blocks:
            builder.paragraph(block)
    if failed == n_pages and n_pages:
        raise ParseError(f"pdf: text extraction failed on all {n_pages} pages")
    metadata = _info(reader) | {"pages": n_pages, "page_offsets": page_offsets}
    if failed:
        metadata["pages_failed"] = failed
    if not len(builder) and n_pages:
        metadata["no_text_layer"] = True  # scanned / image-only: would need OCR
    content = builder.build("pdf", metadata=metadata)
    title = metadata.get("title")
    if not title or _JUNK_TITLE.match(title) or title == PurePath(filename).stem:
        title = next((line.strip() for line in content.text.split("\n") if line.strip()), None)
    return ParsedContent(content.text, title[:200] if title else None, (), "pdf", metadata)
