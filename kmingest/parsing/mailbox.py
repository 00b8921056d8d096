"""Mailbox files (mbox, Foxmail .box) -> one RFC 822 message per item, with its headers decoded.

Used by the filesystem reader before parsing: each message becomes its own SourceRecord (external id
`<path>#<Message-ID>`, or `<path>#<n>` without one), parsed by the e-mail parser like an .eml file.

Splitting reads lines from a binary stream, so a large mailbox is never held whole:
- mbox (RFC 4155): a message starts at a line beginning with "From " (the envelope line, dropped);
  ">From " quoting (mboxo/mboxrd) is undone one level.
- Foxmail .box files that have no "From " lines: a message starts at a line that begins with a run of
  control bytes (Foxmail writes a binary marker before each message), and the marker is dropped.

Headers are decoded with `decode_header_value`: RFC 2047 encoded words (=?gb2312?B?...?=), where labels of the
GB family are read as GB18030 (their superset: mail labelled gb2312 often holds GBK characters), and raw 8-bit
header bytes (old Chinese clients) as UTF-8, else GB18030.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.header import decode_header
from email.parser import BytesHeaderParser

from kmingest.parsing.eml import sent_at

MAILBOX_SUFFIXES = (".mbox", ".box")
# the envelope line: "From sender@example.com Fri Jul  8 12:08:34 2011" ("From - ..." from Thunderbird)
_FROM_LINE = re.compile(rb"^From \S+ +[A-Z][a-z]{2} [A-Z][a-z]{2} +\d{1,2} \d{1,2}:\d{2}")
_MARKER = re.compile(rb"^[\x00-\x08\x0b\x0c\x0e-\x1f]{4,}")  # Foxmail: a binary run before each message
_QUOTED_FROM = re.compile(rb"^>(>*From )")
_HEADER_END = re.compile(rb"\r?\n\r?\n")  # the blank line that ends the header block
_GB_FAMILY = {"gb2312", "gbk", "x-gbk", "cp936", "gb_2312-80", "euc-cn", "x-euc-cn", "hz-gb-2312"}


class MessageTooLarge(Exception):
    """One message is over the size limit; it is skipped, the mailbox goes on."""


@dataclass(frozen=True)
class MailMessage:
    number: int  # 1-based position in the mailbox
    data: bytes | None  # the RFC 822 message; None when it was over the limit
    size: int


def looks_like_mailbox(name: str, head: bytes) -> bool:
    """A mailbox by its name (.mbox, .box) with a separator at the start, or any file starting with an
    mbox envelope line."""
    first = head.lstrip(b"\r\n").split(b"\n", 1)[0]
    if _FROM_LINE.match(first):
        return True
    return name.lower().endswith(".box") and bool(_MARKER.match(first))


def split_mailbox(lines: Iterable[bytes], max_message_bytes: int) -> Iterator[MailMessage]:
    """Each message of a mailbox given as binary lines (a file opened in binary mode)."""
    current: list[bytes] = []
    size, number, started = 0, 0, False

    def finish() -> MailMessage:
        body = b"".join(current).rstrip(b"\r\n") + b"\n" if size <= max_message_bytes else None
        return MailMessage(number, body, size)

    for line in lines:
        marker = _MARKER.match(line)
        if _FROM_LINE.match(line) or marker:
            if started and size:
                yield finish()
            current, size, number, started = [], 0, number + 1, True
            if marker:  # the header may follow the marker on the same line
                line = line[marker.end() :]
                if not line.strip():
                    continue
            else:
                continue
        if not started:
            if not line.strip():
                continue
            number, started = 1, True  # text before any separator: one message
        size += len(line)
        if size <= max_message_bytes:
            current.append(_QUOTED_FROM.sub(rb"\1", line))
        else:
            current = []
    if started and size:
        yield finish()


def _charset(label: str | None) -> str:
    name = (label or "").lower()
    return "gb18030" if name in _GB_FAMILY else name or "utf-8"


def _raw_text(data: bytes) -> str:
    for codec in ("utf-8", "gb18030"):
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", errors="replace")


def decode_header_value(value: str | bytes | None) -> str:
    """A header value as readable text: RFC 2047 words decoded, raw 8-bit bytes as UTF-8 or GB18030."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        value = value.decode("ascii", errors="surrogateescape")
    try:
        raw = value.encode("ascii", errors="surrogateescape")  # 8-bit bytes kept as surrogates by email
    except UnicodeEncodeError:
        raw = b""  # already text
    if raw and not raw.isascii():
        value = _raw_text(raw)
    parts: list[str] = []
    try:
        pieces = decode_header(value)
    except Exception:  # a malformed encoded word: keep the text as it is
        pieces = [(value, None)]
    for piece, label in pieces:
        if isinstance(piece, str):
            parts.append(piece)
            continue
        try:
            parts.append(piece.decode(_charset(label)))
        except (LookupError, UnicodeDecodeError):
            parts.append(_raw_text(piece))
    return " ".join(" ".join(parts).split())


@dataclass(frozen=True)
class MessageHeaders:
    subject: str
    sender: str
    message_id: str
    date: datetime | None


def read_headers(data: bytes) -> MessageHeaders:
    """Subject, From, Message-ID and Date of one message, decoded (compat32 keeps raw 8-bit bytes); only the
    header block is parsed, the body is not read."""
    blank = _HEADER_END.search(data)
    head = data[: blank.end()] if blank else data
    message = BytesHeaderParser(policy=policy.compat32).parsebytes(head)

    def get(name: str) -> str:  # the stored value: raw 8-bit bytes stay surrogate-escaped, not replaced
        return decode_header_value(next((str(v) for k, v in message.raw_items() if k.lower() == name), None))

    return MessageHeaders(get("subject"), get("from"), get("message-id").strip("<> "), sent_at(get("date")))
