"""Rebuilding the Elasticsearch index without search downtime (`kmingest reindex`): every configured source
is ingested in full into a new physical version behind the aliases, then the aliases swap atomically.

config -> `plan_reindex` (the current version and the next one) -> `run_reindex`: a Workspace writing to
v<new> (fresh indices with the configured models, shards and replicas) -> every source, full and forced ->
alias swap (searches move from v<old> to v<new> in one request) -> v<old> deleted -> the state is tied to
the new index. Searches keep using v<old> until the swap. If a source fails, v<new> is deleted and the
aliases stay where they were (`ReindexFailed`; the state was tied to v<new>, so the next ingest writes every
record again); a leftover v<new> of an interrupted run is deleted by the next one.

The embedded backend has no aliases: `ReindexUnsupported` names its fix (a new index.path and a full run).
"""

from __future__ import annotations

from dataclasses import dataclass

from elasticsearch import Elasticsearch

from kmingest.config import Config, ConfigError
from kmingest.connectors.base import ConnectorConfigError
from kmingest.index.base import IndexError_
from kmingest.index.elastic import ElasticIndex
from kmingest.index.es_schema import Layout, make_client
from kmingest.state import RunStats


class ReindexUnsupported(IndexError_):
    """The configured backend cannot be rebuilt behind aliases (the embedded index)."""


class ReindexFailed(IndexError_):
    """A source failed while v<new> was built: v<new> is deleted and the aliases are unchanged.
    `config_error` tells a configuration problem (exit 2 in the CLI) from a failed run (exit 1)."""

    def __init__(self, message: str, config_error: bool) -> None:
        super().__init__(message)
        self.config_error = config_error


@dataclass(frozen=True)
class ReindexPlan:
    """What a reindex will do: build v<new_version> of the indices named by `prefix` from `sources`,
    then leave v<old_version> (None: the first build)."""

    prefix: str
    old_version: int | None
    new_version: int
    sources: tuple[str, ...]


@dataclass(frozen=True)
class ReindexResult:
    plan: ReindexPlan
    stats: dict[str, RunStats]  # per source, in config order


def _layout(config: Config, client: Elasticsearch) -> Layout:
    cfg = config.index
    return Layout(client, cfg.index_prefix, cfg.shards, cfg.replicas)


def plan_reindex(config: Config, client: Elasticsearch | None = None) -> ReindexPlan:
    """The versions involved (reads the aliases only). ReindexUnsupported for the embedded backend."""
    if config.index.backend != "elasticsearch":
        raise ReindexUnsupported(
            "reindex is for index.backend: elasticsearch; for the embedded index set a new "
            "index.path and run `kmingest ingest --all --full`"
        )
    old = _layout(config, client or make_client(config.index)).current_version()
    return ReindexPlan(
        prefix=config.index.index_prefix,
        old_version=old,
        new_version=(old or 0) + 1,
        sources=tuple(s.name for s in config.sources),
    )


def run_reindex(config: Config, plan: ReindexPlan, client: Elasticsearch | None = None) -> ReindexResult:
    """Build v<new>, swap the aliases, delete v<old> and tie the state to the new index (see the module
    docstring). ReindexFailed when a source fails; EmbeddingError / IndexError_ pass through."""
    from kmingest.workspace import Workspace  # the workspace opens indices through this package

    client = client or make_client(config.index)
    layout = _layout(config, client)
    layout.drop_version(plan.new_version)  # a leftover of an earlier, failed reindex
    cfg = config.index
    target = ElasticIndex(client, plan.prefix, plan.new_version, cfg.shards, cfg.replicas)
    stats: dict[str, RunStats] = {}
    with Workspace(config, target=target) as ws:
        try:
            for name in plan.sources:
                stats |= ws.ingest([name], full=True, force=True)
        except (ConfigError, ConnectorConfigError) as err:
            layout.drop_version(plan.new_version)
            raise ReindexFailed(_not_swapped(plan, name, str(err)), config_error=True) from err
        except Exception as err:
            layout.drop_version(plan.new_version)
            raise ReindexFailed(
                _not_swapped(plan, name, f"{type(err).__name__}: {err}"), config_error=False
            ) from err
        layout.swap(plan.new_version)
        if plan.old_version is not None:
            layout.drop_version(plan.old_version)
        ws.state.bind_index(ElasticIndex(client, plan.prefix).index_id)
    return ReindexResult(plan=plan, stats=stats)


def _not_swapped(plan: ReindexPlan, source: str, reason: str) -> str:
    where = f"v{plan.old_version}" if plan.old_version is not None else "no index yet"
    return f"source {source}: {reason}; v{plan.new_version} deleted, the aliases still point at {where}"
