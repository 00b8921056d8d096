"""RTF -> text (striprtf, BSD), decoding \\'xx escapes with the document's code page.

`parse_bytes` sniffs "{\\rtf". RTF is 7-bit: non-ASCII text is either \\uN escapes or \\'xx bytes in the
code page of the current font's \\fcharset (134 = GBK, 136 = Big5, 0 = Western) or, without one, of
\\ansicpgN (936 = GBK). Paragraphs become blocks; table cells "|"-separated rows. Embedded pictures,
objects and the \\info group are dropped by striprtf (the \\info title becomes the title).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from typing import cast

from striprtf.striprtf import rtf_to_text

from kmingest.models import ParsedContent
from kmingest.parsing.base import ParseError, ParseLimits
from kmingest.parsing.builder import TextBuilder, tidy_lines

_rtf_to_text = cast(Callable[..., str], rtf_to_text)  # striprtf has no annotations
_CODEPAGE = re.compile(rb"\\ansicpg(\d{3,5})")
_ANY_CODEPAGE = re.compile(r"\\ansicpg\d+")
_TITLE = re.compile(r"\{\\info[^{}]*?\{\\title ([^{}]*)\}")


def _codepage(data: bytes) -> str:
    found = _CODEPAGE.search(data[:4096])
    name = f"cp{int(found.group(1))}" if found else "cp1252"
    try:
        codecs.lookup(name)
    except LookupError:
        return "cp1252"
    return name


def parse_rtf(data: bytes, filename: str, limits: ParseLimits) -> ParsedContent:
    if not data.lstrip().startswith(b"{\\rtf"):
        raise ParseError("rtf: file does not start with {\\rtf")
    codepage = _codepage(data)
    markup = data.decode("latin-1")  # RTF is ASCII; latin-1 keeps any stray byte as one character
    if codepage == "cp1252":  # striprtf would read an unknown \ansicpgN as UTF-8
        markup = _ANY_CODEPAGE.sub(r"\\ansicpg1252", markup)
    text = _rtf_to_text(markup, encoding=codepage, errors="replace")
    builder = TextBuilder(limits.max_chars)
    for block in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        builder.paragraph(tidy_lines(block))
    title_match = _TITLE.search(markup[:65536])
    title = title_match.group(1) if title_match and "\\" not in title_match.group(1) else None
    return builder.build("rtf", title, {"codepage": codepage})
