"""Word documents: headings become section paths, tables stay in place, headers/footers once."""

from __future__ import annotations

import io

from docx import Document

from kmingest.parsing import parse_bytes

from .builders import policy_docx


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
