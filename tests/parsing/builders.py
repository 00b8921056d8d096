"""Small, readable fixture files built in memory (docx, xlsx, pdf, zip) for the parsing tests."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence

from docx import Document
from openpyxl import Workbook
from pypdf import PdfReader, PdfWriter

from samplegen.pdf import assemble_pdf


def policy_docx() -> bytes:
    """Title + nested headings, a table between paragraphs (with a merged cell), header and footer."""
    doc = Document()
    doc.core_properties.title = "Leave Policy"
    doc.core_properties.author = "HR Team"
    doc.add_heading("Leave Policy", level=1)
    doc.add_paragraph("This policy explains how leave works.")
    doc.add_heading("Scope", level=2)
    doc.add_paragraph("It applies to all permanent staff.")
    table = doc.add_table(rows=3, cols=3)
    rows = [("Type", "Days", "Paid"), ("Annual", "25", "yes"), ("Sick", "10", "yes")]
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            table.cell(r, c).text = value
    merged = table.cell(2, 1).merge(table.cell(2, 2))
    merged.text = "as needed"
    doc.add_paragraph("Ask your manager before booking.")
    doc.add_heading("Exceptions", level=1)
    doc.add_paragraph("Exceptions need director approval.")
    doc.sections[0].header.paragraphs[0].text = "ACME Confidential"
    doc.sections[0].footer.paragraphs[0].text = "ACME Confidential"
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def staff_xlsx() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Staff"
    sheet.append(["Name", "City", "Start"])
    sheet.append(["Alice", "Berlin", 2019])
    sheet.append([None, None, None])
    sheet.append(["Bob", None, 2021])
    offices = workbook.create_sheet("Offices")
    offices.append(["Office", "Phone"])
    offices.append(["Berlin", "+49 30 1234"])
    workbook.create_sheet("Empty")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def pdf_bytes(pages: Sequence[str], title: str | None = None) -> bytes:
    """A minimal valid PDF with one line of Helvetica text per page."""
    n = len(pages)
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(n))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {n} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for i, text in enumerate(pages):
        stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {5 + 2 * i} 0 R >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    info = None
    if title is not None:
        objects.append(f"<< /Title ({title}) /Author (Test Author) >>".encode("latin-1"))
        info = len(objects)
    return assemble_pdf(objects, info_object=info)


def encrypted_pdf(user_password: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes(["Secret plans"]))))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def zip_bomb(member_mb: int = 300) -> bytes:
    """A docx-looking zip whose document.xml inflates to `member_mb` MB of zeros (~300 KB on disk)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w") as member:
            chunk = bytes(1 << 20)
            for _ in range(member_mb):
                member.write(chunk)
    return buffer.getvalue()


def ole2(stream_name: str) -> bytes:
    """Enough of a compound file for sniffing: the OLE2 magic and a UTF-16LE directory entry name."""
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + stream_name.encode("utf-16-le") + bytes(64)
