"""The index contract every backend (embedded SQLite, Elasticsearch) implements, and shared helpers.

Search semantics, the same on every backend:
- the result set of a query is the documents with a lexical (BM25) match plus the `vector_k` nearest
  documents by embedding, after filters and the caller's ACL; `total` and `facets` count that set;
- hits are documents (best chunk per document), ranked by reciprocal rank fusion of the two rankings
  (mode "hybrid"), or by one of them (mode "bm25" / "vector");
- an empty query lists documents newest first (browse), with the same filters, ACL and facets;
- nothing a caller may not read is ever returned, counted or highlighted.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt

from kmingest.analysis import highlight_spans
from kmingest.models import PUBLIC, Chunk, Document

Mode = Literal["hybrid", "bm25", "vector"]
FACET_FIELDS = ("department", "system", "doc_type")
RRF_K = 20  # tuned on SciFact train (k=60: 0.7151, k=20: 0.7213 nDCG@10); see BENCHMARKS.md


class IndexError_(Exception):
    """The index cannot serve the request (e.g. it was built with another embedding model)."""


@dataclass(frozen=True)
class Caller:
    """Who is asking: principals such as public, user:alice, dept:Sales, group:qa. Admins see all."""

    principals: frozenset[str] = frozenset({PUBLIC})
    admin: bool = False

    @classmethod
    def anonymous(cls) -> Caller:
        return cls()

    @classmethod
    def system(cls) -> Caller:
        """The pipeline itself (counts for coverage, status): every document."""
        return cls(frozenset({PUBLIC}), admin=True)


@dataclass(frozen=True)
class Filters:
    departments: tuple[str, ...] = ()
    systems: tuple[str, ...] = ()
    doc_types: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    updated_from: datetime | None = None
    updated_to: datetime | None = None


@dataclass(frozen=True)
class SearchRequest:
    query: str = ""
    filters: Filters = Filters()
    mode: Mode = "hybrid"
    limit: int = 10
    offset: int = 0
    vector_k: int = 50
    lexical_k: int = 1000  # how many lexical documents take part in ranking
    # nearest neighbours less similar than this (cosine) are not results: without a floor every query,
    # even nonsense, "finds" vector_k documents (config: search.min_similarity)
    min_similarity: float | None = None


@dataclass(frozen=True)
class SearchHit:
    doc_id: str
    score: float
    title: str
    source: str
    system: str
    department: str
    doc_type: str
    section: str
    snippet_html: str
    updated_at: datetime | None = None
    url: str | None = None
    external_id: str = ""


@dataclass
class SearchResult:
    hits: list[SearchHit]
    total: int
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)


@dataclass(frozen=True)
class DocumentFacts:
    """What coverage reports need to know about one indexed document, without its text."""

    doc_id: str
    source: str
    external_id: str
    system: str
    department: str
    doc_type: str
    title: str
    author: str | None
    updated_at: datetime | None
    text_chars: int  # characters of text after stripping surrounding whitespace
    text_fingerprint: str  # see text_fingerprint(): equal for the same content from different sources
    chunks: int
    embedded_chunks: int  # chunks that carry a vector
    public: bool  # readable by everyone (its ACL holds "public")


def text_fingerprint(text: str) -> str:
    """Hash of a document's text with case and whitespace normalised (finds the same content twice)."""
    return hashlib.sha256(" ".join(text.split()).lower().encode("utf-8")).hexdigest()[:32]


class IndexBackend(Protocol):
    """What the pipeline and the portal need from an index."""

    @property
    def index_id(self) -> str:
        """A random id made when the index was created: the state store notices a rebuilt index by it."""

    def ensure_model(self, model: str, dimension: int) -> None:
        """Record the embedding model on first use; raise IndexError_ if the index holds another."""

    def upsert(self, items: Sequence[tuple[Document, Sequence[Chunk], npt.NDArray[np.float32]]]) -> None:
        """Insert or replace documents with all their chunks, atomically per call."""

    def delete(self, doc_ids: Sequence[str]) -> int:
        """Remove documents and all their chunks; returns how many documents existed."""

    def search(
        self, request: SearchRequest, caller: Caller, query_vector: npt.NDArray[np.float32] | None
    ) -> SearchResult: ...

    def counts(
        self, caller: Caller, group_by: Sequence[str], filters: Filters = Filters()
    ) -> dict[tuple[str, ...], int]:
        """Document counts grouped by fields (department, system, doc_type, source), ACL-filtered."""

    def get_document(self, doc_id: str, caller: Caller) -> dict[str, object] | None:
        """One document's metadata and full text, or None if absent or not readable by the caller."""

    def stats(self) -> dict[str, int]:
        """{'documents': n, 'chunks': m} over the whole index (for operators)."""

    def document_facts(self, caller: Caller, filters: Filters = Filters()) -> Iterator[DocumentFacts]:
        """Every readable document's metadata, text size and fingerprint, chunk counts (for coverage)."""

    def close(self) -> None: ...


def rrf_fuse(rankings: Iterable[Sequence[str]], k: int = RRF_K) -> list[tuple[str, float]]:
    """Reciprocal rank fusion: score(d) = sum over rankings of 1 / (k + rank), rank starting at 1."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, key in enumerate(ranking, start=1):
            scores[key] = scores.get(key, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


def make_snippet(text: str, query: str, width: int = 240) -> str:
    """HTML-escaped passage around the densest query match, matches wrapped in <mark>."""
    spans = highlight_spans(text, query) if query.strip() else []
    if spans:
        best = max(range(len(spans)), key=lambda i: sum(1 for s, _ in spans if 0 <= s - spans[i][0] < width))
        start = max(0, spans[best][0] - width // 4)
    else:
        start = 0
    end = min(len(text), start + width)
    if end - start < width:
        start = max(0, end - width)
    out = ["…" if start > 0 else ""]
    pos = start
    for s, e in spans:
        if e <= start or s >= end:
            continue
        s, e = max(s, start), min(e, end)
        out.append(html.escape(text[pos:s]))
        out.append(f"<mark>{html.escape(text[s:e])}</mark>")
        pos = e
    out.append(html.escape(text[pos:end]))
    out.append("…" if end < len(text) else "")
    return " ".join("".join(out).split())


def allowed(acl: Iterable[str], caller: Caller) -> bool:
    return caller.admin or bool(set(acl) & (caller.principals | {PUBLIC}))
