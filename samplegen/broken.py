"""The deliberately broken items of the sample exports (test/demo data for the connectors).

Each helper damages one item in one documented way, so the connector tests can assert that the item
is reported (with the reason class recorded in expected.json) and that the run goes on. The damage is
deterministic: byte positions and junk come from the caller's seeded `Rand`.
"""

from __future__ import annotations

import json
from typing import Any

from samplegen.rand import Rand

BAD_DATE = "2024-13-45"  # OA publishDate with month 13 and day 45
INVALID_GB18030 = b"\xff\xff"  # 0xFF never starts a GB18030 sequence


def poison_gb18030(line: bytes, after: str) -> bytes:
    """Insert bytes that are not valid GB18030 right after the first occurrence of `after`."""
    marker = after.encode("gb18030")
    if marker not in line:
        raise ValueError(f"{after!r} not in line")
    return line.replace(marker, marker + INVALID_GB18030, 1)


def cut_json(row: dict[str, Any], keep: int = 70) -> str:
    """A JSON Lines line whose object stops after `keep` characters (no closing brace)."""
    return json.dumps(row, ensure_ascii=False)[:keep] + "\n"


def truncate(data: bytes, r: Rand) -> bytes:
    """Cut a zip (docx/xlsx) somewhere in its middle: local headers survive, the central directory not."""
    return data[: len(data) * r.between(40, 60) // 100]


def garbage_pdf(r: Rand, size: int = 4096) -> bytes:
    """A PDF header followed by random bytes: no objects, no xref, no trailer."""
    return b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + r.bytes(size)
