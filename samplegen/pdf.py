"""Minimal PDF writer of the sample export generator (test/demo data for the OA connector).

Writes A4 pages with a real text layer that pypdf extracts, Chinese included: one Type0 font
(STSong-Light, UniGB-UCS2-H, not embedded, as Acrobat's Asian font packs provide it) plus a
ToUnicode CMap, text as UTF-16BE codes. Lines are wrapped greedily (CJK anywhere, Latin at spaces);
blocks that do not fit flow onto a new page. Output is byte-stable: no clock, no random ids.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

Block = tuple[str, str]  # (kind, text); kind is "title", "h1", "h2" or "p"

_SIZES = {"title": 18.0, "h1": 14.0, "h2": 12.0, "p": 10.5}
_PAGE_W, _PAGE_H, _MARGIN = 595, 842, 60
_NO_LINE_START = frozenset("，。；：、）》」』！？%")
_TOKENS = re.compile(r"[\x21-\x7e]+ ?| |.", re.S)


def _width(text: str, size: float) -> float:
    return sum(size * (0.5 if ord(ch) < 128 else 1.0) for ch in text)


def _wrap(text: str, size: float) -> list[str]:
    limit = _PAGE_W - 2 * _MARGIN
    lines, line = [], ""
    for token in _TOKENS.findall(text):
        if line and token not in _NO_LINE_START and _width(line + token.rstrip(), size) > limit:
            lines.append(line.rstrip())
            line = token.lstrip()
        else:
            line += token
    if line.strip():
        lines.append(line.rstrip())
    return lines


def _hex(text: str) -> str:
    return "".join(f"{ord(ch):04X}" if ord(ch) <= 0xFFFF else "003F" for ch in text)


def _layout(pages: Sequence[Sequence[Block]]) -> list[list[tuple[float, float, str]]]:
    """(font size, baseline y, text) per line, per output page."""
    out: list[list[tuple[float, float, str]]] = []
    for blocks in pages:
        out.append([])
        y: float = _PAGE_H - _MARGIN
        for kind, text in blocks:
            size = _SIZES[kind]
            y -= size * (0.8 if kind == "p" else 1.2)  # space before the block
            for line in _wrap(text, size):
                if y - size < _MARGIN:
                    out.append([])
                    y = _PAGE_H - _MARGIN
                y -= size * 1.45
                out[-1].append((size, y, line))
    return [page for page in out if page] or [[]]


def _pdf_string(text: str) -> str:
    return f"<FEFF{_hex(text)}>"


def _to_unicode(text: str) -> bytes:
    highs = sorted({ord(ch) >> 8 for ch in text if ord(ch) <= 0xFFFF and not 0xD8 <= ord(ch) >> 8 <= 0xDF})
    ranges = [f"<{h:02X}00> <{h:02X}FF> <{h:02X}00>" for h in highs]
    body = []
    for start in range(0, len(ranges), 100):
        chunk = ranges[start : start + 100]
        body.append(f"{len(chunk)} beginbfrange\n" + "\n".join(chunk) + "\nendbfrange")
    return (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n" + "\n".join(body) + "\n"
        "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend"
    ).encode("ascii")


def _stream(data: bytes) -> bytes:
    return b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def pdf_document(title: str, author: str, created: datetime, pages: Sequence[Sequence[Block]]) -> bytes:
    """A PDF whose page breaks fall at least where `pages` puts them (long pages overflow onto more)."""
    laid_out = _layout(pages)
    all_text = title + author + "".join(line for page in laid_out for _, _, line in page)
    stamp = created.strftime("D:%Y%m%d%H%M%S+08'00'")
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"",  # Pages, filled in below
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H "
        b"/DescendantFonts [4 0 R] /ToUnicode 6 0 R >>",
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> "
        b"/FontDescriptor 5 0 R /DW 1000 /W [1 95 500] >>",
        b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] "
        b"/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>",
        _stream(_to_unicode(all_text)),
        (
            f"<< /Title {_pdf_string(title)} /Author {_pdf_string(author)} "
            f"/Producer (kmingest samplegen) /CreationDate ({stamp}) /ModDate ({stamp}) >>"
        ).encode("ascii"),
    ]
    kids = []
    for page in laid_out:
        ops = [f"BT /F1 {size:g} Tf {_MARGIN} {y:.2f} Td <{_hex(line)}> Tj ET" for size, y, line in page]
        content = "\n".join(ops).encode("ascii")
        page_no, content_no = len(objects) + 1, len(objects) + 2
        kids.append(f"{page_no} 0 R")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {_PAGE_W} {_PAGE_H}] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {content_no} 0 R >>".encode("ascii")
        )
        objects.append(_stream(content))
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>".encode("ascii")
    return assemble_pdf(objects, info_object=7)


def assemble_pdf(objects: Sequence[bytes], info_object: int | None = None) -> bytes:
    """Numbered objects (1 = catalog) -> a PDF file with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    info = b" /Info %d 0 R" % info_object if info_object else b""
    out += b"trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, info, xref)
    return bytes(out)
