"""Outlook .msg: headers and body from the MAPI property streams, in messages built here as compound
files and in the real messages of the shared files, and the compressed-RTF body format (LZFu) that many
messages carry instead of plain text."""

from __future__ import annotations

import struct
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kmingest.models import ParsedContent
from kmingest.parsing import ParseError, parse_bytes, sniff
from kmingest.parsing.outlook import decompress_rtf

from .compound_files import compound_file

FILES = Path(__file__).parents[2].parent / "shared" / "data" / "files" / "unstructured"
needs_files = pytest.mark.skipif(not FILES.is_dir(), reason=f"{FILES} is not available")


def lzfu(rtf: bytes) -> bytes:
    """Literal-only LZFu: a flag byte of zeros before each 8 literals, then the end-of-stream reference."""
    body = bytearray()
    for start in range(0, len(rtf), 8):
        chunk = rtf[start : start + 8]
        if len(chunk) < 8:  # the flag byte's next bit marks the end reference
            body += bytes([1 << len(chunk)]) + chunk
            break
        body += b"\x00" + chunk
    else:
        body += b"\x01"
    end = (207 + len(rtf)) % 4096  # the reference pointing at the write position ends the stream
    body += struct.pack(">H", end << 4)
    return struct.pack("<IIII", len(body) + 12, len(rtf), 0x75465A4C, 0) + bytes(body)


def test_lzfu_compressed_rtf_body_is_decompressed() -> None:
    rtf = rb"{\rtf1\ansi\ansicpg936 \'d6\'ca\'c1\'bf report\par}"
    assert decompress_rtf(lzfu(rtf), 10_000) == rtf
    assert decompress_rtf(lzfu(rtf), 10) == rtf[:10]
    stored = struct.pack("<IIII", len(rtf) + 12, len(rtf), 0x414C454D, 0) + rtf  # "MELA": not compressed
    assert decompress_rtf(stored, 10_000) == rtf


def test_unknown_rtf_compression_fails_with_a_reason() -> None:
    with pytest.raises(ParseError, match=r"^msg: unknown compressed RTF body type"):
        decompress_rtf(struct.pack("<IIII", 12, 0, 0x12345678, 0), 100)


@needs_files
def test_real_messages_have_headers_body_and_attachment_names() -> None:
    content = parse_bytes((FILES / "fake-email-attachment.msg").read_bytes(), "mail.msg")
    assert content.doc_type == "msg"
    assert content.title == "Fake email with attachment"
    assert content.text.startswith(
        "Subject: Fake email with attachment\nFrom: Mallori Harrell <mallori@unstructured.io>"
    )
    assert "Here's the attachments!" in content.text
    assert content.text.endswith("Attachments: fake-attachment.txt")
    cc = parse_bytes((FILES / "fake-email-with-cc-and-bcc.msg").read_bytes(), "cc.msg")
    assert "Cc: steve@unstructured.io" in cc.text and cc.metadata["date"].startswith("2024-07-29")


@needs_files
def test_encrypted_message_fails_with_a_reason() -> None:
    with pytest.raises(ParseError, match=r"^msg: encrypted \(S/MIME or PGP\) message"):
        parse_bytes((FILES / "fake-encrypted.msg").read_bytes(), "secret.msg")


def test_damaged_message_fails_with_a_stable_reason() -> None:
    broken = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + "__substg1.0_0037001F".encode("utf-16-le")
    with pytest.raises(ParseError, match=r"^msg: damaged compound file") as caught:
        parse_bytes(broken, "broken.msg")
    assert "0x" not in str(caught.value)


def _properties(codepage: int) -> bytes:
    """__properties_version1.0: a 32-byte header, then PR_MESSAGE_CODEPAGE and PR_CLIENT_SUBMIT_TIME."""
    submitted = (datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC) - datetime(1601, 1, 1, tzinfo=UTC)) // timedelta(
        microseconds=1
    )
    return (
        bytes(32)
        + struct.pack("<IIQ", 0x3FFD0003, 0, codepage)
        + struct.pack("<IIQ", 0x00390040, 0, submitted * 10)
    )


def _message(streams: dict[str, bytes]) -> ParsedContent:
    data = compound_file(streams)
    assert sniff(data, "mail.bin") == "msg"
    return parse_bytes(data, "mail.msg")


def test_8bit_streams_use_the_message_code_page() -> None:
    content = _message(
        {
            "__properties_version1.0": _properties(936),
            "__substg1.0_0037001E": "质量周报".encode("gbk"),
            "__substg1.0_0C1A001E": "张三".encode("gbk"),
            "__substg1.0_1000001E": "本周不合格品率下降。\r\n\r\n详见附件。".encode("gbk") + b"\x00",
            "__attach_version1.0_#00000000/__substg1.0_3707001F": "报表.xlsx".encode("utf-16-le"),
        },
    )
    assert content.title == "质量周报"
    assert content.text == (
        "Subject: 质量周报\nFrom: 张三\nDate: 2024-05-06T07:08:09+00:00\n\n"
        "本周不合格品率下降。\n\n详见附件。\n\n"
        "Attachments: 报表.xlsx"
    )


def test_html_body_then_compressed_rtf_body_when_there_is_no_plain_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    html = {
        "__substg1.0_0037001F": "Hi".encode("utf-16-le"),
        "__substg1.0_10130102": b"<p>Shift <b>starts</b> at 6</p>",
    }
    assert _message(html).text.endswith("Shift starts at 6")
    rtf = {"__substg1.0_10090102": lzfu(rb"{\rtf1\ansi\ansicpg936 \'d6\'ca\'c1\'bf report\par}")}
    assert _message(rtf).text == "质量 report"
