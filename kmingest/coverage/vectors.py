"""Chunk vectors of indexed documents, per embedding space, for the coverage report's semantic matching,
topic discovery and demand grouping.

index.get_document (text) -> chunking.chunk_document -> Embedder.embed (cache first) -> ChunkVectors per space

The index API does not hand out stored vectors, so the report chunks each document's stored text again with
the configured chunking and embeds the chunks through the workspace's Embedder: the same routing by script
as ingestion (a Chinese chunk goes to the CJK model, an English one to the Latin model) and the same
embedding cache, so unchanged text is not embedded again. Headings are not stored with the text, so a
chunk boundary may differ from the indexed one; the vectors are those of the same text and models.
Vectors are L2-normalised: a dot product is the cosine similarity.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from kmingest.chunking import chunk_document
from kmingest.config import ChunkingConfig
from kmingest.embedding import Embedder
from kmingest.index.base import Caller, DocumentFacts, IndexBackend
from kmingest.models import Chunk, Document

Matrix = npt.NDArray[np.float32]


@dataclass(frozen=True)
class ChunkVectors:
    """The chunks of one embedding space: row i is a chunk of document doc_ids[i] with text texts[i]."""

    space: str
    doc_ids: tuple[str, ...]
    texts: tuple[str, ...]
    matrix: Matrix  # (chunks, dimension), rows of length 1

    def best_per_document(self, query: Matrix) -> dict[str, float]:
        """Per document: the cosine of its chunk most similar to the (normalised) query vector."""
        if not self.doc_ids:
            return {}
        scores = self.matrix @ normalised(query.reshape(1, -1))[0]
        best: dict[str, float] = {}
        for doc_id, score in zip(self.doc_ids, scores.tolist(), strict=True):
            if score > best.get(doc_id, -2.0):
                best[doc_id] = float(score)
        return best

    def subset(self, doc_ids: Iterable[str]) -> ChunkVectors:
        wanted = set(doc_ids)
        rows = [i for i, d in enumerate(self.doc_ids) if d in wanted]
        return ChunkVectors(
            self.space,
            tuple(self.doc_ids[i] for i in rows),
            tuple(self.texts[i] for i in rows),
            self.matrix[rows],
        )


def normalised(matrix: Matrix) -> Matrix:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.asarray(matrix / norms, dtype=np.float32)


def _document(fact: DocumentFacts, text: str) -> Document:
    return Document(
        doc_id=fact.doc_id,
        source=fact.source,
        external_id=fact.external_id,
        system=fact.system,
        title=fact.title,
        text=text,
        sections=(),
        doc_type=fact.doc_type,
        department=fact.department,
        acl=(),
        content_hash="",
    )


def chunk_vectors(
    index: IndexBackend, embedder: Embedder, facts: Sequence[DocumentFacts], chunking: ChunkingConfig
) -> dict[str, ChunkVectors]:
    """The chunk vectors of `facts`' documents, per embedding space (documents without text have none)."""
    chunks: list[Chunk] = []
    for fact in facts:
        stored = index.get_document(fact.doc_id, Caller.system())
        text = str(stored.get("text") or "") if stored else ""
        if text.strip():
            chunks += chunk_document(
                _document(fact, text), chunking.target_tokens, chunking.max_tokens, chunking.overlap_tokens
            )
    embedded = embedder.embed(chunks) if chunks else []
    rows: dict[str, list[int]] = {}
    for i, (space, _) in enumerate(embedded):
        rows.setdefault(space, []).append(i)
    out: dict[str, ChunkVectors] = {}
    for space, idx in rows.items():
        matrix = normalised(np.stack([embedded[i][1] for i in idx]).astype(np.float32))
        out[space] = ChunkVectors(
            space, tuple(chunks[i].doc_id for i in idx), tuple(chunks[i].text for i in idx), matrix
        )
    return out


def query_vector(embedder: Embedder, text: str) -> tuple[str, Matrix]:
    """(space, normalised vector) of a short text (an area keyword, a search query), routed by script."""
    space = embedder.space_of(text)
    vector = np.asarray(embedder.query(space, text), dtype=np.float32).reshape(1, -1)
    return space, normalised(vector)[0]
