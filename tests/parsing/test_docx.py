"""Word documents: sections, tables, headers/footers, notes, text boxes, altChunks, docm/dotx, XML bombs."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from docx import Document

from kmingest.parsing import ParseError, ParseLimits, parse_bytes
from kmingest.parsing.docx import parse_docx

from .builders import policy_docx
from .office_builders import (
    REL,
    W_NS,
    Part,
    para,
    raw_docx,
    text_box,
    with_main_content_type,
    with_member,
    word_xml,
    write_long_docx,
)


def test_headings_become_nested_section_paths() -> None:
    content = parse_bytes(policy_docx(), "policy.docx")
    paths = [section.path for section in content.sections]
    assert paths == [("Leave Policy",), ("Leave Policy", "Scope"), ("Exceptions",)]
    scope = content.sections[1]
    assert content.text[scope.start : scope.end].startswith("Scope\n\nIt applies to all permanent staff.")
    assert "Annual | 25 | yes" in content.text[scope.start : scope.end]


def test_table_cells_are_in_document_order_and_merged_cells_appear_once() -> None:
    text = parse_bytes(policy_docx(), "policy.docx").text
    assert text.index("permanent staff") < text.index("Type | Days | Paid") < text.index("Ask your manager")
    assert "Sick | as needed" in text
    assert text.count("as needed") == 1


def test_header_and_footer_text_once_at_the_end_outside_sections() -> None:
    content = parse_bytes(policy_docx(), "policy.docx")
    assert content.text.count("ACME Confidential") == 1
    assert content.text.endswith("ACME Confidential")
    assert all(section.end < content.text.index("ACME Confidential") for section in content.sections)


def test_core_properties() -> None:
    content = parse_bytes(policy_docx(), "policy.docx")
    assert content.title == "Leave Policy"
    assert content.doc_type == "docx"
    assert content.metadata["author"] == "HR Team"
    assert "created" in content.metadata


def test_docx_renamed_bin_is_still_a_docx() -> None:
    content = parse_bytes(policy_docx(), "attachment-0042.bin")
    assert content.doc_type == "docx"
    assert "Exceptions need director approval." in content.text


def test_title_falls_back_to_the_first_heading_and_title_style_opens_a_section() -> None:
    doc = Document()
    doc.add_heading("Travel Guide", level=0)  # the "Title" style
    doc.add_paragraph("Book early.")
    buffer = io.BytesIO()
    doc.save(buffer)
    content = parse_bytes(buffer.getvalue(), "guide.docx")
    assert content.title == "Travel Guide"
    assert content.sections[0].path == ("Travel Guide",)


FOOTNOTES = f"{REL}/footnotes"
ENDNOTES = f"{REL}/endnotes"
ALT_CHUNK = f"{REL}/aFChunk"
WORD_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml"


def _heading(text: str) -> str:
    return f'<w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t>{text}</w:t></w:r></w:p>'


def test_footnotes_and_endnotes_follow_the_body_outside_its_sections_without_separator_notes() -> None:
    separators = (
        '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>'
        '<w:footnote w:type="continuationNotice" w:id="0">'
        + para("(continued on next page)")
        + "</w:footnote>"
    )
    footnotes = word_xml(
        "footnotes",
        separators + '<w:footnote w:id="1">' + para("Source: audited accounts, note 7.") + "</w:footnote>",
    )
    endnotes = word_xml(
        "endnotes", '<w:endnote w:id="1">' + para("Offset by lower energy prices.") + "</w:endnote>"
    )
    body = (
        _heading("Audit findings")
        + para("Revenue grew 12 percent.", '<w:r><w:footnoteReference w:id="1"/></w:r>')
        + para("Costs fell.", '<w:r><w:endnoteReference w:id="1"/></w:r>')
    )
    data = raw_docx(
        body,
        [
            Part("word/footnotes.xml", f"{WORD_TYPE}.footnotes+xml", FOOTNOTES, footnotes),
            Part("word/endnotes.xml", f"{WORD_TYPE}.endnotes+xml", ENDNOTES, endnotes),
        ],
    )
    content = parse_bytes(data, "report.docx")
    assert content.text == (
        "Audit findings\n\nRevenue grew 12 percent.\n\nCosts fell.\n\n"
        "Source: audited accounts, note 7.\n\nOffset by lower energy prices."
    )
    assert [(s.path, content.text[s.start : s.end]) for s in content.sections] == [
        (("Audit findings",), "Audit findings\n\nRevenue grew 12 percent.\n\nCosts fell.")
    ]


def test_text_boxes_are_their_own_paragraphs_once_not_run_into_the_paragraph() -> None:
    anchored = (
        '<w:p><w:r><w:t xml:space="preserve">Sales rose in the north </w:t></w:r>'
        + text_box("Target for 2025: 4.2 million")
        + "<w:r><w:t>and held in the south.</w:t></w:r></w:p>"
    )
    vml_only = (
        "<w:p><w:r><w:t>See the note.</w:t></w:r><w:r><w:pict><v:shape><v:textbox><w:txbxContent>"
        + para("Old VML box: call the hotline")
        + "</w:txbxContent></v:textbox></v:shape></w:pict></w:r></w:p>"
    )
    cell = "<w:tbl><w:tr><w:tc>" + para("Region", text_box("Boxed cell note")) + "</w:tc><w:tc>"
    table = cell + para("North") + "</w:tc></w:tr></w:tbl>"
    content = parse_bytes(raw_docx(anchored + para("Next paragraph.") + vml_only + table), "sales.docx")
    assert content.text.split("\n\n") == [
        "Sales rose in the north and held in the south.",
        "Target for 2025: 4.2 million",
        "Next paragraph.",
        "See the note.",
        "Old VML box: call the hotline",
        "Region Boxed cell note | North",
    ]


MHT = (
    b'MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary="part"\r\n\r\n--part\r\n'
    b'Content-Type: text/html; charset="utf-8"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n'
    b"<html><body><h1>Relocation guide</h1><p>Movers arrive on Monday =E2=80=93 pack the d=\r\nesk.</p>"
    b"</body></html>\r\n--part--\r\n"
)
HTML = "<html><body><h1>Relocation guide</h1><p>Movers arrive on Monday – pack the desk.</p></body></html>"


@pytest.mark.parametrize(
    ("name", "content_type", "data"),
    [("word/afchunk.htm", "text/html", HTML.encode()), ("word/afchunk.mht", "message/rfc822", MHT)],
)
def test_a_body_that_is_only_an_altchunk_is_parsed_as_html(name: str, content_type: str, data: bytes) -> None:
    docx = raw_docx('<w:altChunk r:id="rIdX0"/>', [Part(name, content_type, ALT_CHUNK, data)])
    content = parse_bytes(docx, "import.docx")
    assert content.text == "Relocation guide\n\nMovers arrive on Monday – pack the desk."
    assert content.sections[0].path == ("Relocation guide",)
    assert content.title == "Relocation guide"


def test_altchunk_in_place_between_paragraphs_and_unknown_kinds_counted() -> None:
    parts = [
        Part("word/a.html", "text/html", ALT_CHUNK, b"<p>Imported middle part.</p>"),
        Part("word/b.rtf", "application/rtf", ALT_CHUNK, b"{\\rtf1 not read}"),
    ]
    body = para("Before.") + '<w:altChunk r:id="rIdX0"/>' + para("After.") + '<w:altChunk r:id="rIdX1"/>'
    content = parse_bytes(raw_docx(body, parts), "mixed.docx")
    assert content.text == "Before.\n\nImported middle part.\n\nAfter."
    assert content.metadata["alt_chunks_skipped"] == 1


@pytest.mark.parametrize(
    "content_type",
    [
        "application/vnd.ms-word.document.macroEnabled.main+xml",  # .docm
        f"{WORD_TYPE}.template.main+xml",  # .dotx
        "application/vnd.ms-word.template.macroEnabledTemplate.main+xml",  # .dotm
    ],
)
def test_macro_enabled_documents_and_templates_parse_like_docx(content_type: str) -> None:
    data = with_main_content_type(policy_docx(), content_type)
    with pytest.raises(ValueError, match="not a Word file"):
        Document(io.BytesIO(data))  # what python-docx says about these files
    content = parse_docx(data, "policy.docm", ParseLimits())
    assert "Exceptions need director approval." in content.text
    assert content.sections[0].path == ("Leave Policy",)
    assert content.metadata["author"] == "HR Team"


def test_one_paragraph_with_a_huge_xml_body_is_refused_with_a_reason() -> None:
    runs = "<w:r><w:rPr><w:b/></w:rPr><w:t>x</w:t></w:r>" * 450_000  # ~18 MB of XML in one paragraph
    with pytest.raises(
        ParseError, match=r"^docx: word/document\.xml: one element holds more than 16777216 bytes"
    ):
        parse_docx(raw_docx(f"<w:p>{runs}</w:p>"), "bomb.docx", ParseLimits())


_MEASURE = """
import json, resource, sys
from kmingest.parsing import ParseError, ParseLimits, parse_bytes
data = open(sys.argv[1], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
results = {}
for max_chars in (100_000, 5_000_000):
    try:
        results[max_chars] = parse_bytes(data, "long.docx", ParseLimits(max_chars=max_chars)).text[-40:]
    except ParseError as exc:
        results[max_chars] = str(exc)
grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
print(json.dumps({"grown_mb": grown, "results": results}))
"""


def test_a_large_document_xml_is_streamed_with_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "long.docx"
    write_long_docx(path, 120_000, "filler", "Closing remark: archive after ten years")
    with zipfile.ZipFile(path) as archive:
        assert archive.getinfo("word/document.xml").file_size > 16_000_000  # the old tree grew ~230 MB
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(path)], capture_output=True, text=True, check=True
    )
    measured = json.loads(done.stdout)
    assert measured["results"]["100000"] == "extracted text too long: more than max_chars=100000 characters"
    assert measured["results"]["5000000"].endswith("Closing remark: archive after ten years")
    assert measured["grown_mb"] < 60


def test_broken_or_foreign_main_parts_fail_with_stable_reasons() -> None:
    broken = raw_docx(para("Unclosed <w:p>"))
    with pytest.raises(ParseError, match=r"^docx: part word/document\.xml is not well-formed XML$"):
        parse_bytes(broken, "broken.docx")
    strict_xml = word_xml("document", "<w:body/>").replace(
        W_NS.encode(), b"http://purl.oclc.org/ooxml/wordprocessingml/main"
    )
    strict = with_member(raw_docx(""), "word/document.xml", strict_xml)
    with pytest.raises(
        ParseError, match=r"^docx: strict OOXML \(ISO/IEC 29500 strict\) Word documents are not"
    ):
        parse_bytes(strict, "strict.docx")


def test_an_imported_word_document_altchunk_is_read_in_place() -> None:
    imported = Part("word/chunk1.docx", f"{WORD_TYPE}.document.main+xml", ALT_CHUNK, policy_docx())
    content = parse_bytes(
        raw_docx(para("Cover letter.") + '<w:altChunk r:id="rIdX0"/>', [imported]), "merged.docx"
    )
    assert content.text.startswith("Cover letter.\n\nLeave Policy\n\nThis policy explains how leave works.")
    assert "Exceptions need director approval." in content.text
    assert [s.path for s in content.sections][:2] == [("Leave Policy",), ("Leave Policy", "Scope")]
