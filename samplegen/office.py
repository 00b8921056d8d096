"""File writers of the sample export generator (test/demo data for the OA and ERP connectors).

Renders an oa_docs.Doc as .docx (python-docx: Title + Heading 1/2, tables, core properties), .html
(with <nav> and <script> chrome that a parser must drop), .eml (RFC 822, UTF-8, 8bit / quoted-printable
/ base64) and writes .xlsx workbooks (openpyxl, write-only, so ERP rows stream). Office zips are
rewritten with fixed member timestamps and core-property dates, so the bytes depend on the seed only.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from html import escape
from typing import Any

from docx import Document
from openpyxl import Workbook

from samplegen import text as t
from samplegen.oa_docs import Doc

_CORE_DATE = re.compile(r"(<dcterms:(created|modified)\b[^>]*>)[^<]*(</dcterms:\2>)")
TRACKER = "rtPortalTelemetryBeacon"  # only ever inside <script>: must never reach the index


def stable_zip(data: bytes, stamp: datetime) -> bytes:
    """Re-pack an OOXML zip with every member dated `stamp` and core.xml dates set to it."""
    if stamp.tzinfo is None:
        raise ValueError("stamp needs a time zone (a naive one would depend on the machine's TZ)")
    utc = stamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = _CORE_DATE.sub(lambda m: m.group(1) + utc + m.group(3), body.decode("utf-8")).encode()
            member = zipfile.ZipInfo(info.filename, date_time=stamp.timetuple()[:6])
            member.compress_type, member.create_system, member.external_attr = zipfile.ZIP_DEFLATED, 0, 0
            dst.writestr(member, body)
    return out.getvalue()


def _slim(word: Any) -> None:
    """Drop the template's stylesWithEffects part and thumbnail (half the size of every .docx)."""
    for rel_id, rel in list(word.part.rels.items()):
        if rel.reltype.endswith("/stylesWithEffects"):
            word.part.drop_rel(rel_id)
    package_rels = word.part.package.rels
    for rel_id, rel in list(package_rels.items()):
        if rel.reltype.endswith("/thumbnail"):
            package_rels.pop(rel_id)


def docx_bytes(doc: Doc, author: str, stamp: datetime) -> bytes:
    word = Document()
    _slim(word)
    props = word.core_properties
    props.title, props.author, props.last_modified_by = doc.title, author, author
    props.created = props.modified = stamp.replace(tzinfo=None)
    props.revision = 1
    props.language = "en-US" if doc.lang == "en" else "zh-CN"
    word.add_heading(doc.title, level=0)
    for section in doc.sections:
        word.add_heading(section.heading, level=section.level)
        for paragraph in section.paragraphs:
            word.add_paragraph(paragraph)
        if section.table:
            table = word.add_table(rows=len(section.table), cols=len(section.table[0]))
            table.style = "Table Grid"
            for row, values in zip(table.rows, section.table, strict=True):
                for cell, value in zip(row.cells, values, strict=True):
                    cell.text = value
    word.sections[0].header.paragraphs[0].text = t.COMPANY_EN if doc.lang == "en" else t.COMPANY_ZH
    buffer = io.BytesIO()
    word.save(buffer)
    return stable_zip(buffer.getvalue(), stamp)


def xlsx_bytes(
    sheets: Iterable[tuple[str, Iterable[Sequence[Any]]]], title: str, author: str, stamp: datetime
) -> bytes:
    """A workbook with one sheet per (name, rows); rows stream through openpyxl's write-only mode."""
    book = Workbook(write_only=True)
    book.properties.title, book.properties.creator, book.properties.lastModifiedBy = title, author, author
    book.properties.created = book.properties.modified = stamp.replace(tzinfo=None)
    for name, rows in sheets:
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return stable_zip(buffer.getvalue(), stamp)


def html_bytes(doc: Doc, author: str, stamp: datetime, doc_id: str) -> bytes:
    zh = doc.lang == "zh"
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if zh else "en"}">',
        '<head><meta charset="utf-8">',
        f'<meta name="author" content="{escape(author)}"><meta name="date" content="{stamp.date()}">',
        f"<title>{escape(doc.title)}</title>",
        f'<script>window.__oa = {{"doc": "{doc_id}", "beacon": "{TRACKER}"}};</script>',
        "</head><body>",
        '<nav class="oa-menu"><a href="/">首页</a> | <a href="/notice">通知公告</a> | '
        '<a href="/policy">规章制度</a> | <a href="/meeting">会议纪要</a> | '
        '<a href="/flow">流程中心</a></nav>',
        f"<main><article><h1>{escape(doc.title)}</h1>",
    ]
    for section in doc.sections:
        parts.append(f"<h{section.level + 1}>{escape(section.heading)}</h{section.level + 1}>")
        parts += [f"<p>{escape(paragraph)}</p>" for paragraph in section.paragraphs]
        if section.table:
            head, *rows = section.table
            parts.append("<table><tr>" + "".join(f"<th>{escape(c)}</th>" for c in head) + "</tr>")
            parts += ["<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows]
            parts.append("</table>")
    parts += [
        "</article></main>",
        f"<footer>{escape(t.COMPANY_ZH)} OA · {doc_id}</footer>",
        f'<script>document.addEventListener("load", function () {{ track("{TRACKER}"); }});</script>',
        "</body></html>",
    ]
    return ("\n".join(parts) + "\n").encode("utf-8")


def eml_bytes(doc: Doc, sender: str, stamp: datetime, doc_id: str, transfer: str) -> bytes:
    """An announcement as sent by mail; `transfer` is "8bit", "quoted-printable" or "base64"."""
    message = EmailMessage()
    message["Subject"] = doc.title
    message["From"] = Address(sender, "oa-notice", t.MAIL_DOMAIN)
    message["To"] = Address("全体员工" if doc.lang == "zh" else "All staff", "all-staff", t.MAIL_DOMAIN)
    message["Date"] = format_datetime(stamp)
    message["Message-ID"] = f"<{doc_id}@{t.MAIL_DOMAIN}>"
    lines = []
    for section in doc.sections:
        lines += [*section.paragraphs, *(" | ".join(row) for row in section.table)]
    message.set_content("\n\n".join(lines) + "\n", charset="utf-8", cte=transfer)
    return message.as_bytes(policy=policy.SMTP)


def csv_line(values: Sequence[object], end: str = "\r\n") -> str:
    """One CSV record (RFC 4180 quoting); CRLF by default, as Excel-based exports write them."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=end).writerow(values)
    return buffer.getvalue()
