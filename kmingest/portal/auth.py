"""Who is asking: turns a request into a `PortalUser` whose `caller` every search and fetch runs as.

request -> (API token | SSO header | signed session cookie) -> PortalUser(name, departments, caller)
        -> kmingest.search (ACL filter on the server)

- `portal.auth: config`: users from `access.users`; sign-in with a pbkdf2 password hash, or by name alone
  where `portal.demo_logins` is on and the user has no hash (sample data only). The session is a signed
  cookie (HMAC-SHA256, expiry inside) holding only the user name; principals are resolved per request.
- `portal.auth: header`: an SSO proxy in front sets `portal.trusted_header` (user) and
  `portal.groups_header` (comma-separated groups, mapped by `portal.group_map`, e.g. sales -> dept:Sales).
  The portal must then be reachable only through that proxy. In `config` mode these headers are ignored.
- API tokens (`Authorization: Bearer ...`, from env `portal.api_tokens_env`) work for `/api/` in both modes.

`require_user` and `require_km_lead` are FastAPI dependencies for any route (the coverage page uses them).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

from fastapi import Depends
from starlette.requests import Request

from kmingest.config import Config
from kmingest.index.base import Caller
from kmingest.portal.context import Portal, get_portal
from kmingest.search import caller_for, caller_from_principals

SESSION_COOKIE = "kmingest_session"
PBKDF2_ITERATIONS = 600_000


class NotSignedIn(Exception):
    """No valid session, token or SSO header: 401 on the API, the sign-in page for HTML."""


class Forbidden(Exception):
    """Signed in, but not allowed here (e.g. a page for KM leads): 403."""


@dataclass(frozen=True)
class PortalUser:
    name: str
    display_name: str
    departments: tuple[str, ...]
    groups: tuple[str, ...]
    caller: Caller
    via: str  # "session", "header" or "token"
    km_lead: bool = False

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


# ---- sessions --------------------------------------------------------------------------------------------
def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_session(secret: bytes, user: str, hours: float, now: float | None = None) -> str:
    payload = _b64(json.dumps({"u": user, "e": int((now or time.time()) + hours * 3600)}).encode("utf-8"))
    mac = hmac.new(secret, payload.encode("ascii"), hashlib.sha256).digest()
    return f"{payload}.{_b64(mac)}"


def read_session(secret: bytes, cookie: str, now: float | None = None) -> str | None:
    """The user name in a valid, unexpired session cookie; None otherwise."""
    payload, _, mac = cookie.partition(".")
    try:
        expected = hmac.new(secret, payload.encode("ascii"), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(mac)):
            return None
        data = json.loads(_unb64(payload))
    except (ValueError, UnicodeError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), str) or not isinstance(data.get("e"), int):
        return None
    return data["u"] if data["e"] > (now or time.time()) else None


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
        name=name, display_name=(entry.display_name if entry and entry.display_name else name),
        departments=tuple(depts), groups=tuple(groups), caller=caller, via=via,
        km_lead=name in access.km_leads or name in access.admins,
    )  # fmt: skip


def demo_users(config: Config) -> list[str]:
    """Users who may sign in by name alone (demo_logins on, no password hash)."""
    if not config.portal.demo_logins or config.portal.auth != "config":
        return []
    return [n for n, u in config.access.users.items() if u.password_hash is None]


def check_login(config: Config, name: str, password: str) -> PortalUser | None:
    """The user if the name and password (or a demo sign-in) are valid; None otherwise."""
    entry = config.access.users.get(name)
    if entry is None or config.portal.auth != "config":
        return None
    if entry.password_hash is None:
        ok = config.portal.demo_logins
    else:
        ok = verify_password(password, entry.password_hash)
    return user_from_config(config, name, "session") if ok else None


def _header_user(portal: Portal, request: Request) -> PortalUser | None:
    cfg = portal.config.portal
    name = request.headers.get(cfg.trusted_header, "").strip()
    if not name:
        return None
    extra: list[str] = []
    if cfg.groups_header:
        for group in (g.strip() for g in request.headers.get(cfg.groups_header, "").split(",")):
            if group:
                mapped = cfg.group_map.get(group, f"group:{group}")
                extra.append(mapped if ":" in mapped else f"group:{mapped}")
    return user_from_config(portal.config, name, "header", tuple(extra))


def _token_user(portal: Portal, request: Request) -> PortalUser | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    given = token.strip().encode("utf-8")
    for known, user in portal.api_tokens.items():
        if hmac.compare_digest(known.encode("utf-8"), given):
            return user_from_config(portal.config, user, "token")
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
        name = read_session(portal.secret, request.cookies.get(SESSION_COOKIE, ""))
        if name is not None and name in portal.config.access.users:
            user = user_from_config(portal.config, name, "session")
    request.state.user = user
    return user


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
