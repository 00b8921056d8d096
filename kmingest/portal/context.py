"""Per-app state of the portal: the config, the open workspace (index + embedder), the query log, the
session key and store, the sign-in throttle, API tokens, the proxy secret, the time zone of the year facet
and the template environment. `create_app` builds one `Portal` and keeps it on `app.state.portal`; routes
and dependencies reach it through `get_portal(request)`.

Secrets (session key, API tokens, proxy secret, the query log's searcher key) are read from the environment
variables the config names, never from the config file, and are never logged. A session key or proxy secret
shorter than 32 bytes stops
the start with `SecretError` naming the variable and the fix (a short key can be recovered from a cookie).
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2
from starlette.requests import Request

from kmingest.config import Config, ConfigError, PortalConfig
from kmingest.portal.sessions import SessionStore, sessions_path
from kmingest.portal.throttle import Network, SignInThrottle, trusted_networks
from kmingest.querylog import QueryLog, query_log_path, searcher_id
from kmingest.workspace import Workspace

log = logging.getLogger("kmingest.portal")
TEMPLATES = Path(__file__).with_name("templates")
STATIC = Path(__file__).with_name("static")
MIN_SECRET_BYTES = 32
SECRET_FIX = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'
SEARCHER_KEY_ENV = "KMINGEST_SEARCHER_KEY"  # keys the query log's pseudonymous searcher ids (querylog.py)


class SecretError(ConfigError):
    """A secret the portal needs is missing or too short to resist guessing: the portal does not start."""


def check_secret(env_name: str, value: str, setting: str) -> bytes:
    """The secret as bytes if it is long enough; SecretError naming the variable (never the value)."""
    data = value.encode("utf-8")
    if len(data) < MIN_SECRET_BYTES:
        raise SecretError(
            f"{env_name} (named by {setting}) is {len(data)} bytes; at least {MIN_SECRET_BYTES} "
            f"random bytes are needed (fix: set it to the output of `{SECRET_FIX}`)"
        )
    return data


def session_secret(env_name: str) -> bytes:
    """The session signing key from the environment (at least 32 bytes); a random one per process (with a
    warning) if unset."""
    value = os.environ.get(env_name, "")
    if value:
        return check_secret(env_name, value, "portal.session_secret_env")
    log.warning(
        "%s is not set: using a random session key for this process (sign-ins end when it restarts, "
        "and several portal processes cannot share sessions)",
        env_name,
    )
    return secrets.token_bytes(32)


def searcher_key(session_key: bytes) -> bytes:
    """The key of the query log's searcher ids: $KMINGEST_SEARCHER_KEY (at least 32 bytes) if set, else the
    session key. A dedicated key keeps the ids (and so the monthly active-searcher counts) stable when the
    session key is rotated to sign everyone out."""
    value = os.environ.get(SEARCHER_KEY_ENV, "")
    return check_secret(SEARCHER_KEY_ENV, value, "the environment") if value else session_key


def proxy_secret(cfg: PortalConfig) -> bytes | None:
    """Header mode's shared secret (the proxy sends it in `portal.proxy_secret_header`), if configured."""
    if cfg.auth != "header" or not cfg.proxy_secret_env:
        return None
    value = os.environ.get(cfg.proxy_secret_env, "")
    if not value:
        raise SecretError(
            f"{cfg.proxy_secret_env} (named by portal.proxy_secret_env) is not set (fix: set it "
            f"to the secret the SSO proxy sends, e.g. the output of `{SECRET_FIX}`)"
        )
    return check_secret(cfg.proxy_secret_env, value, "portal.proxy_secret_env")


def _local_zone_names() -> list[str]:
    names = [os.environ.get("TZ", "").lstrip(":")]
    with contextlib.suppress(OSError):
        names.append(str(Path("/etc/localtime").resolve()).partition("/zoneinfo/")[2])
    with contextlib.suppress(OSError):
        names.append(Path("/etc/timezone").read_text(encoding="utf-8").strip())
    return [n for n in names if n and not n.startswith("/")]


def portal_zone(name: str) -> tzinfo:
    """`portal.timezone` as a zone; "local": the machine's zone ($TZ, /etc/localtime, /etc/timezone)."""
    if name != "local":
        return ZoneInfo(name)
    for candidate in _local_zone_names():
        try:
            return ZoneInfo(candidate)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return datetime.now().astimezone().tzinfo or UTC


def parse_api_tokens(value: str) -> dict[str, str]:
    """`token1=user1,token2=user2` -> {token: user}; malformed entries are skipped (and named, not shown)."""
    tokens: dict[str, str] = {}
    for i, item in enumerate(p.strip() for p in value.split(",")):
        if not item:
            continue
        token, sep, user = item.partition("=")
        if not sep or len(token.strip()) < 16 or not user.strip():
            log.warning("API token entry %d is malformed or shorter than 16 characters; ignored", i + 1)
            continue
        tokens[token.strip()] = user.strip()
    return tokens


def make_templates() -> jinja2.Environment:
    """Jinja2 with autoescape on for every template: document content is always text, never markup."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


@dataclass
class Portal:
    config: Config
    workspace: Workspace
    querylog: QueryLog
    secret: bytes
    api_tokens: dict[str, str]
    templates: jinja2.Environment
    sessions: SessionStore
    throttle: SignInThrottle
    proxy_secret: bytes | None = None
    trusted_proxies: tuple[Network, ...] = ()
    zone: tzinfo = UTC  # the year facet's calendar (portal.timezone)
    searcher_key: bytes = b""  # keys the query log's searcher ids (searcher_key()); empty: the session key
    owns_workspace: bool = False
    extra_nav: list[tuple[str, str]] = field(default_factory=list)  # (label, path) for KM leads

    @classmethod
    def open(cls, config: Config, workspace: Workspace | None = None) -> Portal:
        """Secrets are checked first: a missing or short one stops the start before anything is opened."""
        cfg = config.portal
        secret = session_secret(cfg.session_secret_env)
        from_proxy = proxy_secret(cfg)
        if cfg.auth == "header" and from_proxy is None and not cfg.trusted_proxies:
            log.warning(
                "portal.auth is header, with neither portal.proxy_secret_env nor "
                "portal.trusted_proxies: any client that reaches the portal directly can claim any "
                "user; make sure only the SSO proxy can reach it"
            )
        return cls(
            config=config,
            workspace=workspace or Workspace(config),
            querylog=QueryLog(query_log_path(config.state_dir)),
            secret=secret,
            api_tokens=parse_api_tokens(os.environ.get(cfg.api_tokens_env, "")),
            templates=make_templates(),
            sessions=SessionStore(sessions_path(config.state_dir)),
            throttle=SignInThrottle(sessions_path(config.state_dir), cfg.sign_in_limits),
            proxy_secret=from_proxy,
            trusted_proxies=trusted_networks(cfg),
            zone=portal_zone(cfg.timezone),
            owns_workspace=workspace is None,
            searcher_key=searcher_key(secret),
        )

    def searcher(self, user_name: str) -> str:
        """The pseudonym the query log keeps for this user (never the name)."""
        return searcher_id(self.searcher_key or self.secret, user_name)

    def purge_query_log(self) -> int:
        removed = self.querylog.purge(self.config.portal.query_log_retention_days)
        if removed:
            log.info(
                "query log: purged %d entries older than %d days",
                removed,
                self.config.portal.query_log_retention_days,
            )
        self.sessions.purge()
        return removed

    def close(self) -> None:
        self.querylog.close()
        self.sessions.close()
        self.throttle.close()
        if self.owns_workspace:
            self.workspace.close()


def get_portal(request: Request) -> Portal:
    portal = request.app.state.portal
    assert isinstance(portal, Portal)
    return portal
