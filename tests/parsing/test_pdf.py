"""PDF: text per page, metadata, encryption and the page limit."""

from __future__ import annotations

import pytest

from kmingest.parsing import ParseError, ParseLimits, parse_bytes

from .builders import encrypted_pdf, pdf_bytes


def test_pages_are_joined_with_blank_lines_and_offsets_recorded() -> None:
    content = parse_bytes(pdf_bytes(["Invoice 1001", "Total due 250 EUR"], title="Invoice"), "inv.pdf")
    assert content.text == "Invoice 1001\n\nTotal due 250 EUR"
    assert content.title == "Invoice"
    assert content.metadata["pages"] == 2
    assert content.metadata["author"] == "Test Author"
    assert content.metadata["page_offsets"] == [0, content.text.index("Total")]


def test_title_falls_back_to_the_first_line() -> None:
    content = parse_bytes(pdf_bytes(["Meeting notes", "more"]), "scan-0001.pdf")
    assert content.title == "Meeting notes"


def test_encrypted_with_empty_password_is_read() -> None:
    assert parse_bytes(encrypted_pdf(""), "open.pdf").text == "Secret plans"


def test_encrypted_with_a_password_fails_with_a_reason() -> None:
    with pytest.raises(ParseError, match="pdf: encrypted, no password"):
        parse_bytes(encrypted_pdf("s3cret"), "locked.pdf")


def test_page_limit() -> None:
    with pytest.raises(ParseError, match="max_pdf_pages=2"):
        parse_bytes(pdf_bytes(["a", "b", "c"]), "long.pdf", ParseLimits(max_pdf_pages=2))


def test_garbage_after_the_magic_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match=r"^pdf: "):
        parse_bytes(b"%PDF-1.7\n" + b"\x00garbage" * 50, "broken.pdf")
