"""Decide a file's format from its bytes; the filename's extension is only a tie-breaker.

First step of `parse_bytes`: magic numbers (PDF, OLE2, zip, images, audio), then zip member names
(docx / xlsx / pptx / OpenDocument), then OLE2 stream names (doc / xls / ppt / msg / encrypted Office),
then the shape of text (markup root element, JSON, e-mail headers) with the extension as a hint.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import PurePath

from kmingest.parsing.encoding import bomless_unicode, decode_text

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image"),
    (b"\xff\xd8\xff", "image"),
    (b"GIF87a", "image"),
    (b"GIF89a", "image"),
    (b"II*\x00", "image"),
    (b"MM\x00*", "image"),
    (b"\x00\x00\x01\x00", "image"),  # .ico
    (b"{\\rtf", "rtf"),
    (b"ID3", "audio"),
    (b"OggS", "audio"),
    (b"fLaC", "audio"),
    (b"\xff\xfb", "audio"),
    (b"\xff\xf3", "audio"),
    (b"\x1a\x45\xdf\xa3", "video"),  # matroska / webm
    (b"\x1f\x8b", "archive"),
    (b"7z\xbc\xaf\x27\x1c", "archive"),
    (b"Rar!\x1a\x07", "archive"),
    (b"BZh", "archive"),
)
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Stream names in the compound-file directory (UTF-16LE), most specific first.
_OLE2_STREAMS: tuple[tuple[str, str], ...] = (
    ("EncryptedPackage", "encrypted-office"),
    ("__substg1.0_", "msg"),
    ("WordDocument", "doc"),
    ("PowerPoint Document", "ppt"),
    ("Workbook", "xls"),
    ("Book", "xls"),
)
_ZIP_MARKERS: tuple[tuple[str, str], ...] = (
    ("word/", "docx"),
    ("xl/", "xlsx"),
    ("ppt/", "pptx"),
    ("mimetype", "odf"),
)
_OFFICE_EXT = {"docx": "docx", "docm": "docx", "xlsx": "xlsx", "xlsm": "xlsx", "pptx": "pptx", "odt": "odt"}
_ODF = {"text": "odt", "spreadsheet": "ods", "presentation": "odp"}
_TEXT_HINTS = {
    "csv": "csv",
    "tsv": "tsv",
    "tab": "tsv",
    "md": "md",
    "markdown": "md",
    "json": "json",
    "ndjson": "ndjson",
    "jsonl": "ndjson",
    "xml": "xml",
    "rss": "xml",
    "atom": "xml",
    "html": "html",
    "htm": "html",
    "xhtml": "html",
    "eml": "eml",
}
_BINARY_HINTS = {"doc": "doc", "xls": "xls", "ppt": "ppt", "msg": "msg", "zip": "zip", "bmp": "image"}
_BINARY_HINTS |= {e: "image" for e in ("jpg", "jpeg", "png", "gif", "tif", "tiff", "webp", "heic")}
_BINARY_HINTS |= {e: "audio" for e in ("mp3", "wav", "m4a", "flac", "ogg")}
_BINARY_HINTS |= {e: "video" for e in ("mp4", "mov", "avi", "mkv", "webm")}

_PROLOG = re.compile(r"\s*(<\?.*?\?>|<!--.*?-->|<!doctype[^>]*>)", re.S | re.I)
_ROOT = re.compile(r"\s*<([a-zA-Z][\w:.-]*)")
_HTML_ROOTS = {"html", "head", "body"}
_HTML_TAGS = {"div", "p", "table", "span", "a", "meta", "title", "br", "ul", "ol", "li", "img", "form"}
_HTML_TAGS |= {"section", "article", "header", "nav", "main", "font", "center", "pre", "b", "i", "script"}
_HTML_TAGS |= {"style", "link", "h1", "h2", "h3", "h4", "h5", "h6"}
_HEADER_LINE = re.compile(r"^([A-Za-z][A-Za-z0-9-]*):[ \t]")
_MAIL_HEADERS = {"from", "to", "cc", "subject", "date", "mime-version", "message-id", "received"}
_MAIL_HEADERS |= {"return-path", "delivered-to", "content-type", "reply-to", "sender", "x-mailer"}


def _extension(filename: str) -> str:
    return PurePath(filename).suffix.lower().lstrip(".")


def _zip_kind(data: bytes, ext: str) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            # OpenDocument names its kind in a tiny first member; never inflate anything big here
            small = "mimetype" in names and archive.getinfo("mimetype").file_size < 200
            mimetype = archive.read("mimetype").decode("ascii", "replace") if small else ""
    except Exception:  # corrupt archive: read member names from the local headers instead
        head = data[:1_000_000]
        names = [marker for marker, _ in _ZIP_MARKERS if marker.encode() in head]
        mimetype = head[38:120].decode("ascii", "replace") if "mimetype" in names else ""
    for marker, kind in _ZIP_MARKERS:
        if any(name.startswith(marker) for name in names):
            if kind == "odf":
                found = re.search(r"opendocument\.(\w+)", mimetype)
                return _ODF.get(found.group(1), "odt") if found else "zip"
            return kind
    if not names:  # unreadable or empty archive: trust the extension, so a broken .xlsx *fails*
        return _OFFICE_EXT.get(ext, "zip")
    return "zip"


def _markup_kind(text: str, hint: str | None) -> str | None:
    pos, doctype_html = 0, False
    while match := _PROLOG.match(text, pos):
        doctype_html |= match.group(1).lower().startswith("<!doctype html")
        pos = match.end()
    root = _ROOT.match(text, pos)
    name = root.group(1).lower() if root else ""
    if doctype_html or name in _HTML_ROOTS:
        return "html"
    if hint:
        return hint
    if name in _HTML_TAGS:
        return "html"
    return "xml" if root else None


def _json_kind(text: str, data: bytes) -> str | None:
    if not text.startswith(("{", "[")):
        return None
    full = decode_text(data).strip()
    try:
        json.loads(full)
        return "json"
    except (ValueError, RecursionError):
        pass
    lines = [line for line in full.splitlines()[:5] if line.strip()]
    try:
        ok = len(lines) > 1 and all(isinstance(json.loads(line), dict | list) for line in lines)
    except (ValueError, RecursionError):
        ok = False
    return "ndjson" if ok else None


def _looks_like_mail(text: str) -> bool:
    names = []
    for line in text.split("\n", 40)[:40]:
        if not line.strip():
            break
        match = _HEADER_LINE.match(line)
        if match:
            names.append(match.group(1).lower())
        elif not line[:1].isspace():  # neither a header nor a folded continuation
            return False
    return len(set(names) & _MAIL_HEADERS) >= 2


def _is_binary(head: bytes) -> bool:
    if bomless_unicode(head) or head.startswith((b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf")):
        return False
    controls = sum(1 for b in head if b < 9 or (13 < b < 32 and b != 27))
    return b"\x00" in head or controls > len(head) // 10


def sniff(data: bytes, filename: str) -> str:
    """Format name: pdf, docx, xlsx, pptx, html, eml, csv, tsv, txt, md, json, ndjson, xml, doc, xls, ..."""
    ext = _extension(filename)
    head = data[:8192]
    if b"%PDF-" in data[:1024]:
        return "pdf"
    if head.startswith(_OLE2):
        for stream, kind in _OLE2_STREAMS:
            if stream.encode("utf-16-le") in data:
                return kind
        return _BINARY_HINTS.get(ext, "ole2")
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_kind(data, ext)
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF":
        return {b"WEBP": "image", b"WAVE": "audio", b"AVI ": "video"}.get(head[8:12], "binary")
    if head[4:8] == b"ftyp":
        return "image" if head[8:12] in (b"heic", b"heix", b"mif1", b"avif") else "video"
    if head.startswith(b"BM") and ext == "bmp":
        return "image"
    if head and _is_binary(head):
        return _BINARY_HINTS.get(ext, "binary")
    text = decode_text(head).lstrip("\ufeff \t\r\n")
    hint = _TEXT_HINTS.get(ext)
    if text.startswith("<"):
        markup = _markup_kind(text, hint)
        if markup:
            return markup
    if hint:
        return hint
    return _json_kind(text, data) or ("eml" if _looks_like_mail(text) else "txt")
