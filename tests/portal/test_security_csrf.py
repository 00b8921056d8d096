"""Cross-site request forgery (issue 13 row 13): a page on another site cannot sign a browser in as
someone else, sign it out, or make any other POST; the portal's own forms (and API clients with a bearer
token) still work, including behind a proxy that rewrites the Host header."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from kmingest.portal.sessions import SESSION_COOKIE
from tests.portal.conftest import TOKEN, sign_in

EVIL = {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}
OWN_PAGE = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}


def form_token(client: TestClient) -> str:
    """The hidden csrf_token of the sign-in form (its nonce cookie is now in the client)."""
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', client.get("/login").text)
    assert found, "the sign-in form carries a CSRF token"
    return found.group(1)


def test_a_cross_site_sign_in_is_refused(make_secure_app: Any) -> None:
    browser = make_secure_app()
    for headers in (
        EVIL,
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "same-site"},
    ):
        forged = browser.post(
            "/login", data={"username": "hana", "next": "/search"}, headers=headers, follow_redirects=False
        )
        assert forged.status_code == 403, headers
        assert SESSION_COOKIE not in forged.headers.get("set-cookie", "")
        assert "Cross-site request refused" in forged.text
    assert browser.get("/api/me").status_code == 401  # not signed in as hana
    own = browser.post(
        "/login", data={"username": "bob", "next": "/search"}, headers=OWN_PAGE, follow_redirects=False
    )
    assert own.status_code == 303 and browser.get("/api/me").json()["name"] == "bob"


def test_a_cross_site_sign_out_is_refused(make_secure_app: Any) -> None:
    browser = sign_in(make_secure_app(), "alice")
    assert browser.post("/logout", headers=EVIL, follow_redirects=False).status_code == 403
    assert browser.get("/api/me").json()["name"] == "alice"
    assert browser.post("/logout", headers=OWN_PAGE, follow_redirects=False).status_code == 303
    assert browser.get("/api/me").status_code == 401


def test_a_cross_site_api_post_with_the_session_cookie_is_refused(make_secure_app: Any) -> None:
    lead = sign_in(make_secure_app(), "kmlead")
    victim = sign_in(make_secure_app(), "alice")
    forged = lead.post(
        "/api/sessions/revoke", json={"user": "alice"}, headers={"Origin": "https://evil.example"}
    )
    assert forged.status_code == 403 and forged.json() == {"detail": "cross-site request refused"}
    assert victim.get("/api/me").status_code == 200
    # a bearer token is no ambient credential: an API client is not subject to the check
    token = {"Authorization": f"Bearer {TOKEN}-kmlead", **EVIL}
    assert (
        make_secure_app().post("/api/sessions/revoke", json={"user": "alice"}, headers=token).status_code
        == 200
    )


def test_the_form_token_lets_the_portals_own_form_through_a_host_rewriting_proxy(
    make_secure_app: Any,
) -> None:
    """Behind a proxy that rewrites Host, an old browser's Origin (the public name) does not match the
    Host the portal sees: the form's token proves the form was the portal's own."""
    proxy_origin = {"Origin": "https://portal.example.com"}
    browser = make_secure_app()
    token = form_token(browser)
    assert browser.cookies.get("kmingest_csrf")
    without = browser.post("/login", data={"username": "bob"}, headers=proxy_origin, follow_redirects=False)
    assert without.status_code == 403
    wrong = browser.post(
        "/login",
        data={"username": "bob", "csrf_token": "0" * 64},
        headers=proxy_origin,
        follow_redirects=False,
    )
    assert wrong.status_code == 403
    odd = browser.post("/login", data={"username": "bob", "csrf_token": "tök\u2028"}, headers=proxy_origin)
    assert odd.status_code == 403  # not a server error
    other_browser = make_secure_app()  # a token is bound to the browser's own nonce cookie
    assert (
        other_browser.post(
            "/login",
            data={"username": "bob", "csrf_token": token},
            headers=proxy_origin,
            follow_redirects=False,
        ).status_code
        == 403
    )
    ok = browser.post(
        "/login", data={"username": "bob", "csrf_token": token}, headers=proxy_origin, follow_redirects=False
    )
    assert ok.status_code == 303
    # the sign-out form carries a token bound to the new session
    logout_token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', browser.get("/search").text)
    assert logout_token and logout_token.group(1) != token
    out = browser.post(
        "/logout", data={"csrf_token": logout_token.group(1)}, headers=proxy_origin, follow_redirects=False
    )
    assert out.status_code == 303 and browser.get("/api/me").status_code == 401


def test_an_allowed_host_is_a_same_origin(make_secure_app: Any) -> None:
    portal = make_secure_app(allowed_hosts=["testserver", "portal.example.com"])
    signed = portal.post(
        "/login",
        data={"username": "bob"},
        headers={"Origin": "https://portal.example.com"},
        follow_redirects=False,
    )
    assert signed.status_code == 303
