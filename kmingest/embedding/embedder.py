"""Embedder: [Chunk] -> one (vector space, normalized vector) per chunk, with a cache by chunk-text hash
(a SQLite file, or a table of the PostgreSQL state database when `state.backend` is postgres).

Each chunk is read by the model of its script (embedding/routing.py): with the default profiles Chinese
chunks go to bge-small-zh-v1.5 and the rest to bge-small-en-v1.5. A vector space is named by its model
profile; the index keeps one vector field per space. A query is embedded by the model of its own script
(kmingest.search.embed_query) and searches that space.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from kmingest.embedding.encoder import Encoder, Matrix
from kmingest.embedding.profiles import ModelProfile, Script
from kmingest.embedding.routing import DEFAULT_CJK_SHARE, script_of
from kmingest.index.base import SpaceVector
from kmingest.models import Chunk
from kmingest.state.database import Database, SqliteDatabase, placeholders


class EmbeddingCache:
    """Vectors already computed, keyed by (model profile, chunk text hash): `EmbeddingCache(path)` is its
    own SQLite file; `EmbeddingCache(database)` the configured state database (PostgreSQL: one cache for
    every worker). Writers in several processes may store the same vector at once: the last one wins."""

    def __init__(self, where: Path | Database) -> None:
        self._db = where if isinstance(where, Database) else SqliteDatabase(where)
        self._db.create(_VECTOR_TABLE[self._db.dialect])

    def get_many(self, model: str, hashes: Sequence[str]) -> dict[str, Matrix]:
        found: dict[str, Matrix] = {}
        for i in range(0, len(hashes), 500):
            part = list(hashes[i : i + 500])
            rows = self._db.query(
                "SELECT text_hash, vector FROM vectors WHERE model = ? "
                f"AND text_hash IN ({placeholders(len(part))})",
                [model, *part],
            )
            for h, blob in rows:
                found[h] = np.frombuffer(bytes(blob), dtype=np.float32)
        return found

    def put_many(self, model: str, items: Sequence[tuple[str, Matrix]]) -> None:
        latest = dict(items)  # one row per hash (the last), in one order for every writer
        rows = [(model, h, latest[h].astype(np.float32).tobytes()) for h in sorted(latest)]
        self._db.write(lambda tx: tx.executemany(_PUT_VECTOR, rows))

    def close(self) -> None:
        self._db.close()


_VECTOR_TABLE = {
    "sqlite": "CREATE TABLE IF NOT EXISTS vectors (model TEXT, text_hash TEXT, vector BLOB,"
    " PRIMARY KEY (model, text_hash)) WITHOUT ROWID",
    "postgres": "CREATE TABLE IF NOT EXISTS vectors (model TEXT, text_hash TEXT, vector BYTEA,"
    " PRIMARY KEY (model, text_hash))",
}
_PUT_VECTOR = (
    "INSERT INTO vectors VALUES (?, ?, ?) "
    "ON CONFLICT (model, text_hash) DO UPDATE SET vector = excluded.vector"
)


class Embedder:
    """Routes chunks to the model of their script; counts what it computed and what came from the cache."""

    def __init__(
        self,
        routes: Mapping[Script, ModelProfile],
        model_dir: Path,
        batch_size: int | None = None,
        device: str | None = None,
        cache: EmbeddingCache | None = None,
        cjk_share: float = DEFAULT_CJK_SHARE,
        query_cache: int = 0,
    ) -> None:
        self.routes = dict(routes)
        self.cache = cache
        self.cjk_share = cjk_share
        self.encoders = {p.name: Encoder(p, model_dir, batch_size, device) for p in self.routes.values()}
        self.computed = 0
        self.cached = 0
        self.query_cache = query_cache  # recent query vectors kept (paging and facet clicks repeat a query)
        self._queries: OrderedDict[tuple[str, str], Matrix] = OrderedDict()
        self._queries_lock = threading.Lock()

    def query(self, space: str, text: str) -> Matrix:
        """The query's vector in a space; the last `query_cache` distinct queries are not encoded again."""
        key = (space, text)
        with self._queries_lock:
            known = self._queries.get(key)
            if known is not None:
                self._queries.move_to_end(key)
                return known
        vector: Matrix = self.encoders[space].queries([text])[0]
        vector.flags.writeable = False  # shared by every search of this query
        if self.query_cache > 0:
            with self._queries_lock:
                self._queries[key] = vector
                while len(self._queries) > self.query_cache:
                    self._queries.popitem(last=False)
        return vector

    @property
    def spaces(self) -> dict[str, int]:
        """Vector space (profile name) -> dimension, for the index's model guard."""
        return {name: enc.profile.dimension for name, enc in self.encoders.items()}

    def check(self) -> None:
        """Every model's files are present (raises EmbeddingError naming the fix)."""
        for enc in self.encoders.values():
            enc.check()

    def space_of(self, text: str) -> str:
        return self.routes[script_of(text, self.cjk_share)].name

    def embed(self, chunks: Sequence[Chunk]) -> list[SpaceVector]:
        """(space, vector) per chunk, in order; text already in the cache is not embedded again."""
        spaces = [self.space_of(c.embedding_input()) for c in chunks]
        out: list[SpaceVector | None] = [None] * len(chunks)
        for space, enc in self.encoders.items():
            idx = [i for i, s in enumerate(spaces) if s == space]
            if not idx:
                continue
            hashes = [chunks[i].text_hash for i in idx]
            known = self.cache.get_many(space, hashes) if self.cache else {}
            unique: dict[str, int] = {}  # identical passages in one batch are embedded once
            for i, h in zip(idx, hashes, strict=True):
                if h not in known:
                    unique.setdefault(h, i)
            fresh = enc.passages([chunks[i].embedding_input() for i in unique.values()])
            new = dict(zip(unique.keys(), fresh, strict=True))
            if self.cache and new:
                self.cache.put_many(space, list(new.items()))
            self.computed += len(new)
            self.cached += sum(1 for h in hashes if h in known)
            found = known | new
            for i, h in zip(idx, hashes, strict=True):
                out[i] = (space, np.asarray(found[h], dtype=np.float32))
        return [v for v in out if v is not None]
