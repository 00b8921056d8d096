"""Search service: resolves who is asking into principals, embeds the query, asks the index backend.

Used by the CLI, `kmingest eval` and the portal, so ACLs and ranking are the same everywhere.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

from kmingest.config import AccessConfig
from kmingest.index.base import Caller, Filters, Mode, SearchRequest, SearchResult
from kmingest.models import PUBLIC
from kmingest.workspace import Workspace

# one query at a time through the model: a Hugging Face fast tokenizer is not safe to share between threads
# ("Already borrowed"), and the portal serves requests from a thread pool
_ENCODE_LOCK = threading.Lock()


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


def embed_query(ws: Workspace, query: str, mode: Mode = "hybrid") -> npt.NDArray[np.float32] | None:
    """The query's embedding, or None where the mode or an empty query needs none."""
    if not query.strip() or mode == "bm25":
        return None
    ws.check_model()
    with _ENCODE_LOCK:
        vectors = ws.embedder.encode([query])
    vector: npt.NDArray[np.float32] = vectors[0]
    return vector


def search_request(
    ws: Workspace,
    query: str,
    filters: Filters = Filters(),
    mode: Mode = "hybrid",
    limit: int = 10,
    offset: int = 0,
) -> SearchRequest:
    """A request with the configured similarity floor, so the CLI and the portal rank the same way."""
    return SearchRequest(query=query, filters=filters, mode=mode, limit=limit, offset=offset,
                         min_similarity=ws.config.search.min_similarity)  # fmt: skip


def search(
    ws: Workspace,
    query: str,
    caller: Caller,
    filters: Filters = Filters(),
    mode: Mode = "hybrid",
    limit: int = 10,
    offset: int = 0,
) -> SearchResult:
    vector = embed_query(ws, query, mode)
    return ws.index.search(search_request(ws, query, filters, mode, limit, offset), caller, vector)
