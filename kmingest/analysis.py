"""Lexical analysis shared by indexing, querying and highlighting in the embedded backend (index/lexical.py).

Latin text: NFKC, lowercase, English stop words dropped, Snowball English stemming.
CJK text (Han, Kana, Hangul): overlapping character bigrams plus the last character of each run as a
unigram, so a two-character query such as 质量 finds it inside longer text, and a one-character query
still matches (as a prefix of a bigram or as the final unigram).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

import snowballstemmer

CJK_CHARS = (
    r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
    r"\U00020000-\U0002a6df\U0002a700-\U0002ebef"
)
_TOKEN_RE = re.compile(rf"[{CJK_CHARS}]+|[^\W_{CJK_CHARS}]+", re.UNICODE)
_CJK_RUN_RE = re.compile(rf"[{CJK_CHARS}]+")
_WORD_RE = re.compile(rf"[^\W_{CJK_CHARS}]+")  # the non-CJK tokens of _TOKEN_RE
_COMPAT_IDEOGRAPHS = re.compile(r"[\uf900-\ufaff]")  # CJK characters that NFKC changes
# Snowball keeps a word's first two letters, except for these (dying -> die)
_STEM_PREFIX_EXCEPTIONS = {"die": "dy", "lie": "ly", "tie": "ty"}

STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "but",
        "by",
        "for",
        "from",
        "had",
        "has",
        "have",
        "he",
        "her",
        "his",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "our",
        "she",
        "so",
        "such",
        "that",
        "the",
        "their",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "were",
        "which",
        "will",
        "with",
        "not",
        "no",
        "we",
        "you",
        "your",
        "than",
        "those",
        "what",
        "when",
        "where",
        "who",
        "whom",
        "why",
        "how",
        "all",
        "any",
        "both",
        "each",
        "few",
        "more",
        "most",
        "other",
        "some",
    ]
)

_stemmer = snowballstemmer.stemmer("english")


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    return str(_stemmer.stemWord(word))


def is_cjk(token: str) -> bool:
    return bool(_CJK_RUN_RE.fullmatch(token))


def _cjk_terms(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)] + [run[-1]]


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def analyze(text: str) -> list[str]:
    """Index terms of a text, in order (CJK runs expand to bigrams + final unigram)."""
    terms: list[str] = []
    for match in _TOKEN_RE.finditer(normalize(text)):
        tok = match.group()
        if is_cjk(tok):
            terms.extend(_cjk_terms(tok))
        elif tok not in STOP_WORDS:
            terms.append(_stem(tok))
    return terms


def query_terms(query: str) -> list[str]:
    """Distinct terms of a query; a CJK run of one character becomes a prefix term (marked with '*')."""
    out: list[str] = []
    for match in _TOKEN_RE.finditer(normalize(query)):
        tok = match.group()
        if is_cjk(tok):
            terms = [tok + "*"] if len(tok) == 1 else [tok[i : i + 2] for i in range(len(tok) - 1)]
        elif tok in STOP_WORDS:
            continue
        else:
            terms = [_stem(tok)]
        out.extend(t for t in terms if t not in out)
    return out


def query_words(query: str) -> list[str]:
    """The query split into units that each analyse to exactly one query term: words as written (stemming
    them here and searching the stem would stem twice: expense -> expens -> expen), CJK bigrams and single
    CJK characters. Searching each unit separately gives per-term matches, e.g. for an AND of all terms."""
    out: list[str] = []
    for match in _TOKEN_RE.finditer(normalize(query)):
        tok = match.group()
        if is_cjk(tok):
            units = [tok] if len(tok) == 1 else [tok[i : i + 2] for i in range(len(tok) - 1)]
        elif tok in STOP_WORDS:
            continue
        else:
            units = [tok]
        out.extend(u for u in units if u not in out)
    return out


def _cjk_matches(run: str, units: set[str]) -> list[tuple[int, int]]:
    """Spans within a CJK run of the query's CJK units (bigrams, or single characters) that occur in it."""
    normalized = unicodedata.normalize("NFKC", run)
    if len(normalized) == len(run):
        run = normalized
    return [(i, i + n) for n in (1, 2) for i in range(len(run) - n + 1) if run[i : i + n] in units]


def _cjk_spans(text: str, units: set[str]) -> list[tuple[int, int]]:
    """Every occurrence of each CJK unit in the text (overlapping ones too)."""
    if _COMPAT_IDEOGRAPHS.search(text):  # NFKC changes these: compare run by run, normalised
        return [
            (m.start() + s, m.start() + e)
            for m in _CJK_RUN_RE.finditer(text)
            for s, e in _cjk_matches(m.group(), units)
        ]
    spans: list[tuple[int, int]] = []
    for unit in units:
        at = text.find(unit)
        while at >= 0:
            spans.append((at, at + len(unit)))
            at = text.find(unit, at + 1)
    return spans


def highlight_spans(text: str, query: str) -> list[tuple[int, int]]:
    """Sorted, merged character spans of `text` that match the query: words with a query word's stem, and
    CJK text covered by the query's bigrams (or the character of a one-character CJK query run)."""
    words: set[str] = set()
    cjk_units: set[str] = set()
    for unit in query_words(query):
        if is_cjk(unit):
            cjk_units.add(unit)
        else:
            words.add(_stem(unit))
    spans: list[tuple[int, int]] = []
    # NFKC can change lengths; highlight on a lowercase copy, which keeps offsets for nearly all text.
    lowered = text.lower()
    if len(lowered) != len(text):
        lowered = text
    if cjk_units:
        spans.extend(_cjk_spans(lowered, cjk_units))
    if words:
        # only a word starting like a query stem can stem to it (Snowball keeps the first two letters);
        # a word with a non-ASCII letter is NFKC-normalised first, so it is always checked
        prefixes = {w[:2] for w in words} | {_STEM_PREFIX_EXCEPTIONS.get(w, w[:2]) for w in words}
        for match in _WORD_RE.finditer(lowered):
            tok = match.group()
            if tok.isascii():
                if tok[:2] in prefixes and _stem(tok) in words:
                    spans.append((match.start(), match.end()))
            elif _stem(unicodedata.normalize("NFKC", tok)) in words:
                spans.append((match.start(), match.end()))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


def densest_window(spans: Sequence[tuple[int, int]], width: int) -> int:
    """Index of the span that starts the window of `width` characters holding the most span starts (the
    first such; -1 when there are none): the passage to show. `spans` sorted by start, as highlight_spans
    returns them. Two pointers: linear in the number of spans (a page may hold tens of thousands)."""
    best, best_count, end = -1, 0, 0
    for i, (start, _) in enumerate(spans):
        end = max(end, i)
        while end < len(spans) and spans[end][0] - start < width:
            end += 1
        if end - i > best_count:
            best, best_count = i, end - i
    return best
