"""Who is asking: turns a request into a `PortalUser` whose `caller` every search and fetch runs as.

request -> (API token | SSO header | signed session cookie) -> PortalUser(name, departments, caller)
        -> kmingest.search (ACL filter on the server)

- `portal.auth: config`: users from `access.users`; sign-in with a pbkdf2 password hash, or by name alone
  where `portal.demo_logins` is on and the user has no hash (sample data only). An unknown name is checked
  against a dummy hash of the same cost, so a wrong name and a wrong password take the same time. The
  session is a signed cookie holding a random session id whose record is server-side (sessions.py:
  revocable); principals are resolved per request.
- `portal.auth: header`: an SSO proxy in front sets `portal.trusted_header` (user) and
  `portal.groups_header` (comma-separated groups, mapped by `portal.group_map`, e.g. sales -> dept:Sales).
  They are believed only from the proxy: with the shared secret header (`portal.proxy_secret_env`) and/or
  from `portal.trusted_proxies`; otherwise ignored. A request with two user or two groups headers is
  refused (400), never "first one wins". In `config` mode these headers are ignored.
- API tokens (`Authorization: Bearer ...`, from env `portal.api_tokens_env`) work for `/api/` in both modes.

`require_user` and `require_km_lead` are FastAPI dependencies for any route (the coverage page uses them).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, replace

from fastapi import Depends
from starlette.requests import Request

from kmingest.config import Config
from kmingest.index.base import Caller
from kmingest.portal.context import Portal, get_portal
from kmingest.portal.sessions import SESSION_COOKIE as SESSION_COOKIE  # re-exported: the cookie's name
from kmingest.portal.sessions import read_session, session_owner
from kmingest.portal.throttle import peer_is_trusted_proxy
from kmingest.search import caller_for, caller_from_principals

PBKDF2_ITERATIONS = 600_000


class NotSignedIn(Exception):
    """No valid session, token or SSO header: 401 on the API, the sign-in page for HTML."""


class Forbidden(Exception):
    """Signed in, but not allowed here (e.g. a page for KM leads): 403."""


class ConflictingIdentity(Exception):
    """Two user (or groups) headers in one request: refused with 400, as no one can say which is the
    proxy's."""


@dataclass(frozen=True)
class PortalUser:
    name: str
    display_name: str
    departments: tuple[str, ...]
    groups: tuple[str, ...]
    caller: Caller
    via: str  # "session", "header" or "token"
    km_lead: bool = False
    session_id: str | None = None  # the server-side session (via "session")
    owner: str = ""  # opaque query-log key of this session (or token/SSO user): clicks bind to its queries
    logs_queries: bool = True  # False for a request a link from another site opened (not the user's search)

    @property
    def department(self) -> str | None:
        """The department the query log records (the first one; never the user name)."""
        return self.departments[0] if self.departments else None


# ---- passwords -------------------------------------------------------------------------------------------
def hash_password(password: str, iterations: int = PBKDF2_ITERATIONS, salt: str | None = None) -> str:
    """`pbkdf2_sha256$<iterations>$<salt>$<hex digest>`, the form `access.users.*.password_hash` takes."""
    salt = salt or secrets.token_hex(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt.encode("ascii"), iterations)
    return f"pbkdf2_sha256${iterations}${salt}${digest.hex()}"


def verify_password(password: str, encoded: str) -> bool:
    try:
        algorithm, iterations, salt, digest = encoded.split("$")
        if algorithm != "pbkdf2_sha256":
            return False
        expected = hash_password(password, int(iterations), salt)
    except (ValueError, UnicodeError):
        return False
    return hmac.compare_digest(expected.split("$")[3], digest)


# ---- users -----------------------------------------------------------------------------------------------
def known_user(config: Config, name: str) -> bool:
    return name in config.access.users or name in config.access.admins


def user_from_config(config: Config, name: str, via: str, extra: tuple[str, ...] = ()) -> PortalUser:
    """A user's departments and groups from `access.users`, plus principals from elsewhere (SSO groups)."""
    access = config.access
    entry = access.users.get(name)
    depts = list(entry.departments if entry else ())
    groups = list(entry.groups if entry else ())
    for principal in extra:
        kind, _, value = principal.partition(":")
        if kind == "dept" and value not in depts:
            depts.append(value)
        elif kind == "group" and value not in groups:
            groups.append(value)
    caller = caller_from_principals(name, extra, access) if extra else caller_for(name, access)
    return PortalUser(
        name=name,
        display_name=(entry.display_name if entry and entry.display_name else name),
        departments=tuple(depts),
        groups=tuple(groups),
        caller=caller,
        via=via,
        km_lead=name in access.km_leads or name in access.admins,
    )


def demo_users(config: Config) -> list[str]:
    """Users who may sign in by name alone (demo_logins on, no password hash)."""
    if not config.portal.demo_logins or config.portal.auth != "config":
        return []
    return [n for n, u in config.access.users.items() if u.password_hash is None]


def _dummy_hash(config: Config) -> str:
    """A hash nobody's password matches, as costly as the configured ones (the largest iteration count)."""
    counts = [
        int(p[1])
        for u in config.access.users.values()
        if u.password_hash
        for p in [u.password_hash.split("$")]
        if len(p) == 4 and p[1].isdigit()
    ]
    return f"pbkdf2_sha256${max(counts, default=PBKDF2_ITERATIONS)}${'0' * 32}${'0' * 64}"


def check_login(config: Config, name: str, password: str) -> PortalUser | None:
    """The user if the name and password (or a demo sign-in) are valid; None otherwise. Unknown names and
    users without a hash (demo sign-ins off) cost one PBKDF2 run too: the time tells nothing."""
    entry = config.access.users.get(name)
    if config.portal.auth != "config":
        return None
    if entry is not None and entry.password_hash is None and config.portal.demo_logins:
        return user_from_config(config, name, "session")
    known_hash = entry.password_hash if entry is not None else None
    ok = verify_password(password, known_hash or _dummy_hash(config))
    return user_from_config(config, name, "session") if ok and known_hash else None


def from_proxy(portal: Portal, request: Request) -> bool:
    """The request passed the SSO proxy: it carries the shared secret (where one is configured) and comes
    from a trusted proxy address (where those are configured)."""
    if portal.proxy_secret is not None:
        given = request.headers.get(portal.config.portal.proxy_secret_header, "").encode("utf-8")
        if not hmac.compare_digest(given, portal.proxy_secret):
            return False
    return not portal.trusted_proxies or peer_is_trusted_proxy(request, portal.trusted_proxies)


def _header_user(portal: Portal, request: Request) -> PortalUser | None:
    cfg = portal.config.portal
    names = request.headers.getlist(cfg.trusted_header)
    if not names or not from_proxy(portal, request):
        return None  # a client's own identity headers are ignored: not signed in
    groups_values = request.headers.getlist(cfg.groups_header) if cfg.groups_header else []
    if len(names) > 1 or "," in names[0] or len(groups_values) > 1:
        raise ConflictingIdentity("conflicting identity headers")
    name = names[0].strip()
    if not name:
        return None
    extra: list[str] = []
    if groups_values:
        for group in (g.strip() for g in groups_values[0].split(",")):
            if group:
                mapped = cfg.group_map.get(group, f"group:{group}")
                extra.append(mapped if ":" in mapped else f"group:{mapped}")
    user = user_from_config(portal.config, name, "header", tuple(extra))
    return replace(user, owner=session_owner(portal.secret, "header", name))


def _token_user(portal: Portal, request: Request) -> PortalUser | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    given = token.strip().encode("utf-8")
    for known, user in portal.api_tokens.items():
        if hmac.compare_digest(known.encode("utf-8"), given):
            found = user_from_config(portal.config, user, "token")
            return replace(found, owner=session_owner(portal.secret, "token", user))
    raise NotSignedIn("invalid API token")


def current_user(request: Request) -> PortalUser | None:
    """The signed-in user, or None. Tokens count on /api/ only; the header only in `header` mode."""
    portal = get_portal(request)
    cached = getattr(request.state, "user", None)
    if isinstance(cached, PortalUser):
        return cached
    user: PortalUser | None = None
    if request.url.path.startswith("/api/"):
        user = _token_user(portal, request)
    if user is None and portal.config.portal.auth == "header":
        user = _header_user(portal, request)
    if user is None and portal.config.portal.auth == "config":
        user = _session_user(portal, request)
    if user is not None and request.headers.get("sec-fetch-site") in ("cross-site", "same-site"):
        user = replace(user, logs_queries=False)  # a link from elsewhere: answered, not logged as a search
    request.state.user = user
    return user


def _session_user(portal: Portal, request: Request) -> PortalUser | None:
    """The user of the request's session if its cookie is validly signed and its record is live (not
    signed out, not revoked, not expired) in the shared session store."""
    session_id = read_session(portal.secret, request.cookies.get(SESSION_COOKIE, ""))
    if session_id is None:
        return None
    name = portal.sessions.user_of(session_id)
    if name is None or name not in portal.config.access.users:
        return None
    user = user_from_config(portal.config, name, "session")
    return replace(user, session_id=session_id, owner=session_owner(portal.secret, "session", session_id))


def require_user(request: Request) -> PortalUser:
    """FastAPI dependency: the signed-in user; otherwise 401 (API) or the sign-in page (HTML)."""
    user = current_user(request)
    if user is None:
        raise NotSignedIn("sign-in required")
    return user


def require_km_lead(user: PortalUser = Depends(require_user)) -> PortalUser:  # noqa: B008
    """FastAPI dependency: a user listed in `access.km_leads` or `access.admins`; otherwise 403."""
    if not user.km_lead:
        raise Forbidden("for KM leads only")
    return user
