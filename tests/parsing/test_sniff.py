"""Format detection looks at the bytes first; the extension only breaks ties."""

from __future__ import annotations

import pytest

from kmingest.parsing import sniff

from .builders import ole2, pdf_bytes, policy_docx, staff_xlsx
from .compound_files import compound_file


def test_office_zips_are_told_apart_by_member_names_not_extension() -> None:
    assert sniff(policy_docx(), "upload.bin") == "docx"
    assert sniff(staff_xlsx(), "report.docx") == "xlsx"


def test_pdf_by_magic_even_with_a_wrong_name() -> None:
    assert sniff(pdf_bytes(["hello"]), "scan.txt") == "pdf"


@pytest.mark.parametrize(
    ("stream", "expected"),
    [
        ("WordDocument", "doc"),
        ("Workbook", "xls"),
        ("PowerPoint Document", "ppt"),
        ("__substg1.0_0037001F", "msg"),
    ],
)
def test_legacy_office_files_are_named_by_their_ole2_streams(stream: str, expected: str) -> None:
    assert sniff(ole2(stream), "file.dat") == expected


def test_password_protected_office_file_is_recognised() -> None:
    assert sniff(ole2("EncryptedPackage"), "budget.xlsx") == "encrypted-office"


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        (b"<!DOCTYPE html><html><body><p>Hi</p></body></html>", "notes.txt", "html"),
        (b"<body><table><tr><td>x</td></tr></table>", "page", "html"),
        (b'<?xml version="1.0"?><rss><channel><title>t</title></channel></rss>', "feed", "xml"),
        (b'{"name": "Alice", "age": 30}', "data.txt", "json"),
        (b'{"a": 1}\n{"a": 2}\n', "log.txt", "ndjson"),
        (b"From: a@example.com\nTo: b@example.com\nSubject: Hi\n\nBody", "mail.txt", "eml"),
        (b"# Title\n\nSome text", "readme.md", "md"),
        (b"a;b\n1;2\n", "export.csv", "csv"),
        (b"a\tb\n1\t2\n", "export.tsv", "tsv"),
        (b"Just some plain words.", "notes.txt", "txt"),
        (b"\x89PNG\r\n\x1a\n" + bytes(20), "photo.txt", "image"),
        (b"{\\rtf1\\ansi hello}", "letter.doc", "rtf"),
        (b"\x00\x01\x02\x03 binary junk \x00\x00", "blob.dat", "binary"),
    ],
)
def test_content_decides(data: bytes, name: str, expected: str) -> None:
    assert sniff(data, name) == expected


def test_utf16_text_without_bom_is_text_not_binary() -> None:
    assert sniff("plain words here".encode("utf-16-le"), "notes.txt") == "txt"


def test_unreadable_zip_falls_back_to_the_extension() -> None:
    assert sniff(b"PK\x03\x04" + b"\x00" * 40, "report.xlsx") == "xlsx"
    assert sniff(b"PK\x03\x04" + b"\x00" * 40, "bundle.zip") == "zip"


@pytest.mark.parametrize("name", ["macros.docm", "letter.dotx", "letter.dotm"])
def test_word_macro_and_template_files_are_docx(name: str) -> None:
    assert sniff(policy_docx(), name) == "docx"


@pytest.mark.parametrize(
    ("brand", "name", "expected"),
    [(b"M4A ", "voice.m4a", "audio"), (b"isom", "voice.m4a", "audio"), (b"isom", "clip.mp4", "video")],
)
def test_m4a_is_audio_not_video(brand: bytes, name: str, expected: str) -> None:
    assert sniff(b"\x00\x00\x00\x20ftyp" + brand + bytes(20), name) == expected


def test_a_workbook_is_told_from_a_document_by_its_root_stream_not_by_text_inside_it() -> None:
    # olefile cannot read this fake directory, so the byte scan decides: Workbook comes before WordDocument
    data = ole2("Workbook") + "WordDocument".encode("utf-16-le")
    assert sniff(data, "report.xls") == "xls"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("deck.ppsx", "pptx"),
        ("book.epub", "epub"),
        ("sheet.xlsb", "xlsb"),
        ("notes.odt", "odt"),
        ("db.odb", "odb"),
    ],
)
def test_unreadable_zip_trusts_the_office_extension(name: str, expected: str) -> None:
    assert sniff(b"PK\x03\x04" + b"\x00" * 40, name) == expected


def test_embedded_objects_do_not_change_what_an_ole2_file_is() -> None:
    workbook_with_a_word_object = compound_file(
        {"Workbook": b"\x09\x08", "MBD0001/WordDocument": b"\xec\xa5", "MBD0001/1Table": b""}
    )
    assert sniff(workbook_with_a_word_object, "budget.xls") == "xls"
    document_with_a_chart = compound_file(
        {"WordDocument": b"\xec\xa5", "ObjectPool/_1234/Workbook": b"\x09\x08", "1Table": b""}
    )
    assert sniff(document_with_a_chart, "report.doc") == "doc"
