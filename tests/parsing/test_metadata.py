"""What parsers read about a document from the document itself: its dates and author (and mail recipients),
in the shape the pipeline reads: updated_at / created_at as ISO 8601 with offset, author, recipients."""

from __future__ import annotations

import io
import re
import struct
import zipfile
from datetime import UTC, datetime, timedelta, timezone

import pytest
from docx import Document
from openpyxl import Workbook
from pptx import Presentation

from kmingest.parsing import parse_bytes
from kmingest.parsing.mailbox import read_headers
from kmingest.parsing.ooxml_package import w3cdtf
from kmingest.parsing.pdf import pdf_date
from samplegen.pdf import assemble_pdf

from .compound_files import compound_file
from .office_builders import with_member

ENRON_LIKE = (
    b"Message-ID: <18782981.1075855378110.JavaMail.evans@thyme>\r\n"
    b"Date: Mon, 14 May 2001 16:39:00 -0700 (PDT)\r\n"
    b"From: phillip.allen@enron.com\r\n"
    b"To: tim.belden@enron.com, John Lavorato <john.lavorato@enron.com>\r\n"
    b"Cc: tim.belden@enron.com\r\n"
    b"Subject: Forecast\r\n"
    b"Mime-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=us-ascii\r\n"
    b"Content-Transfer-Encoding: 7bit\r\n"
    b"X-From: Phillip K Allen\r\n"
    b"X-To: Tim Belden <Tim Belden/Enron@EnronXGate>\r\n"
    b"X-Folder: \\Phillip_Allen_Jan2002_1\\Allen, Phillip K.\\'Sent Mail\r\n"
    b"\r\n"
    b"Here is our forecast for the west desk.\r\n"
)


def procedure_docx(first_lines: list[tuple[str, str]], core_title: str = "DNMC程序") -> bytes:
    """A Chinese procedure as real ones come: core properties from 2017 and a stale template title."""
    doc = Document()
    props = doc.core_properties
    props.title, props.author, props.last_modified_by = core_title, "张伟", "李娜"
    props.created = datetime(2017, 3, 1, 8, 30)
    props.modified = datetime(2017, 6, 5, 9, 15)
    for style, text in first_lines:
        doc.add_paragraph(text, style=style)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def info_pdf(text: str, info: str) -> bytes:
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    return assemble_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents 5 0 R >>",
            b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
            info.encode("latin-1"),
        ],
        info_object=6,
    )


def test_an_enron_like_message_saved_as_txt_carries_its_date_sender_and_recipients() -> None:
    content = parse_bytes(ENRON_LIKE, "allen-p/_sent_mail/1.txt")
    assert content.doc_type == "eml"
    assert content.metadata["updated_at"] == "2001-05-14T16:39:00-07:00"
    assert content.metadata["author"] == "phillip.allen@enron.com"
    assert content.metadata["recipients"] == [
        "tim.belden@enron.com",
        "John Lavorato <john.lavorato@enron.com>",
    ]


def test_a_message_without_a_readable_date_has_no_updated_at() -> None:
    content = parse_bytes(ENRON_LIKE.replace(b"Mon, 14 May 2001 16:39:00", b"sometime in May"), "2.txt")
    assert "updated_at" not in content.metadata
    assert content.metadata["author"] == "phillip.allen@enron.com"


def test_mailbox_headers_are_read_without_the_body() -> None:
    headers = read_headers(ENRON_LIKE + b"\r\n" + b"x" * 100_000)
    assert headers.date == datetime(2001, 5, 14, 23, 39, tzinfo=UTC)
    assert headers.sender == "phillip.allen@enron.com" and headers.subject == "Forecast"


def test_an_outlook_message_carries_its_submit_time_sender_and_recipients() -> None:
    submitted = datetime(2000, 10, 2, 9, 30, tzinfo=UTC) - datetime(1601, 1, 1, tzinfo=UTC)
    properties = bytes(32) + struct.pack("<IIQ", 0x00390040, 0, submitted // timedelta(microseconds=1) * 10)
    content = parse_bytes(
        compound_file(
            {
                "__properties_version1.0": properties,
                "__substg1.0_0037001F": "Gas prices".encode("utf-16-le"),
                "__substg1.0_0C1A001F": "Jeff Dasovich".encode("utf-16-le"),
                "__substg1.0_0E04001F": "Sue Mara; Paul Kaufman".encode("utf-16-le"),
                "__substg1.0_1000001F": "See the attached summary.".encode("utf-16-le"),
            }
        ),
        "gas.msg",
    )
    assert content.metadata["updated_at"] == "2000-10-02T09:30:00+00:00"
    assert content.metadata["author"] == "Jeff Dasovich"
    assert content.metadata["recipients"] == ["Sue Mara", "Paul Kaufman"]


def test_a_docx_carries_its_core_property_dates_creator_and_last_editor() -> None:
    content = parse_bytes(procedure_docx([("Normal", "文件控制程序"), ("Heading 1", "1 目的")]), "p.docx")
    assert content.metadata["created_at"] == "2017-03-01T08:30:00+00:00"
    assert content.metadata["updated_at"] == "2017-06-05T09:15:00+00:00"
    assert content.metadata["author"] == "张伟"
    assert content.metadata["last_modified_by"] == "李娜"
    assert content.metadata["title"] == "DNMC程序"  # the parser reports it; the pipeline's policy decides


def test_a_broken_core_date_loses_that_date_only() -> None:
    data = procedure_docx([("Normal", "文件控制程序")])
    core = (
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/">'
        "<dc:creator>王芳</dc:creator><dcterms:created>2017-13-45T99:00:00Z</dcterms:created>"
        "<dcterms:modified>2018-01-02T03:04:05+08:00</dcterms:modified></cp:coreProperties>"
    )
    content = parse_bytes(with_member(data, "docProps/core.xml", core.encode()), "p.docx")
    assert content.metadata["author"] == "王芳"
    assert "created_at" not in content.metadata
    assert content.metadata["updated_at"] == "2018-01-02T03:04:05+08:00"


def without_core_properties(package: bytes) -> bytes:
    """The same package without docProps/core.xml and its relationship (as some generators write them)."""
    source = zipfile.ZipFile(io.BytesIO(package))
    members = {info.filename: source.read(info) for info in source.infolist()}
    del members["docProps/core.xml"]
    members["_rels/.rels"] = re.sub(
        rb"<Relationship [^>]*docProps/core\.xml[^>]*/>", b"", members["_rels/.rels"]
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for name, data in members.items():
            out.writestr(name, data)
    return buffer.getvalue()


def test_an_xlsx_without_core_properties_gets_no_invented_creation_date() -> None:
    workbook = Workbook()
    workbook.active.append(["问题", "状态"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    content = parse_bytes(without_core_properties(buffer.getvalue()), "issues.xlsx")
    assert "问题" in content.text
    assert not {"created_at", "updated_at", "created"} & set(content.metadata)
    workbook.properties.created = datetime(2019, 4, 1, 12, 0)
    workbook.properties.creator = "pandas"
    buffer = io.BytesIO()
    workbook.save(buffer)
    dated = parse_bytes(buffer.getvalue(), "issues.xlsx")
    assert (
        dated.metadata["created_at"] == "2019-04-01T12:00:00+00:00" and dated.metadata["author"] == "pandas"
    )


def test_a_pptx_reports_its_own_core_properties_not_python_pptx_defaults() -> None:
    deck = Presentation()
    deck.slides.add_slide(deck.slide_layouts[0]).shapes.title.text = "Quarterly review"
    deck.core_properties.author = "Sales Ops"
    deck.core_properties.modified = datetime(2016, 2, 3, 4, 5, 6)
    buffer = io.BytesIO()
    deck.save(buffer)
    content = parse_bytes(buffer.getvalue(), "review.pptx")
    assert content.metadata["author"] == "Sales Ops"
    assert content.metadata["updated_at"] == "2016-02-03T04:05:06+00:00"
    assert "title" not in content.metadata  # python-pptx's "PowerPoint Presentation" template title
    assert content.title == "Quarterly review"


def test_a_pdf_carries_its_info_dates_and_author() -> None:
    info = "<< /Author (Li Na) /CreationDate (D:20190102030405+08'00') /ModDate (D:20190304050607+08'00') >>"
    content = parse_bytes(info_pdf("Calibration record", info), "record.pdf")
    assert content.metadata["author"] == "Li Na"
    assert content.metadata["created_at"] == "2019-01-02T03:04:05+08:00"
    assert content.metadata["updated_at"] == "2019-03-04T05:06:07+08:00"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("D:20170301083000+08'00'", datetime(2017, 3, 1, 8, 30, tzinfo=timezone(timedelta(hours=8)))),
        (
            "D:20170301083000-05'30",
            datetime(2017, 3, 1, 8, 30, tzinfo=timezone(-timedelta(hours=5, minutes=30))),
        ),
        ("D:20170301083000Z", datetime(2017, 3, 1, 8, 30, tzinfo=UTC)),
        ("D:2017", datetime(2017, 1, 1, tzinfo=UTC)),
        ("20170301", datetime(2017, 3, 1, tzinfo=UTC)),
        ("D:20171301", None),
        ("yesterday", None),
        ("", None),
    ],
)
def test_pdf_dates(text: str, expected: datetime | None) -> None:
    assert pdf_date(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2017-03-01T08:30:00Z", datetime(2017, 3, 1, 8, 30, tzinfo=UTC)),
        ("2017-03-01T08:30:00.5+08:00", datetime(2017, 3, 1, 8, 30, tzinfo=timezone(timedelta(hours=8)))),
        ("2017-03", datetime(2017, 3, 1, tzinfo=UTC)),
        ("2017-03-01T25:00:00Z", None),
        ("1 March 2017", None),
    ],
)
def test_core_property_dates(text: str, expected: datetime | None) -> None:
    assert w3cdtf(text) == expected


def test_html_meta_gives_author_and_dates() -> None:
    page = (
        "<html><head><title>Shift handover | Intranet</title><meta name='author' content='Zhao Lei'>"
        "<meta property='article:published_time' content='2021-05-06T07:00:00+08:00'>"
        "<meta name='dcterms.modified' content='2022-01-02'></head>"
        "<body><h1>Shift handover</h1><p>Hand over the log.</p></body></html>"
    )
    content = parse_bytes(page.encode(), "handover.html")
    assert content.metadata["author"] == "Zhao Lei"
    assert content.metadata["created_at"] == "2021-05-06T07:00:00+08:00"
    assert content.metadata["updated_at"] == "2022-01-02T00:00:00+00:00"
    only_date = parse_bytes(page.replace("dcterms.modified", "keywords").encode(), "handover.html")
    assert only_date.metadata["updated_at"] == "2021-05-06T07:00:00+08:00"
