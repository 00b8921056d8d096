"""OpenDocument text, spreadsheet and presentation files, built by hand as the zip + XML they are."""

from __future__ import annotations

import io
import zipfile

import pytest

from kmingest.parsing import ParseError, ParseLimits, UnsupportedFormat, parse_bytes, sniff

_ROOT = (
    '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
    'xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0">'
    "<office:body>{body}</office:body></office:document-content>"
)
_META = (
    '<office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/"><office:meta><dc:title>{title}</dc:title>'
    "</office:meta></office:document-meta>"
)


def odf(
    kind: str, body: str, title: str = "", manifest: str = "<manifest/>", prolog: str = "", meta: str = ""
) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", f"application/vnd.oasis.opendocument.{kind}", zipfile.ZIP_STORED)
        archive.writestr("META-INF/manifest.xml", manifest)
        archive.writestr("content.xml", prolog + _ROOT.format(body=body))
        if title:
            archive.writestr(
                "meta.xml", _META.format(title=title).replace("</office:meta>", meta + "</office:meta>")
            )
    return buffer.getvalue()


TEXT = (
    "<office:text>"
    '<text:h text:outline-level="1">Leave Policy</text:h>'
    "<text:p>Staff get<text:s text:c='2'/>25 days.<text:note><text:note-citation>1</text:note-citation>"
    "<text:note-body><text:p>Part-time staff pro rata.</text:p></text:note-body></text:note></text:p>"
    '<text:h text:outline-level="2">质量部</text:h>'
    "<text:list><text:list-item><text:p>First item</text:p></text:list-item></text:list>"
    "<table:table><table:table-row><table:table-cell><text:p>Type</text:p></table:table-cell>"
    "<table:table-cell><text:p>Days</text:p></table:table-cell></table:table-row>"
    "<table:table-row><table:table-cell><text:p>Sick</text:p></table:table-cell>"
    "<table:table-cell><text:p>10</text:p></table:table-cell></table:table-row></table:table>"
    "<text:tracked-changes><text:p>deleted words</text:p></text:tracked-changes>"
    "</office:text>"
)


def test_odt_headings_paragraphs_notes_lists_and_tables() -> None:
    content = parse_bytes(odf("text", TEXT, title="HR Handbook"), "handbook.odt")
    assert content.doc_type == "odt"
    assert content.title == "HR Handbook"
    assert content.text.split("\n\n") == [
        "Leave Policy",
        "Staff get 25 days.",
        "Note: Part-time staff pro rata.",
        "质量部",
        "- First item",
        "Type | Days\nSick | 10",
    ]
    assert [s.path for s in content.sections] == [("Leave Policy",), ("Leave Policy", "质量部")]


def test_odt_creation_and_last_saved_dates_become_created_at_and_updated_at() -> None:
    meta = (
        '<meta:creation-date xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0">'
        "2017-03-01T08:30:00.123456789</meta:creation-date><dc:date>2021-06-05T09:15:00+08:00</dc:date>"
    )
    content = parse_bytes(odf("text", TEXT, title="HR Handbook", meta=meta), "handbook.odt")
    assert content.metadata["created_at"] == "2017-03-01T08:30:00+00:00"  # no zone written: taken as UTC
    assert content.metadata["updated_at"] == "2021-06-05T09:15:00+08:00"
    assert "created_at" not in parse_bytes(odf("text", TEXT, title="HR Handbook"), "h.odt").metadata


def test_ods_sheets_read_like_xlsx_and_respect_the_row_limit() -> None:
    sheet = (
        '<office:spreadsheet><table:table table:name="Staff">'
        "<table:table-row><table:table-cell><text:p>Name</text:p></table:table-cell>"
        "<table:table-cell><text:p>City</text:p></table:table-cell>"
        '<table:table-cell table:number-columns-repeated="1000"/></table:table-row>'
        "<table:table-row><table:table-cell><text:p>Alice</text:p></table:table-cell>"
        "<table:table-cell><text:p>Berlin</text:p></table:table-cell></table:table-row>"
        '<table:table-row table:number-rows-repeated="1048000"><table:table-cell/></table:table-row>'
        "</table:table></office:spreadsheet>"
    )
    content = parse_bytes(odf("spreadsheet", sheet), "staff.ods")
    assert content.text == "Staff\n\nName | City\nName: Alice; City: Berlin"
    with pytest.raises(ParseError, match="max_sheet_rows=1"):
        parse_bytes(odf("spreadsheet", sheet), "staff.ods", ParseLimits(max_sheet_rows=1))


def test_odp_slides_with_titles_and_speaker_notes() -> None:
    slides = (
        '<office:presentation><draw:page draw:name="page1">'
        '<draw:frame presentation:class="title"><draw:text-box><text:p>Quarterly Review</text:p>'
        "</draw:text-box></draw:frame>"
        '<draw:frame presentation:class="outline"><draw:text-box><text:p>Revenue up 12%</text:p>'
        "</draw:text-box></draw:frame>"
        '<presentation:notes><draw:frame presentation:class="notes"><draw:text-box>'
        "<text:p>Mention the new plant</text:p></draw:text-box></draw:frame></presentation:notes>"
        "</draw:page></office:presentation>"
    )
    content = parse_bytes(odf("presentation", slides), "review.odp")
    assert content.text == "Quarterly Review\n\nRevenue up 12%\n\nNotes: Mention the new plant"
    assert content.title == "Quarterly Review"


def test_entities_are_not_expanded() -> None:
    body = "<office:text><text:p>&secret;</text:p></office:text>"
    doctype = '<!DOCTYPE x [<!ENTITY secret "expanded entity text">]>'
    content = parse_bytes(odf("text", body, prolog=doctype), "evil.odt")
    assert "expanded entity text" not in content.text


def test_password_protected_and_broken_files_fail_with_reasons() -> None:
    locked = odf("text", TEXT, manifest="<manifest><manifest:encryption-data/></manifest>")
    with pytest.raises(ParseError, match=r"^odt: encrypted"):
        parse_bytes(locked, "locked.odt")
    with pytest.raises(ParseError, match=r"^ods: content\.xml is not well-formed"):
        parse_bytes(odf("spreadsheet", "<unclosed>"), "broken.ods")


@pytest.mark.parametrize(
    ("kind", "expected"), [("base", "odb"), ("graphics", "odg"), ("text-template", "odt")]
)
def test_each_opendocument_kind_has_its_own_name(kind: str, expected: str) -> None:
    assert sniff(odf(kind, ""), "file.odt") == expected


def test_database_and_drawing_are_skipped_with_their_names() -> None:
    with pytest.raises(UnsupportedFormat, match="OpenDocument database"):
        parse_bytes(odf("base", ""), "crm.odb")
    with pytest.raises(UnsupportedFormat, match="OpenDocument drawing"):
        parse_bytes(odf("graphics", ""), "plan.odt")
