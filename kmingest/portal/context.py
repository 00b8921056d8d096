"""Per-app state of the portal: the config, the open workspace (index + embedder), the query log, the
session signer, API tokens and the template environment. `create_app` builds one `Portal` and keeps it on
`app.state.portal`; routes and dependencies reach it through `get_portal(request)`.

Secrets (session key, API tokens) are read from the environment variables the config names, never from the
config file, and are never logged.
"""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
from starlette.requests import Request

from kmingest.config import Config
from kmingest.querylog import QueryLog, query_log_path
from kmingest.workspace import Workspace

log = logging.getLogger("kmingest.portal")
TEMPLATES = Path(__file__).with_name("templates")
STATIC = Path(__file__).with_name("static")


def session_secret(env_name: str) -> bytes:
    """The session signing key from the environment; a random one per process (with a warning) if unset."""
    value = os.environ.get(env_name, "")
    if value:
        return value.encode("utf-8")
    log.warning(
        "%s is not set: using a random session key for this process (sign-ins end when it restarts, "
        "and several portal processes cannot share sessions)",
        env_name,
    )
    return secrets.token_bytes(32)


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
    owns_workspace: bool = False
    extra_nav: list[tuple[str, str]] = field(
        default_factory=list
    )  # (label, path) for KM leads, e.g. coverage

    @classmethod
    def open(cls, config: Config, workspace: Workspace | None = None) -> Portal:
        portal_cfg = config.portal
        return cls(
            config=config,
            workspace=workspace or Workspace(config),
            querylog=QueryLog(query_log_path(config.state_dir)),
            secret=session_secret(portal_cfg.session_secret_env),
            api_tokens=parse_api_tokens(os.environ.get(portal_cfg.api_tokens_env, "")),
            templates=make_templates(),
            owns_workspace=workspace is None,
        )

    def purge_query_log(self) -> int:
        removed = self.querylog.purge(self.config.portal.query_log_retention_days)
        if removed:
            log.info("query log: purged %d entries older than %d days", removed,
                     self.config.portal.query_log_retention_days)  # fmt: skip
        return removed

    def close(self) -> None:
        self.querylog.close()
        if self.owns_workspace:
            self.workspace.close()


def get_portal(request: Request) -> Portal:
    portal = request.app.state.portal
    assert isinstance(portal, Portal)
    return portal
