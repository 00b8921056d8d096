"""The JSON API on a small real index (real embedding model): search, filters, facets, pagination,
documents, and access control (a Sales user never sees an HR-only document in any form)."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from kmingest.portal.sessions import _b64
from tests.portal.conftest import HR_SECRET_TITLE, TOKEN, sign_in

ALICE = {"Authorization": f"Bearer {TOKEN}"}


def api(client: TestClient, path: str, **params: Any) -> dict[str, Any]:
    response = client.get(path, params=params, headers=ALICE)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def facet(body: dict[str, Any], name: str) -> dict[str, int]:
    return {f["value"]: f["count"] for f in body["facets"][name]}


def test_search_returns_hits_with_metadata_and_highlights(client: TestClient) -> None:
    body = api(client, "/api/search", q="torque wrenches calibrated")
    top = body["hits"][0]
    assert top["title"] == "calibration" or "Calibration" in top["title"]
    assert (top["department"], top["system"], top["updated_at"][:10]) == (
        "Quality",
        "fileshare",
        "2025-03-01",
    )
    marked = [top["snippet"][s:e].lower() for s, e in top["highlights"]]
    assert "torque" in marked and "<mark>" in top["snippet_html"]
    assert top["url"].startswith(f"/documents/{top['doc_id']}?q=") and body["query_id"] is not None
    assert top["source_url"].startswith("https://files.example.com/open?path=Quality%2Fcalibration.md")


def test_filters_facets_and_pagination(client: TestClient) -> None:
    body = api(client, "/api/search", q="inspection")
    assert body["total"] == sum(facet(body, "department").values())
    assert facet(body, "doc_type")["inspection"] == 14
    assert sum(facet(body, "year").values()) == body["total"]
    quality = api(client, "/api/search", q="inspection", dept="Quality", type="inspection")
    assert quality["total"] == 14 and quality["pages"] == 2
    assert {h["department"] for h in quality["hits"]} == {"Quality"}
    assert facet(quality, "department") == {"Quality": 14}
    second = api(client, "/api/search", q="inspection", dept="Quality", type="inspection", page=2)
    assert len(quality["hits"]) == 10 and len(second["hits"]) == 4
    assert not {h["doc_id"] for h in quality["hits"]} & {h["doc_id"] for h in second["hits"]}
    year = api(client, "/api/search", q="inspection", dept="Quality", type="inspection", year="2025")
    assert year["total"] == facet(quality, "year")["2025"] > 0
    assert all(h["updated_at"].startswith("2025") for h in year["hits"])
    assert api(client, "/api/search", q="inspection", size=3)["size"] == 3


def test_empty_query_browses_newest_first(client: TestClient) -> None:
    body = api(client, "/api/search", size=50)
    dates = [h["updated_at"] for h in body["hits"]]
    assert dates == sorted(dates, reverse=True) and body["query_id"] is None


def test_document_fetch_with_highlights(client: TestClient) -> None:
    hit = api(client, "/api/search", q="discount approval")["hits"][0]
    doc = api(client, f"/api/documents/{hit['doc_id']}", q="discount")
    assert doc["title"] == "Discount approval" and doc["department"] == "Sales"
    assert doc["text"][slice(*doc["highlights"][0])].lower().startswith("discount")
    assert "acl" not in doc


def test_sales_user_never_receives_an_hr_only_document(client: TestClient) -> None:
    # hana (HR) finds it, so it exists and matches these queries
    hana = {"Authorization": "Bearer x"}  # invalid token: 401, not a fallback to anonymous
    assert client.get("/api/search", params={"q": "salary"}, headers=hana).status_code == 401
    sign_in(client, "hana")
    hr = client.get("/api/search", params={"q": "salary bands confidential"}).json()
    client.cookies.clear()
    secret_hit = next(h for h in hr["hits"] if h["title"] == HR_SECRET_TITLE)
    secret_id = secret_hit["doc_id"]
    for query in ("salary bands confidential", "inspection engineers valve", "G5 12000", ""):
        body = api(client, "/api/search", q=query, size=100)
        assert secret_id not in {h["doc_id"] for h in body["hits"]}
        assert all(
            h["title"] != HR_SECRET_TITLE and "salary" not in h["snippet"].lower() for h in body["hits"]
        )
        assert body["total"] == len(body["hits"])  # the count includes nothing hidden
        assert sum(facet(body, "department").values()) == body["total"]
        assert facet(body, "department").get("HR", 0) <= 1  # only the public leave policy
    hr_facet = facet(api(client, "/api/search", q="", dept="HR"), "department")
    assert hr_facet == {"HR": 1}
    forbidden = client.get(f"/api/documents/{secret_id}", headers=ALICE)
    unknown = client.get(f"/api/documents/{'0' * 32}", headers=ALICE)
    assert forbidden.status_code == unknown.status_code == 404
    assert forbidden.json() == unknown.json() == {"detail": "not found"}


def test_anonymous_gets_401_on_the_api_and_health_is_open(client: TestClient) -> None:
    for path in ("/api/search?q=valve", f"/api/documents/{'0' * 32}", "/api/me"):
        response = client.get(path)
        assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
    assert client.get("/api/health").json() == {"status": "ok"}
    assert client.get("/api/openapi.json").json()["paths"]["/api/search"]
    docs = client.get("/api/docs")
    assert docs.status_code == 200 and "/api/search" in docs.text


def test_tokens_identify_their_user(client: TestClient) -> None:
    me = api(client, "/api/me")
    assert (me["name"], me["departments"], me["via"]) == ("alice", ["Sales"], "token")
    # a token shorter than 16 characters is refused at startup
    assert client.get("/api/me", headers={"Authorization": "Bearer short"}).status_code == 401
    # tokens are for the API only: a page with a token and no session goes to sign-in
    page = client.get("/search", headers=ALICE, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")


def test_session_cookie_works_for_the_api_and_forged_cookies_do_not(client: TestClient) -> None:
    from tests.portal.conftest import sign_in

    sign_in(client, "alice")
    assert client.get("/api/me").json()["name"] == "alice"
    cookie = client.cookies.get("kmingest_session")
    assert cookie is not None
    payload, _, mac = cookie.partition(".")
    forged = _b64(json.dumps({"u": "hana", "e": 4102444800}).encode())  # another user, same signature
    for value in (f"{forged}.{mac}", f"{payload}.{mac[:-4]}AAAA", "garbage", f"{payload}."):
        client.cookies.clear()
        client.cookies.set("kmingest_session", value)
        assert client.get("/api/me").status_code == 401, value


def test_sso_header_mode_maps_groups_to_principals(make_app: Any) -> None:
    sso = make_app(auth="header", group_map={"hr-staff": "dept:HR"})
    headers = {"X-Forwarded-User": "carol", "X-Forwarded-Groups": "hr-staff, everyone"}
    me = sso.get("/api/me", headers=headers).json()
    assert (me["name"], me["departments"], me["groups"], me["via"]) == (
        "carol",
        ["HR"],
        ["everyone"],
        "header",
    )
    titles = [
        h["title"]
        for h in sso.get("/api/search", params={"q": "salary bands"}, headers=headers).json()["hits"]
    ]
    assert HR_SECRET_TITLE in titles
    assert sso.get("/api/me").status_code == 401
    page = sso.get("/search?q=salary", headers=headers)
    assert page.status_code == 200 and HR_SECRET_TITLE in page.text
    login = sso.get("/login")
    assert "single sign-on" in login.text and "Demo sign-ins" not in login.text


def test_sso_headers_are_ignored_in_config_mode(client: TestClient) -> None:
    headers = {"X-Forwarded-User": "hana", "X-Forwarded-Groups": "hr"}
    assert client.get("/api/me", headers=headers).status_code == 401
    page = client.get("/search?q=salary", headers=headers, follow_redirects=False)
    assert page.status_code == 303


def test_api_errors_are_json_without_internals(make_app: Any, monkeypatch: Any) -> None:
    client = make_app(raise_errors=False)
    assert client.get("/api/search", params={"page": "x"}, headers=ALICE).status_code == 422

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret internal detail /etc/passwd")

    monkeypatch.setattr(client.app.state.portal.workspace.index, "search", broken)  # type: ignore[attr-defined]
    response = client.get("/api/search", params={"q": "valve"}, headers=ALICE)
    assert response.status_code == 500 and response.json() == {"detail": "internal error"}
    assert "content-security-policy" in response.headers
