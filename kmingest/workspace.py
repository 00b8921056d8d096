"""Opens what a command needs from a validated Config: the index backend, the embedder with its cache,
and the state store. The CLI, the portal and the Airflow DAGs all start here.

Writers (ingest, eval, reindex) use `Workspace` and `check_model`, which creates the index and ties the
state to it. Readers (`kmingest search`) use `SearchWorkspace`: it opens an index only if it exists, checks
the stored vector spaces against the configured models, and never creates an index or touches the state.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType

from kmingest.config import Config
from kmingest.connectors.registry import build_connector
from kmingest.embedding import Embedder, EmbeddingCache, default_model_dir
from kmingest.index.base import IndexBackend, IndexError_, spaces_mismatch
from kmingest.pipeline import SourceRun
from kmingest.state import RunStats, StateStore, open_database, open_state

log = logging.getLogger("kmingest.workspace")


def open_index(config: Config) -> IndexBackend:
    if config.index.backend == "embedded":
        from kmingest.index.embedded import EmbeddedIndex

        return EmbeddedIndex(config.index.path)
    from kmingest.index.elastic import ElasticIndex
    from kmingest.index.es_schema import make_client

    cfg = config.index
    return ElasticIndex(make_client(cfg), cfg.index_prefix, shards=cfg.shards, replicas=cfg.replicas)


REEMBED_FIX = (
    "re-embed (`kmingest ingest --all --full --force` into a new index.path, or `kmingest reindex` "
    "on Elasticsearch)"
)


class IndexNotBuilt(IndexError_):
    """A reader found no index (or an empty one): nothing was created, the fix is to ingest first."""


def index_location(config: Config) -> str:
    """Where the configured index lives, as a user names it: the file, or the Elasticsearch prefix."""
    if config.index.backend == "embedded":
        return str(config.index.path)
    return f"Elasticsearch index prefix {config.index.index_prefix!r}"


def nothing_indexed(index: IndexBackend) -> bool:
    """No document in the index yet (no source has run, or the index path is new)."""
    return index.stats()["documents"] == 0


def check_stored_spaces(index: IndexBackend, embedder: Embedder) -> None:
    """The models are installed and, if the index records its vector spaces, they are the configured ones
    (IndexError_ naming the fix otherwise). Reads only."""
    embedder.check()
    stored = index.stored_spaces()
    if stored is not None and stored != embedder.spaces:
        raise spaces_mismatch("the index", stored, embedder.spaces, REEMBED_FIX)


def open_embedder(config: Config, cache: EmbeddingCache | None) -> Embedder:
    emb = config.embedding
    return Embedder(
        emb.routes(),
        emb.model_dir or default_model_dir(),
        emb.batch_size,
        emb.device,
        cache,
        emb.cjk_share,
        emb.query_cache,
    )


@dataclass
class SearchWorkspace:
    """For readers: the existing index and the query embedder; no state store, no embedding cache file.
    `open` raises IndexNotBuilt (creating nothing) where no index was built yet."""

    config: Config
    index: IndexBackend
    embedder: Embedder

    @classmethod
    def open(cls, config: Config) -> SearchWorkspace:
        not_built = IndexNotBuilt(
            f"no index yet at {index_location(config)}: run `kmingest ingest --all` "
            "first (the search created nothing)"
        )
        if config.index.backend == "embedded" and not config.index.path.exists():
            raise not_built  # opening the embedded index would create its file
        index = open_index(config)
        if index.stored_spaces() is None:
            index.close()
            raise not_built
        return cls(config, index, open_embedder(config, None))

    def check_readable(self) -> None:
        check_stored_spaces(self.index, self.embedder)

    def close(self) -> None:
        self.index.close()

    def __enter__(self) -> SearchWorkspace:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()


@dataclass
class Workspace:
    """`target` replaces the configured index (e.g. the new version `kmingest reindex` builds)."""

    config: Config
    target: IndexBackend | None = None
    index: IndexBackend = field(init=False)
    embedder: Embedder = field(init=False)
    state: StateStore = field(init=False)

    def __post_init__(self) -> None:
        cfg = self.config
        self.index = self.target or open_index(cfg)
        self.cache = EmbeddingCache(open_database(cfg, cfg.embedding.cache_path))  # state.backend decides
        self.embedder = open_embedder(cfg, self.cache)
        self.state = open_state(cfg)
        self._model_checked = False
        self._readable_checked = False

    def check_readable(self) -> None:
        """For readers (the portal): the models are installed and, if the index exists, it was built with
        them. Never creates or changes anything."""
        if self._readable_checked:
            return
        check_stored_spaces(self.index, self.embedder)
        self._readable_checked = True

    def check_model(self) -> None:
        """For writers: refuse to mix embedding models in one index; creates the index if new, then ties
        the state to it (a recreated index makes the next run write every record again)."""
        if not self._model_checked:
            self.embedder.check()
            self.index.ensure_spaces(self.embedder.spaces)
            if self.state.bind_index(self.index.index_id):
                log.warning(
                    "the index (%s) is new or was recreated: every record will be written again",
                    index_location(self.config),
                )
            self._model_checked = True

    def ingest(
        self,
        names: Sequence[str],
        full: bool = False,
        force: bool = False,
        progress: Callable[[str], Callable[[int], None] | None] | None = None,
    ) -> dict[str, RunStats]:
        self.check_model()
        results: dict[str, RunStats] = {}
        for name in names:
            run = self.source_run(name, full, force, progress(name) if progress else None)
            results[name] = run.run()
        return results

    def source_run(
        self,
        name: str,
        full: bool = False,
        force: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> SourceRun:
        """A runner for one configured source (raises ConfigError / ConnectorConfigError if it can't work)."""
        source = self.config.source(name)
        connector = build_connector(source, str(self.config.source_file or "config"))
        return SourceRun(
            source=source,
            connector=connector,
            index=self.index,
            embedder=self.embedder,
            state=self.state,
            chunking=self.config.chunking,
            limits=source.parse_limits(self.config.limits),
            full=full,
            force=force,
            progress=progress,
        )

    def close(self) -> None:
        self.index.close()
        self.cache.close()
        self.state.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()
