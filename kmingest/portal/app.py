"""`create_app(config, workspace=None) -> FastAPI`: the portal's factory (used by `kmingest serve`, tests and
the benchmark).

Config -> Portal (workspace: index + embedder; query log; secrets from env) -> FastAPI app:
security headers and error handlers, /static, the JSON API (api.py), the HTML pages (pages.py) and, where
the module exists, the coverage page router (`kmingest.portal.coverage_page.router`).

Lifecycle: at startup the embedding model is loaded and checked against the index (so the first search is
not slow) and the query log is purged by `portal.query_log_retention_days`, then again once a day.

Fresh data: the embedded index reads its write generation from SQLite on every search and reloads its
in-memory snapshot when another process (an ingest run, an Airflow task) has committed a write, so the
portal serves new documents on the next query without a restart; `get_document` reads SQLite directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
from collections.abc import AsyncIterator

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from kmingest.config import Config
from kmingest.portal import api, pages, security
from kmingest.portal.context import STATIC, Portal
from kmingest.workspace import Workspace

log = logging.getLogger("kmingest.portal")
PURGE_EVERY_S = 24 * 3600


def _coverage_router() -> APIRouter | None:
    """The coverage page (written separately) plugs in here if its module is installed."""
    try:
        module = importlib.import_module("kmingest.portal.coverage_page")
    except ModuleNotFoundError as err:
        if err.name != "kmingest.portal.coverage_page":
            raise
        return None
    router = getattr(module, "router", None)
    return router if isinstance(router, APIRouter) else None


def create_app(config: Config, workspace: Workspace | None = None) -> FastAPI:
    """The portal app. Without `workspace` it opens one from the config and closes it at shutdown."""
    portal = Portal.open(config, workspace)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await asyncio.to_thread(portal.workspace.check_readable)  # never creates or changes the index
        portal.purge_query_log()
        task = asyncio.create_task(_purge_daily(portal))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            portal.close()

    app = FastAPI(
        title="kmingest knowledge portal",
        version="1",
        description="Search the knowledge index as the signed-in user. Every result, count, facet and "
        "document is filtered by the user's access rights on the server.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.portal = portal
    security.install(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(api.router)
    app.include_router(pages.router)
    coverage = _coverage_router()
    if coverage is not None:
        app.include_router(coverage)
        portal.extra_nav.append(("Coverage", "/coverage"))
    return app


async def _purge_daily(portal: Portal) -> None:
    while True:
        await asyncio.sleep(PURGE_EVERY_S)
        try:
            await asyncio.to_thread(portal.purge_query_log)
        except Exception:
            log.exception("query log purge failed")
