"""Which model reads a text: chunks and queries are routed by their script.

The share of CJK in a text is counted as CJK characters against CJK characters plus Latin words (a Chinese
character carries about as much meaning as an English word), so an ERP row such as `汽蚀噪声 pump noise`
counts as CJK while an English paragraph with one Chinese product name stays Latin.
"""

from __future__ import annotations

import re

from kmingest.analysis import CJK_CHARS
from kmingest.embedding.profiles import Script

_CJK_CHAR = re.compile(f"[{CJK_CHARS}]")
_LATIN_WORD = re.compile(r"[A-Za-z\u00c0-\u024f]+")

DEFAULT_CJK_SHARE = 0.3


def cjk_share(text: str) -> float:
    cjk = len(_CJK_CHAR.findall(text))
    if cjk == 0:
        return 0.0
    return cjk / (cjk + len(_LATIN_WORD.findall(text)))


def script_of(text: str, threshold: float = DEFAULT_CJK_SHARE) -> Script:
    """'cjk' when at least `threshold` of the text's units are CJK, else 'latin' (also for no letters)."""
    return "cjk" if cjk_share(text) >= threshold else "latin"
