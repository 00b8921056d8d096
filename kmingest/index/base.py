"""The index contract every backend (embedded SQLite, Elasticsearch) implements, and shared helpers.

Search semantics, the same on every backend (one implementation: index/hybrid.py):
- the result set of a query is the documents with a lexical (BM25) match plus the `vector_k` nearest
  documents by embedding in the query's vector space above its similarity floor, after filters and the
  caller's ACL; `total` and `facets` count that set;
- hits are documents (best chunk per document), ranked by fusing the two rankings (mode "hybrid", see
  index/fusion.py), or by one of them (mode "bm25" / "vector");
- an empty query lists documents newest first (browse), with the same filters, ACL and facets;
- exact duplicates (same `text_fingerprint`) are one result: the copy ranked first is the hit and lists the
  other copies the caller may read (within the same filters) as `SearchHit.duplicates`; later copies are
  not hits of their own. `total`, facets and range counts count such groups (a document without text is
  a group of its own);
- a facet count is what a filter on that value shows for the lexical matches; for the nearest documents it
  counts those among the whole result's `vector_k` nearest, while the filter takes the `vector_k` nearest
  within the value, so where more than `vector_k` documents pass the floor a filter can show more than its
  facet said. Range counts (the year facet) are exact: each range runs its own nearest search;
- nothing a caller may not read is ever returned, counted or highlighted.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt

from kmingest.analysis import densest_window, highlight_spans
from kmingest.index.fusion import Method
from kmingest.models import PUBLIC, Chunk, Document

Mode = Literal["hybrid", "bm25", "vector"]
FACET_FIELDS = ("department", "system", "doc_type")
GROUP_FIELDS = (*FACET_FIELDS, "source")
Vector = npt.NDArray[np.float32]
DateRange = tuple[datetime | None, datetime | None]  # (updated_from, updated_to), both inclusive
SpaceVector = tuple[str, Vector]  # a chunk's vector and the space (model profile) it belongs to
IndexItem = tuple[Document, Sequence[Chunk], Sequence[SpaceVector]]


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
    # how many lexical documents take part in ranking (all of them are counted; a deeper page takes as
    # many as it needs, index/hybrid.py `lexical_depth`): 200 keeps hybrid nDCG@10 within 0.002 of depth
    # 1000 on SciFact and CMRC 2018 (BENCHMARKS.md, "Lexical depth against nDCG@10") at a fraction of
    # Elasticsearch's cost
    lexical_k: int = 200
    # also count what the same search finds with each of these updated_at ranges (inclusive) as one more
    # filter, e.g. the portal's year facet: SearchResult.range_counts, one per range
    count_ranges: tuple[DateRange, ...] = ()
    # False: every copy of a text is a hit of its own and counts are documents (evaluation, knowledge map)
    collapse_duplicates: bool = True


@dataclass(frozen=True)
class SemanticQuery:
    """The query's vector in one space, with that model's similarity floor and its weight in fusion.
    Built by kmingest.search.semantic_query, so every caller gets the configured floor."""

    space: str
    vector: Vector
    # nearest neighbours less similar than this (cosine) are not results: without a floor every query,
    # even nonsense, "finds" vector_k documents
    min_similarity: float | None = None
    weight: float = 0.5  # share of the semantic side in hybrid fusion (index/fusion.py)
    fusion: Method = "convex"


@dataclass(frozen=True)
class Location:
    """Another readable copy of a hit's text (same fingerprint): where else the same content is."""

    doc_id: str
    title: str
    source: str
    system: str
    department: str
    external_id: str
    url: str | None = None


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
    duplicates: tuple[Location, ...] = ()  # the other readable copies, by source then external id
    author: str | None = None  # the document's author field ("people who wrote about this")


@dataclass
class SearchResult:
    hits: list[SearchHit]
    total: int
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    range_counts: list[int] | None = None  # with SearchRequest.count_ranges
    # Elasticsearch answered without some of its shards (a node is away and no replica took over): the
    # hits and counts may lack documents; the portal and the CLI say so
    partial: bool = False


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


def group_fingerprint(text: str) -> str | None:
    """The duplicate group key of a document's text: its fingerprint, None for a text of only whitespace
    (documents without text are never duplicates of each other)."""
    return text_fingerprint(text) if text.strip() else None


class IndexBackend(Protocol):
    """What the pipeline and the portal need from an index."""

    @property
    def index_id(self) -> str:
        """A random id made when the index was created: the state store notices a rebuilt index by it."""

    def stored_spaces(self) -> dict[str, int] | None:
        """The vector spaces the index was built with, or None before the first write."""

    def ensure_spaces(self, spaces: Mapping[str, int]) -> None:
        """Record the vector spaces (model profile -> dimension) on first use, creating the index; raise
        IndexError_ if the index was built with others."""

    def upsert(self, items: Sequence[IndexItem]) -> None:
        """Insert or replace documents with all their chunks, atomically per call."""

    def delete(self, doc_ids: Sequence[str]) -> int:
        """Remove documents and all their chunks; returns how many documents existed."""

    def search(
        self, request: SearchRequest, caller: Caller, semantic: SemanticQuery | None = None
    ) -> SearchResult: ...

    def counts(
        self, caller: Caller, group_by: Sequence[str], filters: Filters = Filters()
    ) -> dict[tuple[str, ...], int]:
        """Document counts grouped by fields (department, system, doc_type, source), ACL-filtered."""

    def keyword_matches(self, query: str, caller: Caller, filters: Filters = Filters()) -> frozenset[str]:
        """The doc_id of every readable document with a lexical match of the query (any of its terms, as
        a bm25 search matches them): no limit, no ranking, no snippets (coverage's term matching)."""

    def get_document(self, doc_id: str, caller: Caller) -> dict[str, object] | None:
        """One document's metadata and full text, or None if absent or not readable by the caller."""

    def stats(self) -> dict[str, int]:
        """{'documents': n, 'chunks': m} over the whole index (for operators)."""

    def document_facts(self, caller: Caller, filters: Filters = Filters()) -> Iterator[DocumentFacts]:
        """Every readable document's metadata, text size and fingerprint, chunk counts (for coverage)."""

    def close(self) -> None: ...


def check_group_by(group_by: Sequence[str]) -> None:
    for name in group_by:
        if name not in GROUP_FIELDS:
            raise ValueError(f"cannot group by {name!r}; use one of {', '.join(GROUP_FIELDS)}")


def spaces_mismatch(
    where: str, stored: Mapping[str, int], wanted: Mapping[str, int], fix: str
) -> IndexError_:
    def show(spaces: Mapping[str, int]) -> str:
        shown = ", ".join(f"{name} ({dim}-d)" for name, dim in sorted(spaces.items()))
        return shown or "one model of an earlier kmingest version"

    return IndexError_(
        f"{where} was built with embedding models {show(stored)}, not {show(wanted)}; "
        f"fix: set embedding.models back, or {fix}"
    )


def make_snippet(text: str, query: str, width: int = 240) -> str:
    """HTML-escaped passage around the densest query match, matches wrapped in <mark>."""
    spans = highlight_spans(text, query) if query.strip() else []
    start = max(0, spans[densest_window(spans, width)][0] - width // 4) if spans else 0
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
