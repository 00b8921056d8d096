"""Signing in and out: the throttled password check, the server-side session behind the cookie, and
"sign out everywhere".

POST /login  (pages.py) -> attempt_sign_in: throttle (429) -> check_login -> start_session: store + cookie
POST /logout (pages.py) -> end_session: the session is revoked in the store, the cookie deleted
POST /api/sessions/revoke {"user": name} -> every live session of that user revoked (the user themself, or a
KM lead / admin for anyone); the same from the shell: `kmingest users revoke-sessions NAME`.

A copied cookie stops working as soon as its session is revoked, on every worker process.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.requests import Request

from kmingest.portal.auth import Forbidden, PortalUser, check_login, require_user
from kmingest.portal.context import get_portal
from kmingest.portal.sessions import SESSION_COOKIE, read_session, sign_session
from kmingest.portal.throttle import TooManySignIns, client_address

router = APIRouter(prefix="/api", tags=["api"])


def attempt_sign_in(request: Request, name: str, password: str) -> PortalUser | None:
    """The user if the sign-in is right; None if wrong (counted); TooManySignIns while throttled (checked
    before the password, so a blocked guess costs nothing and tells nothing)."""
    portal = get_portal(request)
    address = client_address(request, portal.trusted_proxies)
    wait = portal.throttle.retry_after(name, address)
    if wait:
        raise TooManySignIns(wait)
    user = check_login(portal.config, name, password)
    if user is None:
        portal.throttle.failed(name, address)
    else:
        portal.throttle.succeeded(name)
    return user


def start_session(request: Request, response: Response, user: PortalUser) -> None:
    """A new server-side session for the user, its signed id in the session cookie (the browser's previous
    session, if any, is revoked)."""
    portal = get_portal(request)
    cfg = portal.config.portal
    previous = read_session(portal.secret, request.cookies.get(SESSION_COOKIE, ""))
    if previous is not None:
        portal.sessions.revoke(previous)
    session_id, expires = portal.sessions.create(user.name, cfg.session_hours)
    response.set_cookie(
        SESSION_COOKIE,
        sign_session(portal.secret, session_id, expires),
        max_age=int(cfg.session_hours * 3600),
        httponly=True,
        samesite="lax",
        secure=cfg.secure_cookies,
        path="/",
    )


def end_session(request: Request, response: Response) -> None:
    """Sign-out: the session is revoked server-side (a copy of the cookie is refused), the cookie deleted."""
    portal = get_portal(request)
    session_id = read_session(portal.secret, request.cookies.get(SESSION_COOKIE, ""))
    if session_id is not None:
        portal.sessions.revoke(session_id)
    response.delete_cookie(SESSION_COOKIE, path="/")


class RevokeRequest(BaseModel):
    user: str = Field(min_length=1, max_length=200, description="The user whose sessions end")


class RevokeResponse(BaseModel):
    user: str
    revoked: int  # sessions that were live


@router.post("/sessions/revoke", response_model=RevokeResponse)
def revoke_sessions(
    request: Request,
    body: RevokeRequest,
    user: PortalUser = Depends(require_user),  # noqa: B008
) -> RevokeResponse:
    """Sign a user out everywhere: every live session of `user` ends now, on every worker. Anyone may do
    this for themself; KM leads and admins for any user. API tokens are not sessions and stay valid."""
    if body.user != user.name and not user.km_lead:
        raise Forbidden("for KM leads and admins only")
    revoked = get_portal(request).sessions.revoke_user(body.user)
    return RevokeResponse(user=body.user, revoked=revoked)
