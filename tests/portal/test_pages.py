"""HTML pages through the app (TestClient): sign-in, search with facets and pagination, no-results help,
document page, escaping of hostile content, security headers, error pages, KM-lead dependency."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.testclient import TestClient

from kmingest.portal.auth import PortalUser, hash_password, require_km_lead, verify_password
from tests.portal.conftest import HR_SECRET_TITLE, XSS_TITLE, sign_in


def hrefs(html: str, css_class: str = "") -> list[str]:
    pattern = rf'<a [^>]*href="([^"]+)"[^>]*{css_class}' if css_class else r'href="([^"]+)"'
    return [h.replace("&amp;", "&") for h in re.findall(pattern, html)]


def test_pages_need_a_session_and_sign_in_returns_to_the_page(client: TestClient) -> None:
    response = client.get("/search?q=valve", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login?next=%2Fsearch%3Fq%3Dvalve"
    login = client.get(response.headers["location"])
    assert "Demo sign-ins" in login.text and 'data-user="alice"' in login.text
    done = client.post(
        "/login", data={"username": "alice", "next": "/search?q=valve"}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"] == "/search?q=valve"
    cookie = done.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert "Alice · Sales" in client.get("/search").text
    client.post("/logout")
    assert client.get("/search", follow_redirects=False).status_code == 303


def test_sign_in_rejects_unknown_users_foreign_redirects_and_checks_passwords(make_app: Any) -> None:
    encoded = hash_password("correct horse", iterations=1000)
    assert verify_password("correct horse", encoded) and not verify_password("wrong", encoded)
    client = make_app()
    bad = client.post("/login", data={"username": "mallory"}, follow_redirects=False)
    assert bad.status_code == 401 and "Unknown user or wrong password" in bad.text
    evil = client.post("/login", data={"username": "bob", "next": "//evil.example/x"}, follow_redirects=False)
    assert evil.headers["location"] == "/search"
    no_demo = make_app(demo_logins=False)
    assert no_demo.post("/login", data={"username": "bob"}, follow_redirects=False).status_code == 401
    assert "Demo sign-ins" not in no_demo.get("/login").text


def test_password_users_sign_in_with_their_password(corpus_root: Any, monkeypatch: Any) -> None:
    from kmingest.portal import create_app
    from tests.portal.conftest import project_config

    cfg = project_config(corpus_root, {"demo_logins": False})
    users = dict(cfg.access.users)
    users["bob"] = users["bob"].model_copy(update={"password_hash": hash_password("s3cret-pass", 1000)})
    cfg = cfg.model_copy(update={"access": cfg.access.model_copy(update={"users": users})})
    with TestClient(create_app(cfg)) as client:
        assert client.post("/login", data={"username": "bob", "password": "nope"}).status_code == 401
        ok = client.post(
            "/login", data={"username": "bob", "password": "s3cret-pass"}, follow_redirects=False
        )
        assert ok.status_code == 303


def test_search_page_shows_results_facets_and_pages(client: TestClient) -> None:
    page = sign_in(client, "bob").get("/search", params={"q": "inspection"}).text
    assert re.search(r"\d+ documents for “inspection”", page)
    assert 'class="hit"' in page and "<mark>" in page.lower() and "Quality" in page
    facet_links = re.findall(r'href="(/search\?[^"]+)"[^>]*data-value="([^"]+)"', page)
    assert ("/search?q=inspection&amp;dept=Quality", "Quality") in facet_links
    assert any(v == "inspection" for _, v in facet_links) and any(v.isdigit() for _, v in facet_links)
    filtered = client.get("/search", params={"q": "inspection", "dept": "Quality", "type": "inspection"}).text
    assert "14 documents" in filtered and 'aria-current="true"' in filtered and "Page 1 of 2" in filtered
    assert (
        'rel="next" href="/search?q=inspection&amp;dept=Quality&amp;type=inspection&amp;page=2"' in filtered
    )
    second = client.get(
        "/search", params={"q": "inspection", "dept": "Quality", "type": "inspection", "page": 2}
    )
    assert "Page 2 of 2" in second.text and 'start="11"' in second.text


def test_no_results_page_suggests_dropping_filters(client: TestClient) -> None:
    page = (
        sign_in(client, "alice")
        .get("/search", params={"q": "calibrated torque", "dept": "Sales", "type": "inspection"})
        .text
    )
    assert "No documents found" in page
    assert 'href="/search?q=calibrated+torque">Search again without the filters' in page
    assert "Check the spelling" in page and "or remove one of them above" in page
    assert "Nothing is indexed yet" not in page  # the index has documents, just none that match


def test_before_any_ingest_the_portal_says_nothing_is_indexed_yet(
    tmp_path: Path, monkeypatch: Any, caplog: Any
) -> None:
    """`kmingest serve` started before the first ingest (or on a mistyped index path): not an unexplained
    "No documents found", but what to do, on the page, in the API and in the log at start."""
    from kmingest.portal import create_app
    from tests.portal.conftest import SESSION_SECRET, project_config

    monkeypatch.setenv("KMINGEST_SESSION_SECRET", SESSION_SECRET)
    (tmp_path / "docs").mkdir()
    with caplog.at_level(logging.WARNING), TestClient(create_app(project_config(tmp_path))) as client:
        sign_in(client, "bob")
        for params in ({"q": "calibration"}, {}):
            page = client.get("/search", params=params).text
            assert "Nothing is indexed yet" in page and "kmingest ingest --all" in page
            assert "No documents found" not in page
        assert client.get("/api/search", params={"q": "calibration"}).json()["index_empty"] is True
    assert any("nothing is indexed yet" in r.getMessage() for r in caplog.records)


def test_document_page_shows_text_metadata_match_and_source_link(client: TestClient) -> None:
    page = sign_in(client, "bob").get("/search", params={"q": "torque wrenches"}).text
    link = next(h for h in hrefs(page) if h.startswith("/documents/"))
    assert link.endswith("#match") and "qid=" in link
    doc = client.get(link.split("#")[0]).text
    assert '<mark id="match" tabindex="-1">' in doc and "Jump to the matching passage" in doc
    assert "metrology lab" in doc and "Quality" in doc and "2025-03-01" in doc
    assert 'href="https://files.example.com/open?path=Quality%2Fcalibration.md"' in doc


def test_forbidden_and_unknown_documents_are_the_same_404(client: TestClient) -> None:
    sign_in(client, "hana")
    hr = client.get("/search", params={"q": "salary bands"}).text
    secret = next(h for h in hrefs(hr) if h.startswith("/documents/")).split("?")[0]
    assert client.get(secret).status_code == 200
    sign_in(client, "alice")
    forbidden, unknown = client.get(secret), client.get("/documents/" + "0" * 32)
    assert forbidden.status_code == unknown.status_code == 404
    assert forbidden.text == unknown.text and HR_SECRET_TITLE not in forbidden.text
    assert HR_SECRET_TITLE not in client.get("/search", params={"q": "salary bands"}).text


def test_hostile_document_content_is_escaped(client: TestClient) -> None:
    page = sign_in(client, "alice").get("/search", params={"q": "payload review"}).text
    assert "<script>window" not in page and "<img src=x" not in page and "<b>bold" not in page
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in page
    link = next(h for h in hrefs(page) if h.startswith("/documents/"))
    doc = client.get(link.split("#")[0]).text
    assert "<script>window" not in doc and "<img src=x" not in doc and "<b>" not in doc
    assert "&lt;img src=x onerror=&#34;window.__xss=2&#34;&gt;" in doc
    assert re.sub(r"<[^>]+>", "", doc).count("window.__xss") >= 2  # visible as text
    assert XSS_TITLE.split("<")[0].strip() in doc


def test_every_response_has_the_security_headers(client: TestClient) -> None:
    for path in ("/login", "/api/health", "/static/portal.css", "/nope"):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "object-src 'none'" in csp and "frame-ancestors 'none'" in csp
        assert headers["x-content-type-options"] == "nosniff"
    assert client.get("/login").headers["cache-control"] == "no-store"


def test_server_error_is_a_generic_page_without_a_traceback(make_app: Any, monkeypatch: Any) -> None:
    client = sign_in(make_app(raise_errors=False), "bob")

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom: secret internal detail")

    monkeypatch.setattr(client.app.state.portal.workspace.index, "search", broken)  # type: ignore[attr-defined]
    page = client.get("/search", params={"q": "valve"})
    assert page.status_code == 500 and "Something went wrong" in page.text
    assert "boom" not in page.text and "Traceback" not in page.text and "RuntimeError" not in page.text
    assert "content-security-policy" in page.headers
    bad = client.get("/search", params={"q": "valve", "page": "two"})
    assert bad.status_code == 400 and "Traceback" not in bad.text


def test_require_km_lead_guards_routes_for_other_modules(make_app: Any) -> None:
    client = make_app()
    router = APIRouter()

    @router.get("/lead-only")
    def lead_only(user: PortalUser = Depends(require_km_lead)) -> dict[str, str]:  # noqa: B008
        return {"name": user.name}

    client.app.include_router(router)  # type: ignore[attr-defined]
    assert client.get("/lead-only", follow_redirects=False).status_code == 303
    assert sign_in(client, "bob").get("/lead-only").status_code == 403
    assert sign_in(client, "kmlead").get("/lead-only").json() == {"name": "kmlead"}


def test_a_malformed_query_id_on_a_document_link_is_ignored_not_an_error(client: TestClient) -> None:
    page = sign_in(client, "bob").get("/search", params={"q": "torque wrenches"}).text
    link = next(h for h in hrefs(page) if h.startswith("/documents/")).split("?")[0]
    for qid in ("²", "99999999999999999999999", "-1", "abc"):
        assert client.get(link, params={"qid": qid}).status_code == 200, qid
    api = "/api" + link
    assert (
        client.get(api, params={"qid": "99999999999999999999999"}).status_code == 422
    )  # a clear client error
    assert client.get(api, params={"qid": "1"}).status_code == 200
