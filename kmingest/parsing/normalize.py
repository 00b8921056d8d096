"""Text normalisation, once, right after parsing, so nothing downstream (hashing, chunking, embedding, the
index's SQLite or JSON) ever meets text it cannot encode:

    parse_bytes / parse_fields -> binary.check_text -> normalize_content -> Document -> chunk -> ...

- binary runs and base64 blobs inside otherwise normal text are cut out (binary.remove_blobs);
- surrogates: a split pair is joined, a lone one (pypdf returns them for some fonts) becomes U+FFFD;
- line breaks: \\r\\n, \\r, \\v and \\f become \\n;
- NUL and other control characters (all but \\n and \\t), DEL, C1 controls, BOMs and noncharacters are
  dropped;
- Unicode NFC.

Section offsets (and a parser's `*_offsets` metadata, e.g. pdf page_offsets) stay valid: the text is cut at
every offset and each piece is normalised alone, so an offset maps to the length of what precedes it.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from itertools import pairwise
from typing import Any

from kmingest.models import ParsedContent, Section
from kmingest.parsing.binary import remove_blobs

_SURROGATE = re.compile("[\ud800-\udfff]")
_LINE_BREAK = re.compile("\r\n?|[\v\f]")
_NONCHARACTERS = "\ufdd0-\ufdef\ufffe\uffff" + "".join(
    f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(1, 17)
)
_DROP = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f\ufeff{_NONCHARACTERS}]")


def clean_text(text: str) -> str:
    """One piece of text normalised (see the module docstring); never raises."""
    if not text:
        return text
    text = remove_blobs(text)
    if _SURROGATE.search(text):
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    text = _DROP.sub("", _LINE_BREAK.sub("\n", text))
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return text


def has_surrogates(text: str) -> bool:
    """True when the text cannot be encoded as UTF-8 (it holds surrogates, e.g. from surrogateescape)."""
    return _SURROGATE.search(text) is not None


def clean_value(value: Any) -> Any:
    """Strings inside metadata values normalised (lists, tuples and dicts are followed one level deep)."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list | tuple):
        return type(value)(clean_text(v) if isinstance(v, str) else v for v in value)
    if isinstance(value, dict):
        return {k: clean_text(v) if isinstance(v, str) else v for k, v in value.items()}
    return value


def _is_offsets(key: str, value: Any) -> bool:
    return key.endswith("_offsets") and isinstance(value, list) and all(type(v) is int for v in value)


def normalize_content(parsed: ParsedContent) -> ParsedContent:
    """The parsed content with text, title, section paths and metadata normalised, offsets mapped."""
    text = parsed.text
    size = len(text)
    offsets = {0, size}
    for section in parsed.sections:
        offsets.update((min(max(section.start, 0), size), min(max(section.end, 0), size)))
    for key, value in parsed.metadata.items():
        if _is_offsets(key, value):
            offsets.update(min(max(v, 0), size) for v in value)
    cuts = sorted(offsets)
    moved = {0: 0}
    pieces: list[str] = []
    length = 0
    for start, end in pairwise(cuts):
        piece = clean_text(text[start:end])
        pieces.append(piece)
        length += len(piece)
        moved[end] = length

    def new(offset: int) -> int:
        return moved[min(max(offset, 0), size)]

    sections = tuple(
        Section(tuple(clean_text(p) for p in s.path), new(s.start), new(s.end))
        for s in parsed.sections
        if new(s.end) > new(s.start)
    )
    metadata = {
        key: [new(v) for v in value] if _is_offsets(key, value) else clean_value(value)
        for key, value in parsed.metadata.items()
    }
    return dataclasses.replace(
        parsed,
        text="".join(pieces),
        title=clean_text(parsed.title) if parsed.title else parsed.title,
        sections=sections,
        metadata=metadata,
    )
