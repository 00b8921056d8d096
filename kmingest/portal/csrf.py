"""Cross-site request forgery: every state-changing request (POST, PUT, PATCH, DELETE) from another site is
refused with 403, before any route runs (login, logout and any form or API POST added later).

request -> CrossSiteGuard: safe method -> route (its forms get `csrf_token()`; a new nonce cookie if needed)
        -> unsafe: /api/ with `Authorization: Bearer` -> route  (no cookie involved: not forgeable)
                   Sec-Fetch-Site same-origin|none, or Origin == this host -> route
                   no Sec-Fetch-Site and no Origin (not a browser) -> route
                   otherwise cross-site: a valid CSRF token (form field `csrf_token` or header
                   `X-CSRF-Token`) -> route ; none -> 403

The token is a double submit bound to the browser: HMAC(session key, nonce cookie | session id), where the
nonce is a random `kmingest_csrf` cookie (HttpOnly, SameSite=Strict) set with the first form, so the login
form has one before any session exists. Modern browsers send Sec-Fetch-Site or Origin with every POST, so
the header check alone refuses forged requests; the token lets the portal's own forms through where a proxy
rewrites the Host header (the Origin no longer matches) and guards browsers too old to send either header.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from contextvars import ContextVar
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import jinja2
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kmingest.config import PortalConfig
from kmingest.portal.sessions import SESSION_COOKIE, read_session

CSRF_COOKIE = "kmingest_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}
MAX_FORM_BYTES = 64 * 1024  # a sign-in form is far smaller; a larger body carries no readable token
REFUSED = "Cross-site request refused: submit the form from the portal's own page."


@dataclass
class _Browser:
    """What one request knows for its forms: the nonce (sent, or new) and the session it is bound to."""

    secret: bytes
    nonce: str
    session_id: str
    new_nonce: bool = False
    issued: bool = field(default=False)


_current: ContextVar[_Browser | None] = ContextVar("kmingest_csrf", default=None)


def _token(secret: bytes, nonce: str, session_id: str) -> str:
    return hmac.new(secret, f"csrf|{nonce}|{session_id}".encode(), hashlib.sha256).hexdigest()


def csrf_token() -> str:
    """For templates: the hidden `csrf_token` value of this browser's forms ("" outside a request)."""
    browser = _current.get()
    if browser is None:
        return ""
    browser.issued = True
    return _token(browser.secret, browser.nonce, browser.session_id)


def same_origin(headers: Headers, allowed_hosts: tuple[str, ...]) -> bool | None:
    """True: the browser says this request comes from the portal's own pages; False: from another site;
    None: no Sec-Fetch-Site and no Origin (not a browser, or a very old one)."""
    site = headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = headers.get("origin")
    if origin is None:
        return None
    netloc = urlsplit(origin).netloc.lower() if origin != "null" else ""
    host = headers.get("host", "").lower()
    hostname = netloc.rsplit(":", 1)[0] if not netloc.endswith("]") else netloc
    return bool(netloc) and (netloc == host or hostname in {h.lower() for h in allowed_hosts})


class CrossSiteGuard:
    """Pure ASGI middleware (cheap per request; no body read unless a request looks cross-site)."""

    def __init__(
        self, app: ASGIApp, secret: bytes, config: PortalConfig, templates: jinja2.Environment
    ) -> None:
        self.app = app
        self.secret = secret
        self.config = config
        self.templates = templates

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        cookie = request.cookies.get(CSRF_COOKIE, "")
        nonce = cookie if 16 <= len(cookie) <= 64 and cookie.isascii() else ""
        session_id = read_session(self.secret, request.cookies.get(SESSION_COOKIE, "")) or ""
        browser = _Browser(self.secret, nonce or secrets.token_urlsafe(24), session_id, new_nonce=not nonce)
        _current.set(browser)
        cross_site = (
            request.method not in SAFE_METHODS
            and not self._bearer_api(request)
            and same_origin(request.headers, self.config.allowed_hosts) is False
        )
        if cross_site:  # only a valid token from the portal's own form lets it through
            given = request.headers.get(CSRF_HEADER, "")
            if not given and _is_form(request.headers):
                body = await _read_form(receive)
                given = (parse_qs(body.decode("latin-1")).get(CSRF_FIELD) or [""])[0]
                receive = _replay(body)
            expected = _token(self.secret, nonce, session_id).encode("ascii")
            if not (nonce and hmac.compare_digest(given.encode("utf-8", "replace"), expected)):
                await self._refuse(request)(scope, receive, send)
                return

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and browser.new_nonce and browser.issued:
                secure = "; Secure" if self.config.secure_cookies else ""
                value = f"{CSRF_COOKIE}={browser.nonce}; Path=/; HttpOnly; SameSite=Strict{secure}"
                message["headers"] = [*message.get("headers", []), (b"set-cookie", value.encode("latin-1"))]
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    @staticmethod
    def _bearer_api(request: Request) -> bool:
        scheme = request.headers.get("authorization", "").partition(" ")[0]
        return request.url.path.startswith("/api/") and scheme.lower() == "bearer"

    def _refuse(self, request: Request) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": "cross-site request refused"}, status_code=403)
        body = self.templates.get_template("error.html").render(
            title="Not allowed", status=403, user=None, message=REFUSED, extra_nav=[]
        )
        return HTMLResponse(body, status_code=403)


async def _read_form(receive: Receive) -> bytes:
    """The request body, up to MAX_FORM_BYTES (the rest is not needed to find a token)."""
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size <= MAX_FORM_BYTES:
            chunks.append(chunk)
        more = bool(message.get("more_body", False))
    return b"".join(chunks) if size <= MAX_FORM_BYTES else b""  # too large for a form: no token, refused


def _is_form(headers: Headers) -> bool:
    return headers.get("content-type", "").startswith("application/x-www-form-urlencoded")


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive
