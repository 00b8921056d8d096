"""Outlook .msg -> text: header lines, then the body (olefile, BSD, reads the MAPI property streams).

`parse_bytes` sniffs an OLE2 file with root "__substg1.0_" streams as msg. Each MAPI property is a stream
"__substg1.0_<id><type>": type 001F is UTF-16LE, 001E 8-bit text in the message's code page
(PR_MESSAGE_CODEPAGE / PR_INTERNET_CPID, else detected), 0102 binary. The body is the plain-text body,
else the HTML body, else the compressed RTF body (LZFu, MS-OXRTFCP) through rtf.py. Attachments are
listed by name, not parsed. An encrypted message (S/MIME or PGP, no readable body) fails with a reason.
Metadata author (the sender), recipients (To and Cc display names) and updated_at (the submit time, else the
delivery time, ISO 8601 UTC) are the document-metadata shape the pipeline reads.
"""

from __future__ import annotations

import codecs
import io
import re
import struct
from datetime import UTC, datetime, timedelta
from typing import Any

import olefile

from kmingest.models import ParsedContent
from kmingest.parsing.base import ParseError, ParseLimits
from kmingest.parsing.builder import TextBuilder, squash, tidy_lines
from kmingest.parsing.encoding import decode_text
from kmingest.parsing.html import fragment_text
from kmingest.parsing.rtf import parse_rtf

_SUBJECT, _CLASS, _SENDER_NAME, _SENDER_ADDRESS, _SENDER_SMTP = 0x0037, 0x001A, 0x0C1A, 0x0C1F, 0x5D01
_TO, _CC, _BODY, _HTML, _RTF, _ATTACH_NAME, _ATTACH_SHORT = (
    0x0E04,
    0x0E03,
    0x1000,
    0x1013,
    0x1009,
    0x3707,
    0x3704,
)
_SUBMIT_TIME, _DELIVERY_TIME, _CODEPAGE, _INTERNET_CPID = 0x0039, 0x0E06, 0x3FFD, 0x3FDE
_PARAGRAPH_BREAK = re.compile(r"(?:\r?\n[^\S\r\n]*){2,}")
_LZFU_PREFIX = (
    b"{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}{\\f0\\fnil \\froman \\fswiss \\fmodern \\fscript "
    b"\\fdecor MS Sans SerifSymbolArialTimes New RomanCourier{\\colortbl\\red0\\green0\\blue0\r\n\\par "
    b"\\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx"
)


def decompress_rtf(blob: bytes, max_bytes: int) -> bytes:
    """MS-OXRTFCP: LZFu-compressed (or MELA-stored) RTF, at most `max_bytes` of output."""
    if len(blob) < 16:
        raise ParseError("msg: compressed RTF body truncated")
    raw_size, kind = struct.unpack_from("<II", blob, 4)  # after the compressed size; a CRC follows
    if kind == 0x414C454D:  # "MELA": stored
        return blob[16 : 16 + min(raw_size, max_bytes)]
    if kind != 0x75465A4C:  # "LZFu"
        raise ParseError("msg: unknown compressed RTF body type")
    window = bytearray(4096)
    window[: len(_LZFU_PREFIX)] = _LZFU_PREFIX
    write, out, pos, limit = len(_LZFU_PREFIX), bytearray(), 16, min(raw_size, max_bytes)
    while pos < len(blob) and len(out) < limit:
        flags, pos = blob[pos], pos + 1
        for bit in range(8):
            if pos >= len(blob) or len(out) >= limit:
                break
            if flags & (1 << bit):
                if pos + 2 > len(blob):
                    return bytes(out)
                word, pos = (blob[pos] << 8) | blob[pos + 1], pos + 2
                offset, length = word >> 4, (word & 0xF) + 2
                if offset == write:
                    return bytes(out)
                for i in range(length):
                    byte = window[(offset + i) % 4096]
                    out.append(byte)
                    window[write] = byte
                    write = (write + 1) % 4096
            else:
                out.append(blob[pos])
                window[write], write, pos = blob[pos], (write + 1) % 4096, pos + 1
    return bytes(out)


class _Message:
    """The MAPI properties of one message (root streams only: not its recipients or attachments)."""

    def __init__(self, ole: Any) -> None:
        self.ole = ole
        self.fixed = self._fixed_properties()
        cpid = self.fixed.get(_CODEPAGE) or self.fixed.get(_INTERNET_CPID)
        self.codepage = self._codec(f"cp{cpid}") if isinstance(cpid, int) else None

    @staticmethod
    def _codec(name: str) -> str | None:
        try:
            return codecs.lookup(name).name
        except LookupError:
            return None

    def _fixed_properties(self) -> dict[int, int]:
        """Integer and time values from __properties_version1.0 (32-byte header, 16-byte entries)."""
        if not self.ole.exists("__properties_version1.0"):
            return {}
        raw = self.ole.openstream("__properties_version1.0").read()
        values: dict[int, int] = {}
        for start in range(32, len(raw) - 15, 16):
            tag, _, value = struct.unpack_from("<IIQ", raw, start)
            if tag & 0xFFFF in (0x0003, 0x0040):  # PT_LONG, PT_SYSTIME
                values[tag >> 16] = value & 0xFFFFFFFF if tag & 0xFFFF == 0x0003 else value
        return values

    def raw(self, prop: int, kind: str, base: str = "") -> bytes | None:
        name = f"{base}__substg1.0_{prop:04X}{kind}"
        return self.ole.openstream(name).read() if self.ole.exists(name) else None

    def text(self, prop: int, base: str = "") -> str:
        unicode = self.raw(prop, "001F", base)
        if unicode is not None:
            return unicode.decode("utf-16-le", "replace").rstrip("\x00")
        eight_bit = self.raw(prop, "001E", base)
        if eight_bit is None:
            return ""
        eight_bit = eight_bit.rstrip(b"\x00")
        return eight_bit.decode(self.codepage, "replace") if self.codepage else decode_text(eight_bit)

    def date(self) -> str | None:
        filetime = self.fixed.get(_SUBMIT_TIME) or self.fixed.get(_DELIVERY_TIME)
        if not filetime:
            return None
        try:
            return (datetime(1601, 1, 1, tzinfo=UTC) + timedelta(microseconds=filetime // 10)).isoformat()
        except OverflowError:
            return None

    def attachments(self) -> list[str]:
        folders = sorted(
            {path[0] for path in self.ole.listdir() if path[0].startswith("__attach_version1.0_#")}
        )
        names = (self.text(_ATTACH_NAME, f"{f}/") or self.text(_ATTACH_SHORT, f"{f}/") for f in folders)
        return [squash(name) for name in names if squash(name)]

    def body(self, limits: ParseLimits) -> str:
        plain = self.text(_BODY)
        if plain.strip():
            return plain
        html = self.raw(_HTML, "0102") or (self.text(_HTML).encode("utf-8") or None)
        if html:
            return fragment_text(
                html.decode(self.codepage, "replace") if self.codepage else decode_text(html)
            )
        rtf = self.raw(_RTF, "0102")
        if rtf:
            return parse_rtf(decompress_rtf(rtf, limits.max_chars * 4), "body.rtf", limits).text
        return ""


def parse_msg(data: bytes, filename: str, limits: ParseLimits) -> ParsedContent:
    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except (OSError, ValueError) as exc:  # olefile raises OSError subclasses for damaged files
        raise ParseError(f"msg: damaged compound file ({squash(str(exc))[:120]})") from None
    with ole:
        message = _Message(ole)
        subject = squash(message.text(_SUBJECT))
        address = message.text(_SENDER_SMTP) or message.text(_SENDER_ADDRESS)
        sender = squash(
            " ".join(filter(None, (message.text(_SENDER_NAME), f"<{address}>" if address else "")))
        )
        headers = {"Subject": subject, "From": sender, "To": squash(message.text(_TO))}
        headers |= {"Cc": squash(message.text(_CC)), "Date": message.date() or ""}
        attachments = message.attachments()
        body = [tidy_lines(block) for block in _PARAGRAPH_BREAK.split(message.body(limits))]
        message_class = squash(message.text(_CLASS))
    smime_class = "SMIME" in message_class.upper() and "SIGNED" not in message_class.upper()
    sealed = any(name.lower().endswith((".p7m", ".pgp-encrypted")) for name in attachments)
    if not any(body) and (smime_class or sealed):
        raise ParseError("msg: encrypted (S/MIME or PGP) message; its body cannot be read")
    builder = TextBuilder(limits.max_chars)
    builder.paragraph("\n".join(f"{name}: {value}" for name, value in headers.items() if value))
    for block in body:
        builder.paragraph(block)
    if attachments:
        builder.paragraph("Attachments: " + ", ".join(attachments))
    metadata: dict[str, Any] = {
        key.lower(): value for key, value in headers.items() if value and key != "Subject"
    }
    if sender:
        metadata["author"] = sender
    to_and_cc = [squash(name) for value in (headers["To"], headers["Cc"]) for name in value.split(";")]
    if any(to_and_cc):
        metadata["recipients"] = list(dict.fromkeys(name for name in to_and_cc if name))
    if headers["Date"]:
        metadata["updated_at"] = headers["Date"]
    return builder.build("msg", subject or None, metadata)
