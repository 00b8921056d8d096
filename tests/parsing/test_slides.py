"""PowerPoint .pptx family: slide titles as sections, body text in reading order, tables, speaker notes."""

from __future__ import annotations

import io
import zipfile

import pytest
from pptx import Presentation
from pptx.util import Inches

from kmingest.parsing import ParseError, ParseLimits, parse_bytes


def deck() -> bytes:
    prs = Presentation()
    first = prs.slides.add_slide(prs.slide_layouts[1])  # title and content
    first.shapes.title.text = "Torque Wrench Calibration"
    first.placeholders[1].text = "Calibrate every 5000 cycles"
    first.notes_slide.notes_text_frame.text = "Remind the night shift"
    second = prs.slides.add_slide(prs.slide_layouts[5])  # title only
    second.shapes.title.text = "Intervals"
    table = second.shapes.add_table(2, 2, Inches(1), Inches(2), Inches(4), Inches(1)).table
    for r, row in enumerate([("Tool", "Days"), ("Wrench", "90")]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    box = second.shapes.add_textbox(Inches(1), Inches(5), Inches(4), Inches(1))
    box.text_frame.text = "Below the table"
    prs.slides.add_slide(prs.slide_layouts[6])  # blank: adds nothing
    buffer = io.BytesIO()
    prs.save(buffer)
    return buffer.getvalue()


_MAIN = b"application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"


def with_content_type(data: bytes, content_type: str) -> bytes:
    """The same package declared as a slide show (.ppsx) or template (.potx)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            body = source.read(item)
            if item.filename == "[Content_Types].xml":
                body = body.replace(_MAIN, content_type.encode())
            target.writestr(item, body)
    return out.getvalue()


def test_slides_become_sections_with_table_and_notes() -> None:
    content = parse_bytes(deck(), "training.pptx")
    assert content.doc_type == "pptx"
    assert content.title == "Torque Wrench Calibration"
    assert content.text.split("\n\n") == [
        "Torque Wrench Calibration",
        "Calibrate every 5000 cycles",
        "Notes: Remind the night shift",
        "Intervals",
        "Tool | Days\nWrench | 90",
        "Below the table",
    ]
    assert [s.path for s in content.sections] == [("Torque Wrench Calibration",), ("Intervals",)]
    assert content.metadata["slides"] == 3


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("show.ppsx", "application/vnd.openxmlformats-officedocument.presentationml.slideshow.main+xml"),
        ("template.potx", "application/vnd.openxmlformats-officedocument.presentationml.template.main+xml"),
        ("macros.pptm", "application/vnd.ms-powerpoint.presentation.macroEnabled.main+xml"),
        ("macros.ppsm", "application/vnd.ms-powerpoint.slideshow.macroEnabled.main+xml"),
    ],
)
def test_slide_show_template_and_macro_packages_are_read_too(name: str, content_type: str) -> None:
    content = parse_bytes(with_content_type(deck(), content_type), name)
    assert "Calibrate every 5000 cycles" in content.text


def test_a_broken_deck_fails_with_a_reason_naming_pptx() -> None:
    data = deck()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            if item.filename != "ppt/presentation.xml":
                target.writestr(item, source.read(item))
    with pytest.raises(ParseError, match=r"^pptx: ") as caught:
        parse_bytes(out.getvalue(), "broken.pptx")
    assert "0x" not in str(caught.value)


def test_character_limit_holds() -> None:
    with pytest.raises(ParseError, match="max_chars=20"):
        parse_bytes(deck(), "training.pptx", ParseLimits(max_chars=20))
