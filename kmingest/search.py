"""Search service: resolves who is asking into principals, embeds the query with the model of its script,
asks the index backend.

`SearchService(config, embedder, index)` binds the similarity floor and fusion settings once from config;
the CLI, `kmingest eval` and the portal all build their semantic queries through it, so ACLs, similarity
floors and ranking are the same everywhere. The search path only reads: it checks the models against the
index (`check_readable`) and never creates an index or changes state.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kmingest.config import AccessConfig, Config
from kmingest.embedding import Embedder, Matrix
from kmingest.embedding.routing import script_of
from kmingest.index.base import (
    Caller,
    Filters,
    IndexBackend,
    Mode,
    SearchRequest,
    SearchResult,
    SemanticQuery,
)
from kmingest.models import PUBLIC
from kmingest.workspace import SearchWorkspace, Workspace


def caller_for(user: str | None, access: AccessConfig) -> Caller:
    """Principals of a user: public, user:<name>, dept:<d> and group:<g> from the access config."""
    if not user:
        return Caller.anonymous()
    principals = {PUBLIC, f"user:{user}"}
    entry = access.users.get(user)
    if entry is not None:
        principals |= {f"dept:{d}" for d in entry.departments}
        principals |= {f"group:{g}" for g in entry.groups}
    return Caller(frozenset(principals), admin=user in access.admins)


def caller_from_principals(user: str, principals: Iterable[str], access: AccessConfig) -> Caller:
    """A user's config principals plus principals resolved elsewhere (e.g. an SSO proxy's groups)."""
    base = caller_for(user, access)
    return Caller(base.principals | frozenset(principals), admin=base.admin)


@dataclass(frozen=True)
class SearchService:
    """The search defaults bound once from config: every query's semantic part carries its model's
    similarity floor (or `search.min_similarity`) and its script's fusion weight and method, whoever builds
    the request (CLI, portal, eval). Holds no state of its own and never writes."""

    config: Config
    embedder: Embedder
    index: IndexBackend

    def space(self, query: str) -> str:
        """The vector space a query is searched in: the model of the query's own script."""
        return query_space(self.config, query)

    def bind(self, query: str, vector: Matrix) -> SemanticQuery:
        """The query's vector with its model's similarity floor and its script's fusion weight."""
        return semantic_query(self.config, query, vector)

    def semantic(self, query: str, mode: Mode = "hybrid") -> SemanticQuery | None:
        """The query's semantic part, or None where the mode or an empty query needs none. Only the model
        of the query's script runs (one encoding per search)."""
        return embed_query(self.embedder, self.config, query, mode)

    def search(self, request: SearchRequest, caller: Caller) -> SearchResult:
        """The request as the caller, with the bound semantic part."""
        return self.index.search(request, caller, self.semantic(request.query, request.mode))


def query_space(config: Config, query: str) -> str:
    """The vector space a query is searched in: the model of the query's own script."""
    routes = config.embedding.routes()
    return routes[script_of(query, config.embedding.cjk_share)].name


def semantic_query(config: Config, query: str, vector: Matrix) -> SemanticQuery:
    """The one place that binds a query's vector to its model's similarity floor (or
    `search.min_similarity`) and its script's fusion weight and method; SearchService uses it."""
    script = script_of(query, config.embedding.cjk_share)
    profile = config.embedding.routes()[script]
    fusion = config.search.fusion
    floor = config.search.min_similarity
    return SemanticQuery(
        space=profile.name,
        vector=vector,
        min_similarity=profile.min_similarity if floor is None else floor,
        weight=fusion.cjk_weight if script == "cjk" else fusion.latin_weight,
        fusion=fusion.method,
    )


def embed_query(
    embedder: Embedder, config: Config, query: str, mode: Mode = "hybrid"
) -> SemanticQuery | None:
    """SearchService.semantic for callers without an index (benchmarks, contract tests)."""
    if not query.strip() or mode == "bm25":
        return None
    return semantic_query(config, query, embedder.query(query_space(config, query), query))


def search_request(
    query: str,
    filters: Filters = Filters(),
    mode: Mode = "hybrid",
    limit: int = 10,
    offset: int = 0,
) -> SearchRequest:
    return SearchRequest(query=query, filters=filters, mode=mode, limit=limit, offset=offset)


def search(
    ws: Workspace | SearchWorkspace,
    query: str,
    caller: Caller,
    filters: Filters = Filters(),
    mode: Mode = "hybrid",
    limit: int = 10,
    offset: int = 0,
) -> SearchResult:
    """Checks the models against the index (reads only; never creates an index or changes state)."""
    ws.check_readable()
    service = SearchService(ws.config, ws.embedder, ws.index)
    return service.search(search_request(query, filters, mode, limit, offset), caller)
