"""Decide a file's format from its bytes; the filename's extension is only a tie-breaker.

First step of `parse_bytes`: magic numbers (PDF, OLE2, zip, images, audio), then zip member names
(docx / xlsx / xlsb / pptx) or the zip's mimetype member (OpenDocument, epub), then the streams at the
root of an OLE2 file (doc / xls / ppt / msg / encrypted Office), then the shape of text (markup root
element, JSON, e-mail headers) with the extension as a hint.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import PurePath

import olefile

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
# Stream names at the root of the compound file, most specific first. Only root entries count: a
# workbook may embed a Word object (in a storage) or hold the cell text "WordDocument".
_OLE2_STREAMS: tuple[tuple[str, str], ...] = (
    ("EncryptedPackage", "encrypted-office"),
    ("__substg1.0_", "msg"),
    ("Workbook", "xls"),
    ("Book", "xls"),
    ("PowerPoint Document", "ppt"),
    ("WordDocument", "doc"),
)
_ZIP_MARKERS: tuple[tuple[str, str], ...] = (
    ("word/", "docx"),
    ("xl/", "xlsx"),
    ("ppt/", "pptx"),
    ("mimetype", "odf"),
)
_OFFICE_EXT = {e: "docx" for e in ("docx", "docm", "dotx", "dotm")}
_OFFICE_EXT |= {e: "xlsx" for e in ("xlsx", "xlsm", "xltx", "xltm")} | {"xlsb": "xlsb"}
_OFFICE_EXT |= {e: "pptx" for e in ("pptx", "pptm", "ppsx", "ppsm", "potx", "potm")}
_OFFICE_EXT |= {"odt": "odt", "ott": "odt", "ods": "ods", "ots": "ods", "odp": "odp", "otp": "odp"}
_OFFICE_EXT |= {"odg": "odg", "odb": "odb", "epub": "epub"}
# The kind in an OpenDocument mimetype (application/vnd.oasis.opendocument.<kind>[-template])
_ODF = {"text": "odt", "spreadsheet": "ods", "presentation": "odp", "graphics": "odg", "base": "odb"}
_AUDIO_BRANDS = (b"M4A ", b"M4B ", b"M4P ", b"F4A ", b"F4B ")
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
_BINARY_HINTS = {"doc": "doc", "dot": "doc", "xls": "xls", "xlt": "xls", "ppt": "ppt", "pps": "ppt"}
_BINARY_HINTS |= {"pot": "ppt", "msg": "msg", "zip": "zip", "bmp": "image"}
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
    if "epub+zip" in mimetype:
        return "epub"
    for marker, kind in _ZIP_MARKERS:
        if any(name.startswith(marker) for name in names):
            if kind == "odf":
                found = re.search(r"opendocument\.(\w+)", mimetype)
                return _ODF.get(found.group(1), "opendocument") if found else "zip"
            if kind == "xlsx" and "xl/workbook.bin" in names:
                return "xlsb"
            return kind
    if not names:  # unreadable or empty archive: trust the extension, so a broken .xlsx *fails*
        return _OFFICE_EXT.get(ext, "zip")
    return "zip"


def _ole2_kind(data: bytes, ext: str) -> str:
    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            roots = [path[0] for path in ole.listdir(streams=True, storages=True) if len(path) == 1]
    except Exception:  # truncated or damaged directory: look for the names anywhere in the bytes
        roots = [stream for stream, _ in _OLE2_STREAMS if stream.encode("utf-16-le") in data]
    for stream, kind in _OLE2_STREAMS:
        if any(root.startswith(stream) if stream.endswith("_") else root == stream for root in roots):
            return kind
    return _BINARY_HINTS.get(ext, "ole2")


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
    """Format name: pdf, docx, xlsx, xlsb, pptx, odt, ods, odp, epub, rtf, html, eml, csv, txt, doc, ..."""
    ext = _extension(filename)
    head = data[:8192]
    if b"%PDF-" in data[:1024]:
        return "pdf"
    if head.startswith(_OLE2):
        return _ole2_kind(data, ext)
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_kind(data, ext)
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF":
        return {b"WEBP": "image", b"WAVE": "audio", b"AVI ": "video"}.get(head[8:12], "binary")
    if head[4:8] == b"ftyp":  # ISO media: the brand (or an .m4a name on a generic brand) says which
        if head[8:12] in (b"heic", b"heix", b"mif1", b"avif"):
            return "image"
        return "audio" if head[8:12] in _AUDIO_BRANDS or _BINARY_HINTS.get(ext) == "audio" else "video"
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
