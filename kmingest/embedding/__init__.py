"""Embedding: model profiles (profiles.py), fetching them (fetch.py), loading one model (encoder.py),
routing chunks and queries by script (routing.py) and the chunk embedder with its cache (embedder.py)."""

from kmingest.embedding.embedder import Embedder, EmbeddingCache
from kmingest.embedding.encoder import EmbeddingError, Encoder, Matrix, default_model_dir
from kmingest.embedding.profiles import BUILTIN, ModelProfile

__all__ = [
    "BUILTIN",
    "Embedder",
    "EmbeddingCache",
    "EmbeddingError",
    "Encoder",
    "Matrix",
    "ModelProfile",
    "default_model_dir",
]
