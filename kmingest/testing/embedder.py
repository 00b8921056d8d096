"""A deterministic hashed embedder for tests whose subject is not the model (pipeline, staged runs, portal,
CLI, coverage): texts -> hashed word and Chinese-bigram features -> one L2-normalised vector, in
microseconds and without model files.

It goes through the same interface as the real one: `HashedEmbedder` is an `Embedder` whose encoders hash
instead of running a model, so chunks are routed by script, cached by text hash and searched in named
vector spaces that the index's model guard checks. Texts that share words (or Chinese bigrams) are near;
texts that share none are orthogonal up to hash collisions, so a similarity floor still drops them.

A config opts in by naming the hashed profiles (`hashed_embedding()` as its `embedding:` section);
`use_hashed_models()` makes the workspace build a `HashedEmbedder` for such a config (and only for such
a config: any other keeps the real models).
"""

from __future__ import annotations

import math
import re
import zlib
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from kmingest.analysis import CJK_CHARS
from kmingest.config import Config
from kmingest.embedding import Embedder, EmbeddingCache, EmbeddingError, Encoder, Matrix, ModelProfile
from kmingest.embedding.profiles import Script
from kmingest.embedding.routing import DEFAULT_CJK_SHARE

HASHED_PATH = "kmingest.testing:hashed"  # the `path` that marks a profile as hashed (no model folder)
HASHED_DIMENSION = 256
HASHED_FLOOR = 0.1  # cosine below which hashed neighbours share (almost) nothing but collisions
HASHED_MODELS: dict[Script, str] = {"latin": "hashed-latin", "cjk": "hashed-cjk"}

_WORD = re.compile(r"[a-z0-9\u00e0-\u024f]+")
_CJK_RUN = re.compile(f"[{CJK_CHARS}]+")
_STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "has",
        "have",
        "in",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "the",
        "to",
        "was",
        "were",
        "will",
        "with",
    ]
)


def _stem(word: str) -> str:
    """A crude suffix strip so that word forms meet (calibrated, calibrating, calibrate)."""
    for suffix in ("ing", "ed", "es", "s", "e"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def features(text: str) -> Counter[str]:
    """Lower-cased Latin words without stop words (stemmed), and each run of Chinese characters as its
    characters (half weight) and its bigrams, with their counts."""
    counts: Counter[str] = Counter()
    lowered = text.lower()
    for word in _WORD.findall(lowered):
        if word not in _STOP_WORDS:
            counts["w:" + _stem(word)] += 2
    for run in _CJK_RUN.findall(text):
        counts.update("c:" + char for char in run)
        for i in range(len(run) - 1):
            counts["b:" + run[i : i + 2]] += 2
    return counts


def hashed_vector(text: str, dimension: int = HASHED_DIMENSION) -> Matrix:
    """The text's features hashed (CRC32: the same in every process) into `dimension` signed buckets,
    weighted 1 + log(count), L2-normalised. A text without features gets one fixed vector (never zero:
    Elasticsearch refuses zero vectors for cosine similarity)."""
    vector = np.zeros(dimension, dtype=np.float32)
    counts = features(text) or Counter({"empty": 1})
    for feature, count in counts.items():
        code = zlib.crc32(feature.encode("utf-8"))
        sign = 1.0 if code & 0x80000000 else -1.0
        vector[code % dimension] += sign * (1.0 + math.log(count))
    norm = float(np.linalg.norm(vector))
    if norm == 0.0:  # every feature cancelled out in its bucket
        vector[zlib.crc32(text.encode("utf-8")) % dimension] = 1.0
        return vector
    return vector / norm


def hashed_profile(name: str, script: Script, dimension: int = HASHED_DIMENSION) -> ModelProfile:
    description = "hashed test embedder (kmingest.testing.embedder)"
    return ModelProfile(
        name,
        dimension,
        "torch",
        "mean",
        512,
        (script,),
        HASHED_FLOOR,
        path=HASHED_PATH,
        description=description,
    )


def hashed_routes(dimension: int = HASHED_DIMENSION) -> dict[Script, ModelProfile]:
    return {script: hashed_profile(name, script, dimension) for script, name in HASHED_MODELS.items()}


def hashed_embedding(
    dimension: int = HASHED_DIMENSION,
    names: Mapping[Script, str] = HASHED_MODELS,
    floors: Mapping[Script, float] | None = None,
    **settings: Any,
) -> dict[str, Any]:
    """A config's `embedding:` section naming hashed profiles (`names`: other model ids, e.g. to test a
    model change; `floors`: a similarity floor per script other than HASHED_FLOOR); `settings` adds other
    keys of the section (e.g. cache_path)."""
    profiles = {
        name: {
            "path": HASHED_PATH,
            "dimension": dimension,
            "scripts": [script],
            "min_similarity": (floors or {}).get(script, HASHED_FLOOR),
        }
        for script, name in names.items()
    }
    return {"profiles": profiles, "models": dict(names), **settings}


class HashedEncoder(Encoder):
    """An Encoder that hashes instead of loading a model: nothing to install, nothing to check."""

    def __init__(self, profile: ModelProfile) -> None:
        super().__init__(profile, Path("."), batch_size=1)

    def check(self) -> None:
        return None

    def model(self) -> Any:
        raise EmbeddingError(f"{self.profile.name!r} is the hashed test encoder: it has no model to load")

    def _hash(self, texts: Sequence[str]) -> Matrix:
        if not texts:
            return np.zeros((0, self.profile.dimension), dtype=np.float32)
        return np.stack([hashed_vector(t, self.profile.dimension) for t in texts])

    def passages(self, texts: Sequence[str]) -> Matrix:
        return self._hash(texts)

    def queries(self, texts: Sequence[str]) -> Matrix:
        return self._hash(texts)


class HashedEmbedder(Embedder):
    """The Embedder with hashed encoders: the same routing, cache, query cache and vector spaces."""

    def __init__(
        self,
        routes: Mapping[Script, ModelProfile] | None = None,
        cache: EmbeddingCache | None = None,
        cjk_share: float = DEFAULT_CJK_SHARE,
        query_cache: int = 0,
    ) -> None:
        routes = dict(routes or hashed_routes())
        super().__init__(routes, Path("."), cache=cache, cjk_share=cjk_share, query_cache=query_cache)
        self.encoders = {p.name: HashedEncoder(p) for p in self.routes.values()}


def is_hashed(config: Config) -> bool:
    """Every model the config routes to is a hashed profile."""
    return all(p.path == HASHED_PATH for p in config.embedding.routes().values())


@contextmanager
def use_hashed_models() -> Iterator[None]:
    """While active, a Workspace (and the portal, CLI and DAG code on it) opened on a config that names
    the hashed profiles embeds with a HashedEmbedder; any other config keeps its real models."""
    import kmingest.workspace as workspace

    real = workspace.open_embedder

    def open_embedder(config: Config, cache: EmbeddingCache | None) -> Embedder:
        if not is_hashed(config):
            return real(config, cache)
        emb = config.embedding
        return HashedEmbedder(config.embedding.routes(), cache, emb.cjk_share, emb.query_cache)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(workspace, "open_embedder", open_embedder)
        yield
