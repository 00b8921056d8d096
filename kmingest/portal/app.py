"""`create_app(config, workspace=None) -> FastAPI`: the portal's factory (used by `kmingest serve`, tests and
the benchmark).

Config -> Portal (workspace: index + embedder; query log; secrets from env) -> FastAPI app:
allowed hosts, cross-site refusal, security headers and error handlers (security.py), /static, the JSON API
(api.py, and signin.py's sign-out-everywhere), the HTML pages (pages.py) and, where the module exists, the
coverage page router (`kmingest.portal.coverage_page.router`).

`app_from_env()` is the same for uvicorn worker processes (`kmingest serve --workers N`): an app factory
that reads the validated config the parent put in `KMINGEST_PORTAL_CONFIG`.

Lifecycle: at startup the embedding models are checked against the index, then loaded, and the index
snapshot is read (one warm-up search, so the first real search of each worker is not slow), and the query
log is purged by `portal.query_log_retention_days` (and long-expired sessions forgotten), then again once a
day. `/api/health` answers only once
this is done.

Fresh data: the embedded index reads its write generation from SQLite on every search and reloads its
in-memory snapshot when another process (an ingest run, an Airflow task) has committed a write, so the
portal serves new documents on the next query without a restart; `get_document` reads SQLite directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import json
import logging
import os
import threading
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from kmingest.config import Config
from kmingest.index.base import Caller
from kmingest.portal import api, pages, security, signin
from kmingest.portal.context import STATIC, Portal
from kmingest.search import search_request
from kmingest.workspace import Workspace, index_location, nothing_indexed

log = logging.getLogger("kmingest.portal")
PURGE_EVERY_S = 24 * 3600
CONFIG_ENV = "KMINGEST_PORTAL_CONFIG"  # the validated config, for worker processes (config_to_env)
LOG_LEVEL_ENV = "KMINGEST_PORTAL_LOG_LEVEL"  # the parent's log level, for worker processes


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
        await asyncio.to_thread(_warm_up, portal)
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
    security.install(app, portal)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(api.router)
    app.include_router(signin.router)
    app.include_router(pages.router)
    coverage = _coverage_router()
    if coverage is not None:
        app.include_router(coverage)
        portal.extra_nav.append(("Coverage", "/coverage"))
    return app


def config_to_env(config: Config) -> str:
    """The validated config as one environment value (JSON; paths are already absolute; the config never
    holds secrets), so every worker serves exactly what the parent checked, even if the file changes."""
    return json.dumps(
        {
            "file": str(config.source_file) if config.source_file else None,
            "config": json.loads(config.model_dump_json()),
        }
    )


def config_from_env() -> Config:
    value = os.environ.get(CONFIG_ENV)
    if not value:
        raise RuntimeError(f"{CONFIG_ENV} is not set: app_from_env is for workers of `kmingest serve`")
    data = json.loads(value)
    config = Config.model_validate(data["config"])
    return config.model_copy(update={"source_file": Path(data["file"]) if data["file"] else None})


def app_from_env() -> FastAPI:
    """App factory for uvicorn workers (`kmingest.portal.app:app_from_env`, factory=True): each worker
    process opens its own workspace on the shared index from the config in KMINGEST_PORTAL_CONFIG; the
    session key, API tokens and thread counts come from the environment the parent prepared."""
    level = os.environ.get(LOG_LEVEL_ENV, "WARNING")
    logging.basicConfig(level=level, format=f"%(asctime)s %(levelname)s %(name)s[{os.getpid()}]: %(message)s")
    with contextlib.suppress(ImportError):
        from tqdm import tqdm

        # sentence-transformers opens a (disabled) tqdm bar per encode, and tqdm's default lock is a
        # multiprocessing lock: a named semaphore the worker never releases ("leaked semaphore objects"
        # at shutdown). A worker never shares bars with other processes: a thread lock does.
        tqdm.set_lock(threading.RLock())
    return create_app(config_from_env())


def _warm_up(portal: Portal) -> None:
    """Load the query models and the index snapshot now rather than in the first user's search. A failure
    here is logged, not fatal: the index may be empty or not yet built."""
    ws = portal.workspace
    try:
        for encoder in ws.embedder.encoders.values():
            encoder.queries(["warm up"])
        ws.index.search(search_request("warm up", limit=1), Caller.anonymous(), None)
        if nothing_indexed(ws.index):
            log.warning(
                "nothing is indexed yet (%s): the portal answers every search with 'Nothing is "
                "indexed yet' until `kmingest ingest --all` (or a source DAG) has run",
                index_location(ws.config),
            )
    except Exception:
        log.warning("portal warm-up failed (the first search will load what is missing)", exc_info=True)
    # the models and libraries loaded above are millions of long-lived objects: keep them out of the
    # garbage collector's full passes, which otherwise stall a search for tens of milliseconds now and then
    gc.collect()
    gc.freeze()


async def _purge_daily(portal: Portal) -> None:
    while True:
        await asyncio.sleep(PURGE_EVERY_S)
        try:
            await asyncio.to_thread(portal.purge_query_log)
        except Exception:
            log.exception("query log purge failed")
