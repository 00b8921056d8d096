"""Office fixtures written part by part (docx with notes, text boxes, altChunks; strict xlsx; AES PDFs).

python-docx and openpyxl cannot write these features, so the packages are assembled from XML here;
each builder keeps only the parts a reader needs.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfReader, PdfWriter

from .builders import pdf_bytes

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
_WORD_NAMESPACES = (
    f'xmlns:w="{W_NS}" xmlns:r="{REL}" '
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
    'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
    'xmlns:v="urn:schemas-microsoft-com:vml" mc:Ignorable="wps"'
)


@dataclass(frozen=True)
class Part:
    name: str  # e.g. "word/footnotes.xml"
    content_type: str
    rel_type: str  # full relationship type URI, from the main part
    data: bytes


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _rels(targets: Iterable[tuple[str, str, str]]) -> bytes:
    items = "".join(f'<Relationship Id="{i}" Type="{t}" Target="{target}"/>' for i, t, target in targets)
    return (
        f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{items}</Relationships>'
    ).encode()


def _content_types(overrides: dict[str, str]) -> bytes:
    items = "".join(f'<Override PartName="/{name}" ContentType="{ct}"/>' for name, ct in overrides.items())
    return (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        f'<Default Extension="xml" ContentType="application/xml"/>{items}</Types>'
    ).encode()


def word_xml(root: str, inner: str) -> bytes:
    """A WordprocessingML part with every namespace the fixtures use declared on its root."""
    return f'<?xml version="1.0" encoding="UTF-8"?><w:{root} {_WORD_NAMESPACES}>{inner}</w:{root}>'.encode()


def para(text: str, inner: str = "") -> str:
    return f'<w:p><w:r><w:t xml:space="preserve">{text}</w:t></w:r>{inner}</w:p>'


def raw_docx(body: str, parts: Sequence[Part] = (), main_content_type: str = DOCX_MAIN) -> bytes:
    """A minimal docx: word/document.xml with `body`, plus `parts` related from it."""
    main_rels = [(f"rIdX{i}", part.rel_type, part.name.removeprefix("word/")) for i, part in enumerate(parts)]
    members = {
        "[Content_Types].xml": _content_types(
            {"word/document.xml": main_content_type} | {part.name: part.content_type for part in parts}
        ),
        "_rels/.rels": _rels([("rId1", f"{REL}/officeDocument", "word/document.xml")]),
        "word/document.xml": word_xml("document", f"<w:body>{body}<w:sectPr/></w:body>"),
        "word/_rels/document.xml.rels": _rels(main_rels),
    }
    return _zip(members | {part.name: part.data for part in parts})


def text_box(text: str) -> str:
    """A run holding a DrawingML text box with a VML fallback copy of the same box (as Word writes it)."""
    content = f"<w:txbxContent>{para(text)}</w:txbxContent>"
    drawing = (
        '<w:drawing><wp:anchor><a:graphic><a:graphicData uri="http://schemas.microsoft.com/office/word/2010/'
        f'wordprocessingShape"><wps:wsp><wps:txbx>{content}</wps:txbx></wps:wsp></a:graphicData></a:graphic>'
        "</wp:anchor></w:drawing>"
    )
    vml = (
        f'<w:pict><v:rect><v:textbox style="mso-fit-shape-to-text:t">{content}</v:textbox></v:rect></w:pict>'
    )
    return (
        f'<w:r><mc:AlternateContent><mc:Choice Requires="wps">{drawing}</mc:Choice>'
        f"<mc:Fallback>{vml}</mc:Fallback></mc:AlternateContent></w:r>"
    )


def with_main_content_type(docx: bytes, content_type: str) -> bytes:
    """The same package with its main part declared as another Word type (docm, dotx, dotm)."""
    source = zipfile.ZipFile(io.BytesIO(docx))
    members = {info.filename: source.read(info) for info in source.infolist()}
    members["[Content_Types].xml"] = members["[Content_Types].xml"].replace(
        DOCX_MAIN.encode(), content_type.encode()
    )
    return _zip(members)


def with_member(package: bytes, name: str, data: bytes) -> bytes:
    """The same package with one member replaced."""
    source = zipfile.ZipFile(io.BytesIO(package))
    return _zip({info.filename: source.read(info) for info in source.infolist()} | {name: data})


def write_long_docx(path: Path, paragraphs: int, filler: str, last: str) -> None:
    """A docx whose document.xml is large: `paragraphs` formatted paragraphs, then one saying `last`."""
    run_props = "<w:rPr><w:rFonts w:ascii='Calibri' w:hAnsi='Calibri'/><w:sz w:val='22'/></w:rPr>"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _content_types({"word/document.xml": DOCX_MAIN}))
        archive.writestr("_rels/.rels", _rels([("rId1", f"{REL}/officeDocument", "word/document.xml")]))
        with archive.open("word/document.xml", "w") as member:
            head, tail = word_xml("document", "<w:body>|</w:body>").split(b"|")
            member.write(head)
            for start in range(0, paragraphs, 1000):
                block = "".join(
                    f"<w:p w:rsidR='{n:08X}'><w:r>{run_props}<w:t>{filler} {n}</w:t></w:r></w:p>"
                    for n in range(start, min(start + 1000, paragraphs))
                )
                member.write(block.encode())
            member.write(para(last).encode() + tail)


_STRICT = "http://purl.oclc.org/ooxml"


def strict_xlsx(shared: Sequence[str], sheet_rows: str, styles: str, header_footer: str = "") -> bytes:
    """A strict OOXML (ISO/IEC 29500 strict) workbook with one sheet named Inventory."""
    ns = f'xmlns="{_STRICT}/spreadsheetml/main" xmlns:r="{_STRICT}/officeDocument/relationships"'
    strings = "".join(f"<si><t>{text}</t></si>" for text in shared)
    sheet_type = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    return _zip(
        {
            "[Content_Types].xml": _content_types(
                {
                    "xl/workbook.xml": f"{sheet_type}.sheet.main+xml",
                    "xl/worksheets/sheet1.xml": f"{sheet_type}.worksheet+xml",
                    "xl/sharedStrings.xml": f"{sheet_type}.sharedStrings+xml",
                    "xl/styles.xml": f"{sheet_type}.styles+xml",
                }
            ),
            "_rels/.rels": _rels(
                [("rId1", f"{_STRICT}/officeDocument/relationships/officeDocument", "xl/workbook.xml")]
            ),
            "xl/workbook.xml": (
                f'<workbook {ns} conformance="strict"><sheets>'
                '<sheet name="Inventory" sheetId="1" r:id="rId1"/></sheets></workbook>'
            ).encode(),
            "xl/_rels/workbook.xml.rels": _rels(
                [
                    ("rId1", f"{_STRICT}/officeDocument/relationships/worksheet", "worksheets/sheet1.xml"),
                    ("rId2", f"{_STRICT}/officeDocument/relationships/sharedStrings", "sharedStrings.xml"),
                    ("rId3", f"{_STRICT}/officeDocument/relationships/styles", "styles.xml"),
                ]
            ),
            "xl/sharedStrings.xml": f"<sst {ns}>{strings}</sst>".encode(),
            "xl/styles.xml": f"<styleSheet {ns}>{styles}</styleSheet>".encode(),
            "xl/worksheets/sheet1.xml": (
                f"<worksheet {ns}><sheetData>{sheet_rows}</sheetData>{header_footer}</worksheet>"
            ).encode(),
        }
    )


def aes_pdf(text: str, user_password: str, algorithm: str) -> bytes:
    """A one-page PDF encrypted with pypdf's writer (AES-128 or AES-256)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes([text]))))
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm=algorithm)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def is_aes(pdf: bytes) -> bool:
    """True when the PDF's encryption dictionary names an AES crypt filter."""
    return re.search(rb"/CFM\s*/AESV[23]", pdf) is not None
