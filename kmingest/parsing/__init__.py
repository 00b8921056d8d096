"""Parsing stage: SourceRecord bytes (or fields) -> ParsedContent; the pipeline's only entry points.

parse_bytes: size check -> sniff (content first, extension as a hint) -> zip-bomb check for zip formats
-> the format's parser -> character limit; all but the size check run under the time limit. Bad input
always ends as ParseError (failed) or UnsupportedFormat (skipped) with a reason a person can act on,
never as a library exception.
"""

from __future__ import annotations

import dataclasses

from kmingest.models import ParsedContent
from kmingest.parsing import guard
from kmingest.parsing.base import ParseError, ParseLimits, Parser, UnsupportedFormat
from kmingest.parsing.docx import parse_docx
from kmingest.parsing.eml import parse_eml
from kmingest.parsing.encoding import decode_text
from kmingest.parsing.epub import parse_epub
from kmingest.parsing.fields import parse_fields
from kmingest.parsing.html import parse_html
from kmingest.parsing.legacy_office import parse_doc, parse_ppt
from kmingest.parsing.legacy_sheets import parse_xls, parse_xlsb
from kmingest.parsing.opendocument import parse_odp, parse_ods, parse_odt
from kmingest.parsing.outlook import parse_msg
from kmingest.parsing.pdf import parse_pdf
from kmingest.parsing.rtf import parse_rtf
from kmingest.parsing.sheets import parse_csv, parse_tsv, parse_xlsx
from kmingest.parsing.slides import parse_pptx
from kmingest.parsing.sniff import sniff
from kmingest.parsing.text import parse_json, parse_md, parse_txt, parse_xml

__all__ = [
    "PARSERS",
    "UNSUPPORTED",
    "ParseError",
    "ParseLimits",
    "Parser",
    "UnsupportedFormat",
    "decode_text",
    "parse_bytes",
    "parse_fields",
    "sniff",
]

PARSERS: dict[str, Parser] = {
    "pdf": parse_pdf,
    "docx": parse_docx,
    "xlsx": parse_xlsx,
    "csv": parse_csv,
    "tsv": parse_tsv,
    "html": parse_html,
    "eml": parse_eml,
    "txt": parse_txt,
    "md": parse_md,
    "json": parse_json,
    "ndjson": parse_json,
    "xml": parse_xml,
    "pptx": parse_pptx,  # also .pptm / .ppsx / .potx
    "odt": parse_odt,
    "ods": parse_ods,
    "odp": parse_odp,
    "epub": parse_epub,
    "rtf": parse_rtf,
    "xls": parse_xls,  # also .xlt
    "xlsb": parse_xlsb,
    "msg": parse_msg,
    "doc": parse_doc,  # antiword / catdoc on PATH
    "ppt": parse_ppt,  # catppt on PATH
}
ZIP_FORMATS = frozenset({"docx", "xlsx", "xlsb", "pptx", "odt", "ods", "odp", "epub"})

UNSUPPORTED: dict[str, str] = {
    "ole2": "unknown legacy Office (OLE2) file",
    "odb": "OpenDocument database (.odb)",
    "odg": "OpenDocument drawing (.odg)",
    "opendocument": "OpenDocument file of another kind (formula, chart or image)",
    "image": "image; no OCR",
    "audio": "audio; no transcription",
    "video": "video; no transcription",
    "zip": "zip archive; extract its files and ingest them one by one",
    "archive": "compressed archive; extract its files and ingest them one by one",
    "binary": "unknown binary content",
}


def parse_bytes(data: bytes, filename: str, limits: ParseLimits = ParseLimits()) -> ParsedContent:
    """Parse one file's bytes; raises ParseError or UnsupportedFormat (with a reason) for bad input."""
    data = bytes(data)
    guard.check_size(data, limits)
    try:
        with guard.time_limit(limits.max_seconds):
            content = _sniff_and_parse(data, filename, limits)
    except guard.Deadline:  # the alarm fired in the instant between the parser's return and the disarm
        raise guard.time_limit_error(limits.max_seconds) from None
    guard.check_chars(len(content.text), limits.max_chars)
    if not content.text.strip():
        content = dataclasses.replace(content, text="", sections=())
    return content


def _sniff_and_parse(data: bytes, filename: str, limits: ParseLimits) -> ParsedContent:
    try:
        fmt = sniff(data, filename)
    except Exception:  # sniffing is best effort; it must not crash on odd bytes
        fmt = "binary"
    if fmt == "encrypted-office":
        raise ParseError("encrypted (password-protected) Office document; remove the password")
    parser = PARSERS.get(fmt)
    if parser is None:
        raise UnsupportedFormat(f"unsupported format: {UNSUPPORTED.get(fmt, fmt)}")
    try:
        if fmt in ZIP_FORMATS:
            guard.check_zip(data, limits, fmt)  # zipfile itself may raise e.g. NotImplementedError
        content = parser(data, filename, limits)
    except (ParseError, UnsupportedFormat):
        raise
    except Exception as exc:
        raise ParseError(f"{fmt}: {guard.describe(exc)}") from exc
    return content if content.doc_type == fmt else dataclasses.replace(content, doc_type=fmt)
