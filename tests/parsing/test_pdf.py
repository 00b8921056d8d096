"""PDF: text per page, metadata, encryption (RC4, AES-128/256) and the page limit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kmingest.parsing import ParseError, ParseLimits, parse_bytes

from .builders import encrypted_pdf, pdf_bytes
from .office_builders import aes_pdf, is_aes


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


@pytest.mark.parametrize("algorithm", ["AES-128", "AES-256"])
def test_aes_encrypted_with_an_empty_user_password_is_read(algorithm: str) -> None:
    data = aes_pdf("Merger term sheet, draft 3", "", algorithm)
    assert is_aes(data)
    content = parse_bytes(data, "terms.pdf")
    assert content.text == "Merger term sheet, draft 3"
    assert content.metadata["pages"] == 1


@pytest.mark.parametrize("algorithm", ["AES-128", "AES-256"])
def test_aes_encrypted_with_a_user_password_fails_saying_a_password_is_needed(algorithm: str) -> None:
    data = aes_pdf("Merger term sheet, draft 3", "s3cret", algorithm)
    with pytest.raises(ParseError, match=r"^pdf: encrypted, no password: opening it needs a user password"):
        parse_bytes(data, "locked-terms.pdf")


_WITHOUT_CRYPTOGRAPHY = """
import sys
sys.modules["cryptography"] = None  # as on a machine where the package is not installed
from kmingest.parsing import ParseError, parse_bytes
try:
    parse_bytes(open(sys.argv[1], "rb").read(), "terms.pdf")
except ParseError as exc:
    print(exc)
"""


@pytest.mark.parametrize("algorithm", ["AES-128", "AES-256"])
def test_aes_without_the_cryptography_package_fails_naming_it(tmp_path: Path, algorithm: str) -> None:
    path = tmp_path / "terms.pdf"
    path.write_bytes(aes_pdf("Merger term sheet", "", algorithm))
    done = subprocess.run(
        [sys.executable, "-c", _WITHOUT_CRYPTOGRAPHY, str(path)], capture_output=True, text=True, check=True
    )
    assert (
        done.stdout.strip()
        == "pdf: encrypted with AES, cannot decrypt (the 'cryptography' package is not installed)"
    )
