"""Portal commands of the `kmingest` CLI: `serve`, `quickstart` and `users hash-password`.

config -> (quickstart: ingest every source) -> kmingest.portal.create_app -> uvicorn (one process)
"""

from __future__ import annotations

import sys

import click

from kmingest.config import Config, ConfigError, load_config


def _config(ctx: click.Context) -> Config:
    cfg = ctx.obj.get("config") if ctx.obj else None
    if cfg is None:
        try:
            cfg = load_config(ctx.obj.get("config_path") if ctx.obj else None)
        except ConfigError as err:
            click.echo(f"error: {err}", err=True)
            sys.exit(2)
    assert isinstance(cfg, Config)
    return cfg


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


def _serve(cfg: Config, host: str | None, port: int | None) -> None:
    import uvicorn

    from kmingest.portal import create_app

    host = host or cfg.portal.host
    port = port or cfg.portal.port
    app = create_app(cfg)
    _banner(cfg, host, port)
    uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=False)


@click.command()
@click.option("--host", help="Address to listen on (default: portal.host, 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default: portal.port, 8080).")
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Start the knowledge portal (HTML pages and JSON API) on the configured index."""
    _serve(_config(ctx), host, port)


@click.command()
@click.option("--serve/--no-serve", "then_serve", default=True, show_default=True,
              help="Start the portal after ingesting.")  # fmt: skip
@click.option("--host", help="Address to listen on (default: portal.host).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default: portal.port).")
@click.pass_context
def quickstart(ctx: click.Context, then_serve: bool, host: str | None, port: int | None) -> None:
    """Ingest every configured source (the bundled samples), then serve the portal."""
    from kmingest.cli import ingest

    cfg = _config(ctx)
    if not cfg.sources:
        click.echo(f"error: no sources are configured in {cfg.source_file}", err=True)
        sys.exit(2)
    try:
        ctx.invoke(ingest, sources=(), all_sources=True, full=True, force=False, as_json=False)
    except SystemExit as done:
        if done.code not in (0, None):
            click.echo("quickstart: some sources failed (see above); serving what was indexed", err=True)
    if then_serve:
        _serve(cfg, host, port)
    else:
        _banner(cfg, host or cfg.portal.host, port or cfg.portal.port)
        click.echo("(--no-serve: not starting it; run `kmingest serve`)")


@click.group()
def users() -> None:
    """Portal users (config: access.users)."""


@users.command(name="hash-password")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="The password (prompted, hidden, when not given).")  # fmt: skip
@click.option("--iterations", type=click.IntRange(100_000, 10_000_000), default=600_000, show_default=True)
def hash_password_cmd(password: str, iterations: int) -> None:
    """Print a pbkdf2 hash for `access.users.<name>.password_hash`."""
    from kmingest.portal.auth import hash_password

    if len(password) < 8:
        click.echo("error: use at least 8 characters", err=True)
        sys.exit(2)
    click.echo(hash_password(password, iterations))
