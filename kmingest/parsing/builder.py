"""Shared text assembly for all parsers: paragraphs and headings in, ParsedContent out.

Each parser feeds blocks in document order; the builder joins them with blank lines, records a Section
(heading path, start, end) for every headed span and stops with ParseError as soon as the text passes
`max_chars`, so a huge document is never fully materialised.
"""

from __future__ import annotations

import re
from typing import Any

from kmingest.models import ParsedContent, Section
from kmingest.parsing.guard import check_chars

MAX_HEADING_CHARS = 200  # a whole paragraph styled as a heading must not become a huge section path
_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def squash(text: str) -> str:
    """All whitespace runs to one space (for headings, cells and inline HTML text)."""
    return " ".join(text.split())


def tidy_lines(text: str) -> str:
    """Keep line breaks, collapse other whitespace, drop blank-line runs (for a block's inner text)."""
    lines = (
        _SPACES.sub(" ", line).strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    )
    return _BLANK_LINES.sub("\n", "\n".join(lines)).strip()


class TextBuilder:
    """Accumulates blocks; separators go *before* a block so spans never include trailing blank lines."""

    def __init__(self, max_chars: int) -> None:
        self._parts: list[str] = []
        self._length = 0
        self._max_chars = max_chars
        self._path: list[tuple[int, str]] = []
        self._open: tuple[tuple[str, ...], int] | None = None
        self._sections: list[Section] = []
        self.first_heading: str | None = None

    def __len__(self) -> int:
        return self._length

    def _append(self, text: str) -> int:
        if self._parts:
            self._parts.append("\n\n")
            self._length += 2
        start = self._length
        self._parts.append(text)
        self._length += len(text)
        check_chars(self._length, self._max_chars)
        return start

    def paragraph(self, text: str) -> None:
        text = text.strip()
        if text:
            self._append(text)

    def heading(self, level: int, text: str) -> None:
        """Start a section; `level` 1 is the top. A heading closes open headings of its level or deeper."""
        text = squash(text)
        if not text:
            return
        self._close()
        while self._path and self._path[-1][0] >= level:
            self._path.pop()
        self._path.append((level, text[:MAX_HEADING_CHARS]))
        self._open = (tuple(t for _, t in self._path), self._append(text))
        if self.first_heading is None:
            self.first_heading = text

    def leave_sections(self) -> None:
        """Text added after this belongs to no heading (e.g. page headers/footers at the end)."""
        self._close()
        self._path.clear()

    def _close(self) -> None:
        if self._open is not None:
            path, start = self._open
            self._sections.append(Section(path=path, start=start, end=self._length))
            self._open = None

    def build(
        self, doc_type: str, title: str | None = None, metadata: dict[str, Any] | None = None
    ) -> ParsedContent:
        self._close()
        return ParsedContent(
            text="".join(self._parts),
            title=(squash(title) or None) if title else None,
            sections=tuple(self._sections),
            doc_type=doc_type,
            metadata=metadata or {},
        )
