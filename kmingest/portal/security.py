"""Request and response safety for every portal route: allowed hosts, cross-site refusal, security headers
and error handling without tracebacks.

request -> SecurityHeaders (CSP, nosniff, no-store, ...) -> TrustedHost (portal.allowed_hosts: 400)
        -> CrossSiteGuard (csrf.py: cross-site POST 403) -> routes -> exception handlers -> response

- Content-Security-Policy allows scripts, styles and images from the portal itself only (no inline script),
  so even markup that slipped through escaping could not run.
- Pages under `/api/` get JSON errors (`{"detail": ...}`, 401 with `WWW-Authenticate: Bearer`); HTML pages
  get a sign-in redirect (401) or a plain error page. An unexpected exception is logged on the server and the
  browser sees a generic 500 page: never a traceback or an exception message.
- A forbidden and an unknown document both answer the same 404 body.
- Throttled sign-ins answer 429 with Retry-After; two identity headers from the SSO proxy answer 400.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kmingest.portal.auth import ConflictingIdentity, Forbidden, NotSignedIn
from kmingest.portal.context import Portal, get_portal
from kmingest.portal.csrf import CrossSiteGuard, csrf_token
from kmingest.portal.throttle import TooManySignIns

log = logging.getLogger("kmingest.portal")

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; object-src 'none'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]
TITLES = {
    400: "Bad request",
    401: "Sign-in required",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed",
    422: "Bad request",
    429: "Too many attempts",
    500: "Something went wrong",
}
MESSAGES = {
    404: "There is no such page or document, or you may not read it.",
    403: "Your account may not open this page.",
    500: "The portal could not answer this request. It has been logged; please try again later.",
}


class SecurityHeaders:
    """Pure ASGI middleware: adds the security headers to every HTTP response (cheap per request)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        private = not str(scope.get("path", "")).startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in HEADERS if k not in names]
                if private and b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def error_page(request: Request, status: int, message: str | None = None) -> Response:
    """The one HTML error page: a title and a fixed message, nothing from the exception."""
    try:
        portal = get_portal(request)
        user = getattr(request.state, "user", None)
        body = portal.templates.get_template("error.html").render(
            title=TITLES.get(status, "Error"),
            status=status,
            user=user,
            message=message or MESSAGES.get(status, "The request could not be answered."),
            extra_nav=[],
        )
    except Exception:  # the error page itself must never fail
        log.exception("error page failed")
        body = "<!doctype html><title>Error</title><p>Something went wrong.</p>"
    return HTMLResponse(body, status_code=status)


def _json(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


async def on_not_signed_in(request: Request, exc: Exception) -> Response:
    if is_api(request):
        return _json(
            401, "sign-in required: send Authorization: Bearer <token>", {"WWW-Authenticate": "Bearer"}
        )
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


async def on_forbidden(request: Request, exc: Exception) -> Response:
    return _json(403, "forbidden") if is_api(request) else error_page(request, 403)


async def on_too_many_sign_ins(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, TooManySignIns)
    headers = {"Retry-After": str(exc.retry_after)}
    minutes = max(1, -(-exc.retry_after // 60))
    if is_api(request):
        return _json(429, "too many failed sign-ins", headers)
    response = error_page(
        request,
        429,
        f"Too many failed sign-ins. Please try again in {minutes} minute{'s' if minutes > 1 else ''}.",
    )
    response.headers.update(headers)
    return response


async def on_conflicting_identity(request: Request, exc: Exception) -> Response:
    if is_api(request):
        return _json(400, "conflicting identity headers")
    return error_page(request, 400, "The sign-in proxy sent conflicting identity headers.")


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    if is_api(request):
        detail = "not found" if status == 404 else str(exc.detail) if status < 500 else "internal error"
        return _json(status, detail, dict(exc.headers or {}))
    return error_page(request, status)


async def on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if is_api(request):
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in exc.errors()]
        return JSONResponse({"detail": errors}, status_code=422)
    return error_page(request, 400, "Some part of the address is not valid. Please search again.")


async def on_unexpected(request: Request, exc: Exception) -> Response:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    response = _json(500, "internal error") if is_api(request) else error_page(request, 500)
    # this handler runs in Starlette's outermost middleware, outside SecurityHeaders: add them here
    for name, value in [*HEADERS, (b"cache-control", b"no-store")]:
        response.headers[name.decode()] = value.decode()
    return response


def install(app: FastAPI, portal: Portal) -> None:
    """Middleware (the last added runs first) and error handlers; `csrf_token()` for the forms."""
    cfg = portal.config.portal
    portal.templates.globals["csrf_token"] = csrf_token
    app.add_middleware(CrossSiteGuard, secret=portal.secret, config=cfg, templates=portal.templates)
    if cfg.allowed_hosts:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(cfg.allowed_hosts))
    app.add_middleware(SecurityHeaders)
    app.add_exception_handler(TooManySignIns, on_too_many_sign_ins)
    app.add_exception_handler(ConflictingIdentity, on_conflicting_identity)
    app.add_exception_handler(NotSignedIn, on_not_signed_in)
    app.add_exception_handler(Forbidden, on_forbidden)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(Exception, on_unexpected)
