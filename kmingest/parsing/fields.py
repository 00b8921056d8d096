"""Structured records (a CRM row, an ERP item: SourceRecord.fields) -> readable "Key: value" text.

Used instead of parse_bytes when a connector yields fields rather than bytes. One line per non-empty
field in the given order; values are flattened to one line; the title falls back to a title/name field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any

from kmingest.models import ParsedContent
from kmingest.parsing.builder import squash

_TITLE_KEYS = ("title", "subject", "name", "display_name", "displayname")


def field_value(value: object) -> str:
    """One-line text of a field value; '' for empty values."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else str(round(value, 10))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(text for text in map(field_value, value) if text)
    if isinstance(value, Mapping):
        parts = (f"{key}: {field_value(item)}" for key, item in value.items())
        return "; ".join(part for part in parts if not part.endswith(": "))
    if isinstance(value, bytes):
        return ""  # binary blobs are not text
    try:
        return squash(str(value))
    except Exception:
        return squash(json.dumps(value, default=str, ensure_ascii=False))


def parse_fields(fields: dict[str, object], title: str | None = None) -> ParsedContent:
    lines: list[str] = []
    found_title: str | None = None
    for key, value in fields.items():
        text = field_value(value)
        name = squash(str(key))
        if not text or not name:
            continue
        lines.append(f"{name}: {text}")
        if found_title is None and name.lower() in _TITLE_KEYS:
            found_title = text
    metadata: dict[str, Any] = {"fields": [squash(str(key)) for key in fields]}
    return ParsedContent(
        text="\n".join(lines),
        title=squash(title or "") or found_title,
        sections=(),
        doc_type="record",
        metadata=metadata,
    )
