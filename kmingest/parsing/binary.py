"""Binary content in extracted text, judged over the whole text (not the first bytes of the file).

    parse_bytes / parse_fields -> binary.check_text (skip?) -> normalize.normalize_content -> Document

Sniffing looks at the first 8 KB only, so a file with a long text header and a binary body (FITS, .p7m,
.webarchive, .cbor) reaches a text parser and comes out as text full of U+FFFD and control characters.
`check_text` skips (UnsupportedFormat) a text that is binary content:
- at least 10% of its characters are U+FFFD or control characters, or
- binary runs / base64 blobs cover at least half of it and fewer than 200 visible characters remain
  beside them (a blob with a label: a .p7m, a base64 dump).
Otherwise `remove_blobs` (called by normalize) cuts binary runs and base64 blobs out of the text, e.g. the
images inside a Word 2003 XML document, and the rest is indexed.

A file is judged by what most of it is: a FITS-like file (an ASCII header followed by binary data) is
skipped, because its data is almost always far larger than its header and the header is keyword cards
describing that data, not a document anyone searches for. Only when the text part is the larger one (a
short binary tail) is the binary part cut out and the header text indexed.
"""

from __future__ import annotations

import re

from kmingest.parsing.base import UnsupportedFormat

# U+FFFD, C0 controls except \t \n \v \f \r and ESC (ANSI-coloured logs are text), DEL and C1 controls
_BAD = "\ufffd\x00-\x08\x0e-\x1a\x1c-\x1f\x7f-\x9f"
_BAD_CHAR = re.compile(f"[{_BAD}]")
# at least 16 bad characters, each within 8 characters of the previous one
_BINARY_RUN = re.compile(f"[{_BAD}](?:[^{_BAD}]{{0,7}}[{_BAD}]){{15,}}")
# lines of 40+ base64 characters (wrapped at 76 in XML and MIME, or one long line)
_BASE64_RUN = re.compile(r"(?:[A-Za-z0-9+/]{40,}={0,2}[ \t]*(?:\r?\n[ \t]*)?)+")

MAX_BAD_SHARE = 0.10  # decoded text: at most 0.5% replacement characters (encoding.py); binary: 30-60%
MAX_BLOB_SHARE = 0.5  # binary runs / base64 blobs covering this much of the text: the file *is* binary
MIN_TEXT_BESIDE_BLOBS = 200  # visible characters; fewer beside a large blob: a blob with a label
BASE64_MIN_CHARS = 2000  # shorter runs stay (hashes, keys, tokens people search for)
BASE64_MIN_SYMBOLS = 30  # distinct characters: real base64 uses ~64; a DNA sequence or "aaaa..." uses few


def _base64_blobs(text: str) -> list[tuple[int, int]]:
    spans = []
    for match in _BASE64_RUN.finditer(text):
        blob = match.group()
        if len(blob) >= BASE64_MIN_CHARS and len(set(blob)) >= BASE64_MIN_SYMBOLS:
            spans.append(match.span())
    return spans


def _blob_spans(text: str, base64_spans: list[tuple[int, int]] | None = None) -> list[tuple[int, int]]:
    """Binary runs and base64 blobs (`base64_spans` when the caller found them), sorted, not overlapping."""
    if base64_spans is None:
        base64_spans = _base64_blobs(text)
    spans = sorted([m.span() for m in _BINARY_RUN.finditer(text)] + base64_spans)
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def binary_reason(text: str, fmt: str = "text") -> str | None:
    """Why this text is binary content rather than a document, or None when it is text."""
    size = len(text)
    if not size:
        return None
    bad = size - len(_BAD_CHAR.sub("", text))
    if bad >= MAX_BAD_SHARE * size:
        return f"binary content: {bad / size:.0%} replacement or control characters (read as {fmt})"
    base64_spans = _base64_blobs(text)
    spans = _blob_spans(text, base64_spans)
    covered = sum(end - start for start, end in spans)
    if not spans or covered < MAX_BLOB_SHARE * size:
        return None
    rest, pos = 0, 0
    for start, end in spans:
        rest += _visible(text, pos, start)
        pos = end
    rest += _visible(text, pos, size)
    if rest >= MIN_TEXT_BESIDE_BLOBS:
        return None  # a document with a large embedded blob: the blob is cut out, the text indexed
    base64 = sum(end - start for start, end in base64_spans)
    what = "base64 blob" if base64 * 2 >= covered else "binary data"
    return f"binary content: {what}, {covered / size:.0%} of the text (read as {fmt})"


def _visible(text: str, start: int, end: int) -> int:
    piece = text[start:end]
    return len(piece) - sum(ch.isspace() for ch in piece)


def check_text(text: str, fmt: str = "text") -> None:
    """Raise UnsupportedFormat (the record is skipped) when the text is binary content."""
    reason = binary_reason(text, fmt)
    if reason is not None:
        raise UnsupportedFormat(reason)


def remove_blobs(text: str) -> str:
    """The text with binary runs and base64 blobs cut out (each replaced by one space)."""
    spans = _blob_spans(text)
    if not spans:
        return text
    parts, pos = [], 0
    for start, end in spans:
        parts.append(text[pos:start])
        parts.append(" ")
        pos = end
    parts.append(text[pos:])
    return "".join(parts)
