"""Semantic area matching: a document counts for a knowledge area when one of its chunks means what the
area says, even in other words.

area name + description + keywords + query (each routed by script to its model) -> query vectors
chunk vectors (vectors.py) -> per document: best cosine over the area's texts -> passes the model's threshold

An English text is compared with the English-model chunks, a Chinese text with the Chinese-model chunks
(the same routing as documents and search queries), so an area with keywords in both languages reaches
documents in both. A document passes when its best chunk is at least `threshold(model)` similar to one of
the area's texts; the score shown in the report is that cosine.

Thresholds were calibrated on the bundled sample exports against the sample generator's ground truth
(tests/coverage/area_truth.py: each OA document's generator topic, mapped to the map's areas): the value
per model with the best F1 of (area, document) pairs; see docs/coverage.md "Calibration" for the figures
and the command. `coverage.area_min_similarity` overrides them per model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from kmingest.config import Config
from kmingest.coverage.vectors import ChunkVectors, Matrix, query_vector
from kmingest.embedding import Embedder

# calibrated on the sample exports (docs/coverage.md, "Calibration"); quantised and full models share them
CALIBRATED: dict[str, float] = {
    "bge-small-en-v1.5": 0.70,
    "bge-small-en-v1.5-q": 0.70,
    "bge-small-zh-v1.5": 0.60,
    "bge-small-zh-v1.5-q": 0.60,
}
FALLBACK = 0.75  # a model nobody calibrated: demanding, so keyword matching stays the main signal


def thresholds(config: Config) -> dict[str, float]:
    """Model (space) name -> minimum similarity, for every configured model."""
    out: dict[str, float] = {}
    for profile in config.embedding.routes().values():
        own = config.coverage.area_min_similarity.get(profile.name)
        out[profile.name] = own if own is not None else CALIBRATED.get(profile.name, FALLBACK)
    return out


@dataclass
class SemanticMatcher:
    """Scores documents against short texts (area descriptions, keywords) by their chunk vectors."""

    embedder: Embedder
    vectors: Mapping[str, ChunkVectors]  # space -> chunks
    minimum: Mapping[str, float]  # space -> threshold
    _queries: dict[str, tuple[str, Matrix]] = field(default_factory=dict)
    _scores: dict[tuple[str, ...], dict[str, tuple[float, str]]] = field(default_factory=dict)

    def _query(self, text: str) -> tuple[str, Matrix]:
        if text not in self._queries:
            self._queries[text] = query_vector(self.embedder, text)
        return self._queries[text]

    def scores(self, texts: tuple[str, ...]) -> dict[str, tuple[float, str]]:
        """Per document: (best cosine, space) over `texts` and the document's chunks in each text's space."""
        if texts not in self._scores:
            best: dict[str, tuple[float, str]] = {}
            for text in texts:
                space, vector = self._query(text)
                chunks = self.vectors.get(space)
                if chunks is None:
                    continue
                for doc_id, score in chunks.best_per_document(vector).items():
                    if score > best.get(doc_id, (-2.0, ""))[0]:
                        best[doc_id] = (score, space)
            self._scores[texts] = best
        return self._scores[texts]

    def matches(self, texts: tuple[str, ...]) -> dict[str, float]:
        """Documents whose best chunk passes its model's threshold -> that cosine."""
        return {
            doc_id: round(score, 4)
            for doc_id, (score, space) in self.scores(texts).items()
            if score >= self.minimum.get(space, FALLBACK)
        }

    def similarity(self, text: str, others: tuple[str, ...]) -> float:
        """Cosine of `text` with the most similar of `others` in the same space (-1 if none shares it)."""
        space, vector = self._query(text)
        best = -1.0
        for other in others:
            other_space, other_vector = self._query(other)
            if other_space == space:
                best = max(best, float(vector @ other_vector))
        return best
