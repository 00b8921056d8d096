"""Chunker: Document -> [Chunk]. Heading- and sentence-aware, for Latin and CJK text.

A heading starts a new chunk (a section smaller than a quarter of the target joins the next one, so there
are no heading-only chunks). Sentences (split after . ! ?, 。！？； and line breaks) are packed up to
`target_tokens`; a sentence longer than `max_tokens` is cut at word/character boundaries; consecutive
chunks of one section share about `overlap_tokens` of trailing sentences. Every chunk keeps the document
title, its section path and its character offsets
into Document.text, so `text[start:end]` is exactly the chunk's text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kmingest.models import Chunk, Document, Section, chunk_id, sha256_hex

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[。！？；])|\s*\n\s*")
_CJK_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_WORD = re.compile(r"[^\s\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]+")


def estimate_tokens(text: str) -> int:
    """Rough model-token count: a CJK character is about one token, a Latin word about 1.3."""
    return len(_CJK_CHAR.findall(text)) + (len(_WORD.findall(text)) * 4 + 2) // 3


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    tokens: int


def _sentences(text: str, start: int, end: int) -> list[_Span]:
    spans: list[_Span] = []
    pos = start
    for m in _SENTENCE_END.finditer(text, start, end):
        if m.start() > pos:
            spans.append(_Span(pos, m.start(), 0))
        pos = m.end()
    if pos < end:
        spans.append(_Span(pos, end, 0))
    out: list[_Span] = []
    for s in spans:
        # trim whitespace so offsets point at text
        seg = text[s.start : s.end]
        lead = len(seg) - len(seg.lstrip())
        trail = len(seg) - len(seg.rstrip())
        if s.end - trail > s.start + lead:
            a, b = s.start + lead, s.end - trail
            out.append(_Span(a, b, estimate_tokens(text[a:b])))
    return out


def _split_long(text: str, span: _Span, max_tokens: int) -> list[_Span]:
    """Cut a sentence that alone exceeds max_tokens at whitespace (or anywhere, for CJK runs)."""
    pieces: list[_Span] = []
    start = span.start
    while start < span.end:
        # grow an end point until the estimate exceeds max_tokens
        lo, hi = start + 1, min(span.end, start + max_tokens * 8)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if estimate_tokens(text[start:mid]) <= max_tokens:
                lo = mid
            else:
                hi = mid - 1
        end = lo
        if end < span.end:
            ws = text.rfind(" ", start + 1, end)
            if ws > start + (end - start) // 2:
                end = ws
        pieces.append(_Span(start, end, estimate_tokens(text[start:end])))
        start = end
        while start < span.end and text[start].isspace():
            start += 1
    return pieces


def _section_ranges(doc: Document) -> list[Section]:
    """Sections in order covering the whole text; gaps become sections with an empty path."""
    ranges: list[Section] = []
    pos = 0
    for sec in sorted(doc.sections, key=lambda s: (s.start, s.end)):
        if sec.start < pos:
            continue
        if sec.start > pos:
            ranges.append(Section((), pos, sec.start))
        ranges.append(Section(sec.path, sec.start, min(sec.end, len(doc.text))))
        pos = min(sec.end, len(doc.text))
    if pos < len(doc.text):
        ranges.append(Section((), pos, len(doc.text)))
    return ranges


@dataclass(frozen=True)
class _Unit:
    span: _Span
    section: int


def chunk_document(
    doc: Document, target_tokens: int = 220, max_tokens: int = 300, overlap_tokens: int = 30
) -> list[Chunk]:
    text = doc.text
    sections = _section_ranges(doc)
    units: list[_Unit] = []
    for n, sec in enumerate(sections):
        for s in _sentences(text, sec.start, sec.end):
            pieces = _split_long(text, s, max_tokens) if s.tokens > max_tokens else [s]
            units.extend(_Unit(p, n) for p in pieces)
    min_tokens = target_tokens // 4  # a section smaller than this joins the next one (no tiny chunks)
    chunks: list[Chunk] = []
    i = 0
    while i < len(units):
        j, tokens = i, 0
        weight: dict[int, int] = {}
        while j < len(units):
            u = units[j]
            if j > i and (
                tokens + u.span.tokens > target_tokens
                or (u.section != units[j - 1].section and tokens >= min_tokens)
            ):
                break
            tokens += u.span.tokens
            weight[u.section] = weight.get(u.section, 0) + u.span.tokens + 1
            j += 1
        main = max(weight, key=lambda k: (weight[k], -k))
        section_name = " > ".join(sections[main].path)
        start, end = units[i].span.start, units[j - 1].span.end
        body = text[start:end]
        ordinal = len(chunks)
        chunks.append(
            Chunk(
                chunk_id=chunk_id(doc.doc_id, ordinal),
                doc_id=doc.doc_id,
                ordinal=ordinal,
                text=body,
                title=doc.title,
                section=section_name,
                start=start,
                end=end,
                text_hash=sha256_hex(f"{doc.title}\x1f{section_name}\x1f{body}"),
            )
        )
        if j >= len(units):
            break
        # overlap: step back over trailing sentences of the same section, but always move forward
        back, k = 0, j
        while (
            k - 1 > i
            and units[k - 1].section == units[j].section
            and back + units[k - 1].span.tokens <= overlap_tokens
        ):
            k -= 1
            back += units[k].span.tokens
        i = k
    return chunks
