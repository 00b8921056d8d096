"""Bytes -> str for every text-based format (txt, md, csv, json, xml, html, e-mail bodies).

Order of evidence: a BOM, then NUL patterns (BOM-less UTF-16/32), then strict UTF-8, then a declared
charset (HTML meta, `<?xml encoding=...?>`, a MIME charset), then charset-normalizer with corrections
for its known weak spots (short Western text, short Chinese text). Never raises.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Declared names that should decode with a superset (what browsers do).
_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "cp936": "gb18030",
    "euc_cn": "gb18030",
    "hz": "gb18030",
    "big5": "big5hkscs",
    "cp950": "big5hkscs",
    "latin_1": "cp1252",
    "iso8859_1": "cp1252",
    "ascii": "cp1252",
    "iso8859_8_i": "iso8859_8",
}
_LATIN = re.compile(
    r"^(cp125[02478]|iso8859_(1|2|3|4|9|10|13|14|15|16)|latin_1|hp_roman8"
    r"|mac_(roman|latin2|iceland|turkish)|cp(437|775|850|852|857|858|860|861|863|865))$"
)
_CJK = {"big5", "big5hkscs", "cp950", "gb2312", "gbk", "gb18030", "cp936", "hz", "euc_jp", "euc_jis_2004"}
_CJK |= {"shift_jis", "cp932", "shift_jis_2004", "euc_kr", "cp949", "johab", "iso2022_jp", "iso2022_kr"}
_DECLARED = re.compile(rb"""(?:encoding|charset)\s*=\s*["']?\s*([A-Za-z0-9][A-Za-z0-9_.:-]{0,39})""", re.I)


def canonical(name: str | None) -> str | None:
    """Python codec name for a declared charset, widened to its superset; None if unknown."""
    if not name:
        return None
    try:
        codec = codecs.lookup(name.strip().strip("\"'").lower().replace("iso-8859-8-i", "iso-8859-8")).name
    except LookupError:
        return None
    codec = codec.replace("-", "_")
    return _SUPERSETS.get(codec, codec)


def bomless_unicode(data: bytes) -> str | None:
    """Detect BOM-less UTF-16/32 from where the zero bytes sit (ASCII-heavy text has many)."""
    sample = data[:4096]
    n = len(sample) - len(sample) % 4
    if n < 4 or sample.count(0) < n // 8:
        return None
    quarters = [sample[i:n:4].count(0) / (n // 4) for i in range(4)]
    if quarters[0] < 0.1 and min(quarters[1:]) > 0.8:
        return "utf-32-le"
    if quarters[3] < 0.1 and min(quarters[:3]) > 0.8:
        return "utf-32-be"
    even, odd = (quarters[0] + quarters[2]) / 2, (quarters[1] + quarters[3]) / 2
    if odd > 0.3 and even < 0.05:
        return "utf-16-le"
    if even > 0.3 and odd < 0.05:
        return "utf-16-be"
    return None


def _mostly_clean(data: bytes, encoding: str) -> str | None:
    """Decode with replacement if only a few bytes are bad (e.g. a truncated last character)."""
    try:
        text = data.decode(encoding, errors="replace")
    except LookupError:
        return None
    return text if text.count("\ufffd") <= max(2, len(text) // 200) else None


def _isolated_high_bytes(data: bytes) -> bool:
    """Western single-byte text has lone accented bytes between ASCII; CJK/Cyrillic come in runs."""
    high = lone = 0
    for i, b in enumerate(data[:65536]):
        if b >= 0x80:
            high += 1
            prev_ascii = i == 0 or data[i - 1] < 0x80
            next_ascii = i + 1 >= len(data) or data[i + 1] < 0x80
            lone += prev_ascii and next_ascii
    return high > 0 and lone / high > 0.5


def _western(data: bytes, guess: str) -> str:
    """cp1252 unless the detector's Latin guess reads as more letters (e.g. Polish in cp1250)."""
    ours, theirs = _mostly_clean(data, "cp1252"), _mostly_clean(data, guess)
    if ours is None or theirs is None or ours == theirs:
        return guess if ours is None else "cp1252"
    sample = slice(0, 20000)
    return guess if _letters(theirs[sample]) > _letters(ours[sample]) else "cp1252"


def _letters(text: str) -> int:
    return sum(1 for char in text if ord(char) > 127 and char.isalpha())


def _detect(data: bytes) -> str | None:
    if _isolated_high_bytes(data) and _mostly_clean(data, "cp1252") is not None:
        return "cp1252"
    matches = [m.encoding for m in from_bytes(data) if not m.encoding.startswith(("utf_16", "utf_32"))]
    if not matches:
        return None
    best = canonical(matches[0]) or matches[0]
    if _LATIN.match(best):
        return _western(data, best)
    few_high = sum(b >= 0x80 for b in data[:4096]) < 64
    if best in _CJK and few_high and "gb18030" in matches:
        return "gb18030"  # short CJK samples are ambiguous; simplified Chinese is the common case here
    return best


def decode_text(data: bytes, *, declared: str | None = None) -> str:
    """Decode bytes to str; `declared` is a charset from outside the bytes (e.g. a MIME header)."""
    if not data:
        return ""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, errors="replace")
    nul_encoding = bomless_unicode(data)
    if nul_encoding:
        return data.decode(nul_encoding, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    hints = [declared] + [m.decode("ascii") for m in _DECLARED.findall(data[:2048])[:3]]
    for hint in hints:
        hinted = canonical(hint)
        if hinted and not hinted.startswith(("utf_16", "utf_32")):
            text = _mostly_clean(data, hinted)
            if text is not None:
                return text
    detected = _detect(data)
    if detected:
        text = _mostly_clean(data, detected)
        if text is not None:
            return text
    return data.decode("utf-8", errors="replace")
