"""Typed records that flow through the pipeline.

connector -> SourceRecord -> parse -> Document -> chunk -> Chunk (+ vector) -> index.

Identity rules live here so every stage agrees on them:
- a document id is a stable hash of (source name, external id);
- a chunk id is the document id plus the chunk's position;
- content hashes are sha256 hex digests of the bytes/text they describe.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

PUBLIC = "public"
UNASSIGNED_DEPARTMENT = "unassigned"


def sha256_hex(data: bytes | str) -> str:
    """Never raises: a lone surrogate (e.g. from a PDF's font map) is hashed as its UTF-8-style bytes."""
    if isinstance(data, str):
        data = data.encode("utf-8", errors="surrogatepass")
    return hashlib.sha256(data).hexdigest()


def document_id(source: str, external_id: str) -> str:
    """Stable id of a document: the same source and external id always give the same id."""
    return sha256_hex(f"{source}\x1f{external_id}")[:32]


def chunk_id(doc_id: str, ordinal: int) -> str:
    return f"{doc_id}:{ordinal:05d}"


@dataclass(frozen=True)
class SourceRecord:
    """One item as a connector extracted it: raw bytes (a file) or fields (a row), plus metadata."""

    source: str
    external_id: str
    system: str
    filename: str = ""
    content: bytes | None = None
    fields: dict[str, Any] | None = None
    title: str | None = None
    department: str = UNASSIGNED_DEPARTMENT
    acl: tuple[str, ...] = (PUBLIC,)
    updated_at: datetime | None = None
    author: str | None = None
    url: str | None = None
    doc_type: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def doc_id(self) -> str:
        return document_id(self.source, self.external_id)

    def content_hash(self) -> str:
        """Hash of everything that changes what gets indexed: bytes/fields and the metadata."""
        h = hashlib.sha256()
        if self.content is not None:
            h.update(self.content)
        if self.fields is not None:
            h.update(
                json.dumps(self.fields, sort_keys=True, default=str).encode("utf-8", errors="surrogatepass")
            )
        meta = {
            "filename": self.filename,
            "title": self.title,
            "system": self.system,
            "department": self.department,
            "acl": sorted(self.acl),
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
            "author": self.author,
            "url": self.url,
            "doc_type": self.doc_type,
            "metadata": self.metadata,
        }
        h.update(json.dumps(meta, sort_keys=True, default=str).encode("utf-8", errors="surrogatepass"))
        return h.hexdigest()


@dataclass(frozen=True)
class Section:
    """A span of a document's text under one heading path, e.g. ("Policy", "Scope")."""

    path: tuple[str, ...]
    start: int
    end: int


@dataclass(frozen=True)
class ParsedContent:
    """What a parser extracts from bytes: text with its heading structure."""

    text: str
    title: str | None = None
    sections: tuple[Section, ...] = ()
    doc_type: str = "text"
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Document:
    """A parsed record, ready to be chunked: its text plus everything search filters on."""

    doc_id: str
    source: str
    external_id: str
    system: str
    title: str
    text: str
    sections: tuple[Section, ...]
    doc_type: str
    department: str
    acl: tuple[str, ...]
    content_hash: str
    updated_at: datetime | None = None
    author: str | None = None
    url: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Chunk:
    """A passage of a document with its place in it (vectors travel beside chunks as a matrix)."""

    chunk_id: str
    doc_id: str
    ordinal: int
    text: str
    title: str
    section: str
    start: int
    end: int
    text_hash: str

    def embedding_input(self) -> str:
        """The text the model sees: title and section give a passage its context."""
        head = " / ".join(p for p in (self.title, self.section) if p)
        return f"{head}\n{self.text}" if head else self.text
