"""The documents and helpers of the index contract (index_contract.py): a five-document corpus in two
scripts with one Sales-only and one HTML-payload document, four copies of one text for duplicate
collapsing, and `ContractSearch`, which indexes documents and searches them the way the search service
does (each query embedded by the model of its script, with that model's floor and fusion weight).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from kmingest.chunking import chunk_document
from kmingest.config import Config
from kmingest.embedding import Embedder
from kmingest.index.base import (
    Caller,
    Filters,
    IndexBackend,
    Mode,
    SearchRequest,
    SearchResult,
    SemanticQuery,
)
from kmingest.models import Document, document_id, sha256_hex
from kmingest.search import embed_query
from kmingest.testing.embedder import HashedEmbedder, hashed_embedding

ALICE_SALES = Caller(frozenset({"public", "user:alice", "dept:Sales"}))
HANA_HR = Caller(frozenset({"public", "user:hana", "dept:HR"}))
SOURCE = "contract"


def make_doc(
    ext_id: str,
    title: str,
    text: str,
    department: str = "Quality",
    system: str = "oa",
    acl: Sequence[str] = ("public",),
    doc_type: str = "policy",
    updated: datetime | None = None,
) -> Document:
    return Document(
        doc_id=document_id(SOURCE, ext_id),
        source=SOURCE,
        external_id=ext_id,
        system=system,
        title=title,
        text=text,
        sections=(),
        doc_type=doc_type,
        department=department,
        acl=tuple(acl),
        content_hash=sha256_hex(text),
        updated_at=updated or datetime(2026, 1, 1, tzinfo=UTC),
    )


LEAVE = (
    "Employees receive ten working days of paid annual leave. "
    "Vacation requests are approved by the line manager."
)
CALIBRATION = "Torque wrenches are calibrated every six months. Gauges out of tolerance are locked."
XSS = "The string <script>alert('x')</script> must be shown as text in a valve report."
CORPUS = [
    make_doc("leave", "Annual leave policy", LEAVE, "HR", "oa", updated=datetime(2026, 3, 1, tzinfo=UTC)),
    make_doc(
        "calib",
        "Calibration rules",
        CALIBRATION,
        "Quality",
        "erp",
        doc_type="sop",
        updated=datetime(2025, 6, 1, tzinfo=UTC),
    ),
    make_doc(
        "zh",
        "来料检验规程",
        "质量部检验员按照抽样计划对每批来料进行检验。不合格品移入隔离区。",
        "Quality",
        "oa",
    ),
    make_doc(
        "price",
        "Secret discount list",
        "Key account Huadong gets a 31% discount on valve bodies.",
        "Sales",
        "crm",
        acl=("dept:Sales",),
        doc_type="note",
    ),
    make_doc("xss", "Escaping <b>test</b>", XSS, "R&D", "oa"),
]

FORKLIFT = "Forklift drivers renew their licence every three years at the plant safety office."
COPIES = [
    make_doc("inbox/1", "Forklift licence", FORKLIFT, "HR", updated=datetime(2026, 5, 1, tzinfo=UTC)),
    # the same text with other case and line breaks: the same fingerprint
    make_doc(
        "archive/1",
        "RE: Forklift licence",
        FORKLIFT.upper().replace(" at ", "\n at "),
        "Production",
        updated=datetime(2026, 5, 2, tzinfo=UTC),
    ),
    make_doc(
        "sales/1", "Forklift licence", FORKLIFT, acl=("dept:Sales",), updated=datetime(2026, 5, 3, tzinfo=UTC)
    ),
    make_doc(
        "fleet",
        "Forklift fleet",
        "The forklift fleet is leased; the lease renews every three years.",
        updated=datetime(2026, 4, 1, tzinfo=UTC),
    ),
]


def index_docs(backend: IndexBackend, embedder: Embedder, docs: Sequence[Document]) -> None:
    """Chunk, embed and upsert the documents, as an ingest run does (creating the index if new)."""
    backend.ensure_spaces(embedder.spaces)
    backend.upsert(
        [(doc, chunks, embedder.embed(chunks)) for doc in docs for chunks in [chunk_document(doc)]]
    )


def ext_ids(result: SearchResult) -> list[str]:
    return [h.external_id for h in result.hits]


@dataclass(frozen=True)
class ContractSearch:
    """An embedder and the config that names its models: what the contract indexes and searches with."""

    embedder: Embedder
    config: Config

    @classmethod
    def hashed(cls) -> ContractSearch:
        """With the hashed test embedder (no model files), for tests whose subject is not the model."""
        config = Config.model_validate({"embedding": hashed_embedding()})
        emb = config.embedding
        return cls(HashedEmbedder(emb.routes(), cjk_share=emb.cjk_share, query_cache=256), config)

    def index(self, backend: IndexBackend, docs: Sequence[Document]) -> None:
        index_docs(backend, self.embedder, docs)

    def semantic(self, text: str, mode: Mode = "hybrid") -> SemanticQuery | None:
        """The query's semantic part as the search service binds it (floor, fusion weight)."""
        return embed_query(self.embedder, self.config, text, mode)

    def query(
        self,
        backend: IndexBackend,
        text: str,
        caller: Caller = Caller.anonymous(),
        mode: Mode = "hybrid",
        filters: Filters = Filters(),
        limit: int = 10,
    ) -> SearchResult:
        request = SearchRequest(query=text, mode=mode, filters=filters, limit=limit)
        return backend.search(request, caller, self.semantic(text, mode))
