"""Search service: resolves who is asking into principals, embeds the query, asks the index backend.

Used by the CLI, `kmingest eval` and the portal, so ACLs and ranking are the same everywhere.
"""

from __future__ import annotations

from kmingest.config import AccessConfig
from kmingest.index.base import Caller, Filters, Mode, SearchRequest, SearchResult
from kmingest.models import PUBLIC
from kmingest.workspace import Workspace


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


def search(
    ws: Workspace,
    query: str,
    caller: Caller,
    filters: Filters = Filters(),
    mode: Mode = "hybrid",
    limit: int = 10,
    offset: int = 0,
) -> SearchResult:
    vector = None
    if query.strip() and mode != "bm25":
        ws.check_model()
        vector = ws.embedder.encode([query])[0]
    request = SearchRequest(query=query, filters=filters, mode=mode, limit=limit, offset=offset)
    return ws.index.search(request, caller, vector)
