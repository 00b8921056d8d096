"""Plain-text family parsers: txt, Markdown (headings -> sections), JSON / NDJSON ("key: value" lines)
and XML (element text, no tags; HTML inside feeds is converted to text).

All of them decode with encoding.decode_text and assemble through builder.TextBuilder.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from lxml import etree

from kmingest.models import ParsedContent
from kmingest.parsing.base import ParseError, ParseLimits
from kmingest.parsing.builder import TextBuilder, squash, tidy_lines
from kmingest.parsing.encoding import decode_text
from kmingest.parsing.html import fragment_text

MAX_JSON_DEPTH = 12
_BLANK_RUN = re.compile(r"\n[^\S\n]*\n\s*")
_ATX = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_MARKUP = re.compile(r"<(/?[a-zA-Z][a-zA-Z0-9]*)(\s[^>]*)?/?>")


def _lines(data: bytes) -> str:
    return decode_text(data).replace("\r\n", "\n").replace("\r", "\n")


def parse_txt(data: bytes, filename: str, limits: ParseLimits) -> ParsedContent:
    builder = TextBuilder(limits.max_chars)
    for block in _BLANK_RUN.split(_lines(data)):
        builder.paragraph("\n".join(line.rstrip() for line in block.split("\n")))
    return builder.build("txt")


def parse_md(data: bytes, filename: str, limits: ParseLimits) -> ParsedContent:
    builder = TextBuilder(limits.max_chars)
    block: list[str] = []
    fence: str | None = None

    def flush() -> None:
        builder.paragraph("\n".join(block))
        block.clear()

    for line in _lines(data).split("\n"):
        line = line.rstrip()
        fence_match = _FENCE.match(line)
        if fence is not None or fence_match:
            block.append(line)
            if fence_match and (fence is None or fence_match.group(1) == fence):
                fence = fence_match.group(1) if fence is None else None
            continue
        heading = _ATX.match(line)
        setext = _SETEXT.match(line)
        if heading:
            flush()
            builder.heading(len(heading.group(1)), heading.group(2))
        elif setext and len(block) == 1 and not block[0].lstrip().startswith(("-", "*", "|", ">")):
            text = block.pop()
            builder.heading(1 if setext.group(1)[0] == "=" else 2, text)
        elif not line.strip():
            flush()
        else:
            block.append(line)
    flush()
    return builder.build("md", builder.first_heading)


def _scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else squash(str(value))


def _flatten(value: Any, key: str, depth: int) -> Iterator[str]:
    """'key: value' lines; nested objects give dotted keys; past MAX_JSON_DEPTH the rest is inlined."""
    if depth >= MAX_JSON_DEPTH and isinstance(value, dict | list):
        yield f"{key}: {json.dumps(value, ensure_ascii=False)[:2000]}"
    elif isinstance(value, dict):
        for name, item in value.items():
            yield from _flatten(item, f"{key}.{name}" if key else str(name), depth + 1)
    elif isinstance(value, list) and all(not isinstance(item, dict | list) for item in value):
        joined = ", ".join(text for text in map(_scalar, value) if text)
        if joined:
            yield f"{key}: {joined}" if key else joined
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _flatten(item, f"{key}.{index}" if key else str(index), depth + 1)
    else:
        text = _scalar(value)
        if text:
            yield f"{key}: {text}" if key else text


def _json_blocks(doc: Any) -> Iterator[str]:
    """One block per record: top-level array items, and items of arrays of objects under a top-level key."""
    if isinstance(doc, list) and any(isinstance(item, dict | list) for item in doc):
        for item in doc:
            yield "\n".join(_flatten(item, "", 1))
    elif isinstance(doc, dict):
        simple: list[str] = []
        records: list[str] = []
        for name, value in doc.items():
            if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
                records.extend("\n".join(_flatten(item, f"{name}.{i}", 2)) for i, item in enumerate(value))
            else:
                simple.extend(_flatten(value, str(name), 1))
        yield "\n".join(simple)
        yield from records
    else:
        yield "\n".join(_flatten(doc, "", 1))


def parse_json(data: bytes, filename: str, limits: ParseLimits) -> ParsedContent:
    """JSON, or NDJSON (one value per line) when the whole text is not one JSON value."""
    text = decode_text(data).strip()
    try:
        docs = [json.loads(text)] if text else []
    except json.JSONDecodeError as whole_error:
        docs = []
        for line in text.splitlines():
            try:
                docs.append(json.loads(line)) if line.strip() else None
            except json.JSONDecodeError:
                continue
        if not docs:
            raise ParseError(f"json: invalid JSON ({whole_error})") from None
    builder = TextBuilder(limits.max_chars)
    for doc in docs:
        for block in _json_blocks(doc):
            builder.paragraph(block)
    return builder.build("json", metadata={"records": len(docs)})


def _xml_text(text: str | None) -> str:
    if not text or not text.strip():
        return ""
    return fragment_text(text) if _MARKUP.search(text) else tidy_lines(text)


def parse_xml(data: bytes, filename: str, limits: ParseLimits) -> ParsedContent:
    """Text of every element; elements holding other elements close a block (an RSS item, a record)."""
    markup = _XML_DECL.sub("", decode_text(data), count=1)
    parser = etree.XMLParser(
        recover=True, resolve_entities=False, no_network=True, remove_comments=True, remove_pis=True
    )
    root = etree.fromstring(markup.encode("utf-8"), parser)
    if root is None:
        raise ParseError("xml: malformed, nothing recoverable")
    builder = TextBuilder(limits.max_chars)
    block: list[str] = []
    title: str | None = None
    for event, element in etree.iterwalk(root, events=("start", "end")):
        if not isinstance(element.tag, str):
            continue
        if event == "start":
            text = _xml_text(element.text)
            if text and title is None and etree.QName(element).localname == "title":
                title = text
            block.append(text)
        else:
            if len(element):
                builder.paragraph("\n".join(line for line in block if line))
                block.clear()
            block.append(_xml_text(element.tail))
    builder.paragraph("\n".join(line for line in block if line))
    return builder.build("xml", title, {"root": etree.QName(root).localname})
