"""Opens what a command needs from a validated Config: the index backend, the embedder with its cache,
and the state store. The CLI, the portal and the Airflow DAGs all start here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType

from kmingest.config import Config
from kmingest.connectors.registry import build_connector
from kmingest.embedding import Embedder, EmbeddingCache, default_model_dir
from kmingest.index.base import IndexBackend, spaces_mismatch
from kmingest.pipeline import SourceRun
from kmingest.state import RunStats, StateStore

log = logging.getLogger("kmingest.workspace")


def open_index(config: Config) -> IndexBackend:
    if config.index.backend == "embedded":
        from kmingest.index.embedded import EmbeddedIndex

        return EmbeddedIndex(config.index.path)
    from kmingest.index.elastic import ElasticIndex
    from kmingest.index.es_schema import make_client

    return ElasticIndex(make_client(config.index), config.index.index_prefix)


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
        self.cache = EmbeddingCache(cfg.embedding.cache_path)
        emb = cfg.embedding
        self.embedder = Embedder(emb.routes(), emb.model_dir or default_model_dir(), emb.batch_size, emb.device,
                                 self.cache, emb.cjk_share, emb.query_cache)  # fmt: skip
        self.state = StateStore(cfg.state_dir / "state.db")
        self._model_checked = False
        self._readable_checked = False

    def check_readable(self) -> None:
        """For readers (the portal): the models are installed and, if the index exists, it was built with
        them. Never creates or changes anything."""
        if self._readable_checked:
            return
        self.embedder.check()
        stored = self.index.stored_spaces()
        if stored is not None and stored != self.embedder.spaces:
            raise spaces_mismatch("the index", stored, self.embedder.spaces,
                                  "re-embed (`kmingest ingest --all --full --force` into a new index.path, or "
                                  "`kmingest reindex` on Elasticsearch)")  # fmt: skip
        self._readable_checked = True

    def check_model(self) -> None:
        """For writers: refuse to mix embedding models in one index; creates the index if new, then ties
        the state to it (a recreated index makes the next run write every record again)."""
        if not self._model_checked:
            self.embedder.check()
            self.index.ensure_spaces(self.embedder.spaces)
            if self.state.bind_index(self.index.index_id):
                log.warning("index %s is new or was recreated: every record will be written again",
                            self.config.index.path if self.config.index.backend == "embedded" else
                            self.config.index.index_prefix)  # fmt: skip
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
            source=source, connector=connector, index=self.index, embedder=self.embedder, state=self.state,
            chunking=self.config.chunking, limits=source.parse_limits(self.config.limits), full=full, force=force,
            progress=progress,
        )  # fmt: skip

    def close(self) -> None:
        self.index.close()
        self.cache.close()
        self.state.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()
