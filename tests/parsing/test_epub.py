"""EPUB: chapters in spine order (not file order), headings as sections, DRM refused with a reason."""

from __future__ import annotations

import io
import zipfile

import pytest

from kmingest.parsing import ParseError, ParseLimits, parse_bytes, sniff

CONTAINER = (
    '<container xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles>'
    '<rootfile full-path="OEBPS/book.opf" media-type="application/oebps-package+xml"/>'
    "</rootfiles></container>"
)
OPF = (
    '<package xmlns="http://www.idpf.org/2007/opf" xmlns:dc="http://purl.org/dc/elements/1.1/">'
    "<metadata><dc:title>Shop Floor Guide</dc:title><dc:creator>Production</dc:creator></metadata>"
    '<manifest><item id="c1" href="text/one.xhtml" media-type="application/xhtml+xml"/>'
    '<item id="c2" href="text/two.xhtml" media-type="application/xhtml+xml"/></manifest>'
    '<spine><itemref idref="c2"/><itemref idref="c1"/></spine></package>'
)


def chapter(heading: str, text: str) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/xhtml">'
        f"<head><title>ignored</title></head><body><h1>{heading}</h1><p>{text}</p></body></html>"
    )


def epub(encryption: str = "", opf: str = OPF) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/epub+zip", zipfile.ZIP_STORED)
        archive.writestr("META-INF/container.xml", CONTAINER)
        if encryption:
            archive.writestr("META-INF/encryption.xml", encryption)
        archive.writestr("OEBPS/book.opf", opf)
        archive.writestr("OEBPS/text/one.xhtml", chapter("安全守则", "进入车间必须佩戴安全帽。"))
        archive.writestr("OEBPS/text/two.xhtml", chapter("Welcome", "Read this before your first shift."))
    return buffer.getvalue()


def test_chapters_follow_the_spine_with_sections_and_title() -> None:
    data = epub()
    assert sniff(data, "guide.zip") == "epub"
    content = parse_bytes(data, "guide.epub")
    assert content.doc_type == "epub"
    assert content.title == "Shop Floor Guide"
    assert (
        content.text
        == "Welcome\n\nRead this before your first shift.\n\n安全守则\n\n进入车间必须佩戴安全帽。"
    )
    assert [s.path for s in content.sections] == [("Welcome",), ("安全守则",)]
    assert content.metadata["author"] == "Production"
    assert "created_at" not in content.metadata and "updated_at" not in content.metadata  # none given


def test_the_books_dates_become_created_at_and_updated_at() -> None:
    dates = (
        "<dc:date>2019-04-02</dc:date>"
        '<meta property="dcterms:modified">2024-11-05T08:30:00Z</meta><dc:creator>Production</dc:creator>'
    )
    content = parse_bytes(epub(opf=OPF.replace("<dc:creator>Production</dc:creator>", dates)), "g.epub")
    assert content.metadata["created_at"] == "2019-04-02T00:00:00+00:00"
    assert content.metadata["updated_at"] == "2024-11-05T08:30:00+00:00"
    unreadable = OPF.replace("<dc:creator>Production</dc:creator>", "<dc:date>spring 2019</dc:date>")
    assert "created_at" not in parse_bytes(epub(opf=unreadable), "g.epub").metadata  # not a date: left out


def test_drm_protected_book_fails_with_a_reason() -> None:
    encryption = (
        '<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" '
        'xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData><enc:CipherData>'
        '<enc:CipherReference URI="OEBPS/text/one.xhtml"/></enc:CipherData></enc:EncryptedData></encryption>'
    )
    with pytest.raises(ParseError, match=r"^epub: encrypted \(DRM"):
        parse_bytes(epub(encryption), "locked.epub")


def test_missing_package_document_and_limits() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/epub+zip")
        archive.writestr("OEBPS/x.xhtml", "<p>x</p>")
    with pytest.raises(ParseError, match=r"^epub: META-INF/container\.xml missing"):
        parse_bytes(buffer.getvalue(), "broken.epub")
    with pytest.raises(ParseError, match="max_chars=30"):
        parse_bytes(epub(), "guide.epub", ParseLimits(max_chars=30))


def test_a_zip_feature_python_cannot_read_fails_the_book_instead_of_escaping() -> None:
    data = bytearray(epub())
    central = data.index(b"PK\x01\x02")
    data[central + 6 : central + 8] = (255).to_bytes(2, "little")  # "version needed to extract": 25.5
    with pytest.raises(ParseError, match=r"^epub: "):
        parse_bytes(bytes(data), "future.epub")
