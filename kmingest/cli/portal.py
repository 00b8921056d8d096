"""Portal commands of the `kmingest` CLI: `serve`, `quickstart`, `users hash-password` and
`users revoke-sessions` (sign a user out everywhere: the shared session store, state_dir/sessions.db).

config -> (quickstart: ingest every source through ingest.py's helpers, then serve what was indexed even
if a source failed) -> checks (models, index) -> uvicorn:
- one worker: `kmingest.portal.create_app(config)` in this process;
- N workers: uvicorn's supervisor binds the port and spawns N processes, each building the app with the
  factory `kmingest.portal.app:app_from_env` from the validated config this process passes in the
  environment (`worker_environment`), with its own read-only view of the shared index.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable

import click

from kmingest.cli.common import cli_config, fail
from kmingest.cli.ingest import echo_outcome, ingest_sources, interrupts_end_the_run
from kmingest.config import Config

log = logging.getLogger("kmingest.portal")
MAX_DEFAULT_WORKERS = 8  # each worker holds its own models and index snapshot in memory
THREAD_ENV = ("KMINGEST_EMBED_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity mask, e.g. a container's cpuset), else the CPU count."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def default_workers() -> int:
    return min(usable_cpus(), MAX_DEFAULT_WORKERS)


def worker_environment(cfg: Config, workers: int, environ: dict[str, str]) -> dict[str, str]:
    """Environment variables to add for N worker processes (an unset variable only; what the operator set
    wins): the validated config for the app factory, one session key shared by every worker (generated
    here when its variable is unset: each worker would otherwise sign cookies with its own random key,
    and a sign-in would work on one worker only), and threads per worker for the ONNX encoder, torch and
    BLAS, cpus // workers (at least 1), so N workers do not oversubscribe the cores."""
    from kmingest.portal.app import CONFIG_ENV, config_to_env

    add = {CONFIG_ENV: config_to_env(cfg)}
    secret_env = cfg.portal.session_secret_env
    if not environ.get(secret_env):
        log.warning(
            "%s is not set: using a random session key shared by this portal's %d workers (sign-ins end "
            "when the portal restarts)",
            secret_env,
            workers,
        )
        add[secret_env] = secrets.token_urlsafe(32)
    threads = str(max(1, usable_cpus() // workers))
    for name in THREAD_ENV:
        if not environ.get(name):
            add[name] = threads
    return add


def _banner(cfg: Config, host: str, port: int) -> None:
    from kmingest.portal.auth import demo_users

    shown = "localhost" if host in ("127.0.0.1", "0.0.0.0", "::") else host
    click.echo(f"\nKnowledge portal: http://{shown}:{port}/")
    demos = demo_users(cfg)
    if demos:
        click.echo("Demo sign-ins (choose one on the sign-in page; no password):")
        for name in demos:
            user = cfg.access.users[name]
            role = ", ".join(user.departments) or ("KM lead" if name in cfg.access.km_leads else "")
            click.echo(f"  {name:<10} {role}")
    elif cfg.portal.auth == "header":
        click.echo(f"Sign-in: through the SSO proxy (header {cfg.portal.trusted_header})")
    else:
        click.echo("Sign-in: users with a password_hash in access.users (kmingest users hash-password)")
    click.echo(f"JSON API: http://{shown}:{port}/api/docs   (Ctrl+C stops the portal)\n", nl=True)


def _check(cfg: Config) -> None:
    """Before any worker starts: the models are installed and the index was built with them (exit 2
    otherwise, with the fix). Opening the workspace here also leaves the index, query log and session files in
    place, so N workers starting at once only ever open existing files, and never write the index."""
    from kmingest.embedding import EmbeddingError
    from kmingest.index.base import IndexError_
    from kmingest.portal.sessions import SessionStore, sessions_path
    from kmingest.portal.throttle import SignInThrottle
    from kmingest.querylog import QueryLog, query_log_path
    from kmingest.workspace import Workspace

    try:
        with Workspace(cfg) as ws:
            ws.check_readable()
        QueryLog(query_log_path(cfg.state_dir)).close()
        SessionStore(sessions_path(cfg.state_dir)).close()
        SignInThrottle(sessions_path(cfg.state_dir), cfg.portal.sign_in_limits).close()
    except (EmbeddingError, IndexError_) as err:
        fail(str(err))


def _check_secrets(cfg: Config) -> None:
    """A session key or proxy secret that is set but too short (or a proxy secret that is missing) stops
    the start here, with the variable's name and the fix (exit 2), before any worker starts."""
    from kmingest.portal.context import SecretError, check_secret, proxy_secret

    env_name = cfg.portal.session_secret_env
    try:
        if os.environ.get(env_name):
            check_secret(env_name, os.environ[env_name], "portal.session_secret_env")
        proxy_secret(cfg.portal)
    except SecretError as err:
        fail(str(err))


def _serve(cfg: Config, host: str | None, port: int | None, workers: int | None = None) -> None:
    import uvicorn

    _check_secrets(cfg)
    host = host or cfg.portal.host
    port = port or cfg.portal.port
    workers = workers or default_workers()
    if workers == 1:
        from kmingest.portal import create_app

        app = create_app(cfg)
        _banner(cfg, host, port)
        uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=False)
        return
    from kmingest.portal.app import LOG_LEVEL_ENV

    _check(cfg)
    os.environ.update(worker_environment(cfg, workers, dict(os.environ)))  # spawned workers inherit it
    os.environ[LOG_LEVEL_ENV] = logging.getLevelName(logging.getLogger().getEffectiveLevel())
    _banner(cfg, host, port)
    click.echo(f"({workers} worker processes)")
    uvicorn.run(
        "kmingest.portal.app:app_from_env",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level="warning",
        proxy_headers=False,
    )


def _workers_option(help_prefix: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    return click.option(
        "--workers",
        type=click.IntRange(1, 64),
        help=f"{help_prefix}Worker processes sharing the index (default: the CPUs this process may use, "
        f"at most {MAX_DEFAULT_WORKERS}; here {default_workers()}). Each loads its own models and index "
        "snapshot and gets cpus // workers threads for query encoding. 1: one process, no supervisor.",
    )


@click.command()
@click.option("--host", help="Address to listen on (default: portal.host, 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default: portal.port, 8080).")
@_workers_option("")
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None, workers: int | None) -> None:
    """Start the knowledge portal (HTML pages and JSON API) on the configured index."""
    _serve(cli_config(ctx), host, port, workers)


@click.command()
@click.option(
    "--serve/--no-serve",
    "then_serve",
    default=True,
    show_default=True,
    help="Start the portal after ingesting.",
)
@click.option("--host", help="Address to listen on (default: portal.host).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default: portal.port).")
@_workers_option("With --serve: ")
@click.pass_context
def quickstart(
    ctx: click.Context, then_serve: bool, host: str | None, port: int | None, workers: int | None
) -> None:
    """Ingest every configured source (the bundled samples), then serve the portal."""
    from kmingest.embedding import EmbeddingError
    from kmingest.index.base import IndexError_

    cfg = cli_config(ctx)
    if not cfg.sources:
        fail(f"no sources are configured in {cfg.source_file}")
    try:
        with interrupts_end_the_run():
            outcome = ingest_sources(cfg, [s.name for s in cfg.sources], full=True, force=False)
    except (EmbeddingError, IndexError_) as err:
        fail(str(err))
    echo_outcome(outcome, as_json=False)
    if outcome.errors:
        click.echo("quickstart: some sources failed (see above); serving what was indexed", err=True)
    if then_serve:
        _serve(cfg, host, port, workers)
    else:
        _banner(cfg, host or cfg.portal.host, port or cfg.portal.port)
        click.echo("(--no-serve: not starting it; run `kmingest serve`)")


@click.group()
def users() -> None:
    """Portal users (config: access.users)."""


@users.command(name="hash-password")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="The password (prompted, hidden, when not given).",
)
@click.option("--iterations", type=click.IntRange(100_000, 10_000_000), default=600_000, show_default=True)
def hash_password_cmd(password: str, iterations: int) -> None:
    """Print a pbkdf2 hash for `access.users.<name>.password_hash`."""
    from kmingest.portal.auth import hash_password

    if len(password) < 8:
        fail("use at least 8 characters")
    click.echo(hash_password(password, iterations))


@users.command(name="revoke-sessions")
@click.argument("name")
@click.pass_context
def revoke_sessions_cmd(ctx: click.Context, name: str) -> None:
    """Sign NAME out everywhere: every live portal session of NAME ends now, on every worker (API tokens
    are not sessions: remove them from the token variable)."""
    from kmingest.portal.sessions import SessionStore, sessions_path

    cfg = cli_config(ctx)
    store = SessionStore(sessions_path(cfg.state_dir))
    try:
        revoked = store.revoke_user(name)
    finally:
        store.close()
    click.echo(f"{name}: {revoked} session{'s' if revoked != 1 else ''} revoked")
