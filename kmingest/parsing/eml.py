"""E-mail (.eml, RFC 822 / MIME) -> body text; subject as title; from/to/cc/date/attachments in metadata.

In the document-metadata shape the pipeline reads, From is the author, To and Cc the recipients (a list of
addresses) and Date the updated_at (ISO 8601 with offset): mail keeps the date it was sent, not the file's.

The body is the text/plain parts (else the text/html parts through the HTML parser). Payloads are decoded
from their bytes with the declared charset when it works, else with encoding.decode_text, so broken MIME
headers and wrong charsets still give readable text. Attachments are listed by name, never parsed.
"""

from __future__ import annotations

import email
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from email import policy
from email.header import decode_header, make_header
from email.message import Message
from email.utils import formataddr, getaddresses, parsedate_to_datetime
from typing import Any

from kmingest.models import ParsedContent
from kmingest.parsing.base import ParseError, ParseLimits
from kmingest.parsing.builder import TextBuilder, squash
from kmingest.parsing.encoding import bomless_unicode, canonical, decode_text
from kmingest.parsing.html import html_to_content

_BLANK_RUN = re.compile(r"\n[^\S\n]*\n\s*")
_ADDRESS_HEADERS = ("from", "to", "cc", "bcc", "reply-to")


def _header(message: Message, name: str) -> str:
    """A header as readable text (RFC 2047 decoded); '' if absent or undecodable."""
    try:
        value = message.get(name)
        return squash(str(value)) if value is not None else ""
    except Exception:  # the modern policy can choke on malformed headers: decode the raw value
        raw = next((v for k, v in message.raw_items() if k.lower() == name), "")
        try:
            return squash(str(make_header(decode_header(str(raw)))))
        except Exception:
            return squash(str(raw))


def _payload_text(part: Message) -> str:
    """Transfer-decoded payload as text; valid UTF-8 wins over a declared 8-bit charset (a common lie)."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    try:
        charset = canonical(part.get_content_charset())
    except Exception:
        charset = None
    if charset and charset.startswith(("utf_16", "utf_32")):
        return payload.decode(charset, errors="replace")
    return decode_text(payload, declared=charset)


def _is_attachment(part: Message) -> bool:
    try:
        disposition = part.get_content_disposition()
        filename = part.get_filename()
    except Exception:
        return False
    return disposition == "attachment" or (filename is not None and part.get_content_maintype() != "text")


def _parts(message: Message) -> Iterator[Message]:
    """Leaf parts in order; an attachment (even an attached message) is a leaf and is not opened."""
    stack = [message]
    while stack:
        part = stack.pop()
        payload = part.get_payload() if part.is_multipart() and not _is_attachment(part) else None
        if isinstance(payload, list):
            stack.extend(item for item in reversed(payload) if isinstance(item, Message))
        else:
            yield part


def _date(message: Message) -> str | None:
    """The Date header as ISO 8601 (UTC when it names no zone), else as written, else None."""
    raw = _header(message, "date")
    if not raw:
        return None
    when = sent_at(raw)
    return when.isoformat() if when is not None else raw


def sent_at(raw: str) -> datetime | None:
    """An RFC 822 / 2822 date as an aware datetime (UTC for "-0000" or no zone); None when unreadable."""
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def recipients(*values: str) -> list[str]:
    """Each address of To/Cc header values once, as "Name <address>" or the bare address."""
    found: dict[str, None] = {}
    for name, address in getaddresses([value for value in values if value]):
        if address or name:
            found.setdefault(formataddr((name, address)) if name and address else address or name)
    return list(found)


def parse_eml(data: bytes, filename: str, limits: ParseLimits) -> ParsedContent:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or bomless_unicode(data):
        message = email.message_from_string(decode_text(data), policy=policy.default)
    else:
        message = email.message_from_bytes(data, policy=policy.default)
    if message.get_content_type() == "multipart/encrypted":
        raise ParseError("eml: encrypted message (multipart/encrypted), body not readable")
    plain: list[str] = []
    html: list[str] = []
    attachments: list[str] = []
    for part in _parts(message):
        if _is_attachment(part):
            attachments.append(_header_filename(part))
        elif part.get_content_type() == "text/plain":
            plain.append(_payload_text(part))
        elif part.get_content_type() == "text/html":
            html.append(_payload_text(part))
    builder = TextBuilder(limits.max_chars)
    if any(text.strip() for text in plain):
        for text in plain:
            for block in _BLANK_RUN.split(text.replace("\r\n", "\n")):
                builder.paragraph("\n".join(line.rstrip() for line in block.split("\n")))
    else:
        for markup in html:
            builder.paragraph(html_to_content(markup, limits, "eml").text)
    metadata: dict[str, Any] = {key: _header(message, key) for key in _ADDRESS_HEADERS}
    metadata |= {"date": _date(message), "message_id": _header(message, "message-id")}
    sent = sent_at(_header(message, "date"))
    metadata |= {"author": metadata["from"], "recipients": recipients(metadata["to"], metadata["cc"])}
    metadata["updated_at"] = sent.isoformat() if sent is not None else None
    metadata["attachments"] = attachments
    metadata = {key: value for key, value in metadata.items() if value}
    return builder.build("eml", _header(message, "subject") or None, metadata)


def _header_filename(part: Message) -> str:
    try:
        return part.get_filename() or f"(unnamed {part.get_content_type()})"
    except Exception:
        return "(unnamed attachment)"
