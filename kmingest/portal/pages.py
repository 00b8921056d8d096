"""Server-rendered HTML pages: sign-in, search (facets, pagination, no-results help) and a document.

browser -> these routes -> service (as the signed-in user's caller) -> templates/*.html (autoescape on)

The results page shows "People who wrote about this" (service.people_who_wrote): the authors/owners of the
page's hits, read as the user, so nobody is named from a document the user may not read.

No front-end build and no inline script: forms and links only, so the pages work by keyboard, on a phone
and under the strict Content-Security-Policy. Result links carry the query and the query-log id, so the
document page brings the matched passage into view (`#match`) and logs the click.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kmingest.portal.auth import PortalUser, current_user, demo_users, require_user
from kmingest.portal.context import Portal, get_portal
from kmingest.portal.render import format_date, highlight_full_text, safe_snippet
from kmingest.portal.service import (
    OLDER_PREFIX,
    SearchParams,
    open_document,
    people_who_wrote,
    run_search,
    source_link,
)
from kmingest.portal.signin import attempt_sign_in, end_session, start_session
from kmingest.querylog import parse_query_id

router = APIRouter(include_in_schema=False)
FACET_LABELS = {"department": "Department", "system": "Source system", "doc_type": "Type", "year": "Year"}


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    portal = get_portal(request)
    user = context.pop("user", None) or getattr(request.state, "user", None)
    nav = portal.extra_nav if isinstance(user, PortalUser) and user.km_lead else []
    body = portal.templates.get_template(name).render(user=user, extra_nav=nav, **context)
    return HTMLResponse(body, status_code=status)


def _safe_next(target: str | None) -> str:
    """Only a path on this site (no scheme, no //host) may be a redirect target after sign-in."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/search"


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/search", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/search") -> Response:
    portal = get_portal(request)
    if current_user(request) is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return _login_page(request, portal, next)


def _login_page(
    request: Request, portal: Portal, next_url: str, error: str = "", status: int = 200
) -> Response:
    cfg = portal.config
    demos = [
        (
            n,
            cfg.access.users[n].display_name or n,
            ", ".join(cfg.access.users[n].departments) or ("KM lead" if n in cfg.access.km_leads else ""),
        )
        for n in demo_users(cfg)
    ]
    return render(
        request,
        "login.html",
        status=status,
        title="Sign in",
        next_url=_safe_next(next_url),
        error=error,
        demos=demos,
        sso=cfg.portal.auth == "header",
    )


@router.post("/login")
def login(
    request: Request,
    username: str = Form("", max_length=200),
    password: str = Form("", max_length=1000),
    next: str = Form("/search", max_length=2000),
) -> Response:
    portal = get_portal(request)
    user = attempt_sign_in(request, username.strip(), password)  # throttled: 429
    if user is None:
        return _login_page(request, portal, next, "Unknown user or wrong password.", status=401)
    response = RedirectResponse(_safe_next(next), status_code=303)
    start_session(request, response, user)
    return response


@router.post("/logout")
def logout(request: Request) -> Response:
    response = RedirectResponse("/login", status_code=303)
    end_session(request, response)  # revoked server-side: a copy of the cookie no longer works
    return response


@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request,
    q: str = Query("", max_length=500),
    dept: list[str] = Query([]),  # noqa: B008
    system: list[str] = Query([]),  # noqa: B008
    type: list[str] = Query([]),  # noqa: B008
    year: str = "",
    page: int = Query(1, ge=1),
    user: PortalUser = Depends(require_user),  # noqa: B008
) -> HTMLResponse:
    portal = get_portal(request)
    params = SearchParams.build(q, dept, system, type, year, page, portal.config.portal.page_size)
    outcome = run_search(portal, user, params)
    facets = [
        (name, FACET_LABELS[name], values)
        for name, values in [*outcome.result.facets.items(), ("year", outcome.years)]
        if values
    ]
    link = ""
    if params.q:  # the document page highlights the query and logs the click
        link = "?" + urlencode({"q": params.q, "qid": outcome.query_id or ""}) + "#match"
    hits = [
        {
            "hit": h,
            "snippet": safe_snippet(h.snippet_html),
            "date": format_date(h.updated_at),
            "href": f"/documents/{quote(h.doc_id, safe='')}{link}",
        }
        for h in outcome.result.hits
    ]
    active = [
        (FACET_LABELS[n], _value_label(n, v), params.toggled(n, v))
        for n, vals in (
            ("department", params.departments),
            ("system", params.systems),
            ("doc_type", params.doc_types),
            ("year", (params.year,) if params.year else ()),
        )
        for v in vals
    ]
    people = [
        {"name": e.name, "documents": e.documents, "latest": format_date(e.latest)}
        for e in people_who_wrote(portal, user, outcome)
    ]
    return render(
        request,
        "search.html",
        user=user,
        title=f"{params.q} – Search" if params.q else "Search",
        params=params,
        outcome=outcome,
        hits=hits,
        facets=facets,
        active=active,
        value_label=_value_label,
        first=(params.page - 1) * params.size + 1,
        people=people,
    )


def _value_label(name: str, value: str) -> str:
    if name == "year" and value.startswith(OLDER_PREFIX):
        return f"before {value.removeprefix(OLDER_PREFIX)}"
    return value


@router.get("/documents/{doc_id}", response_class=HTMLResponse)
def document_page(
    request: Request,
    doc_id: str,
    q: str = Query("", max_length=500),
    qid: str = "",
    user: PortalUser = Depends(require_user),  # noqa: B008
) -> HTMLResponse:
    portal = get_portal(request)
    doc = open_document(portal, user, doc_id, parse_query_id(qid))
    if doc is None:  # unknown and forbidden look the same
        raise HTTPException(404)
    body, marks = highlight_full_text(str(doc.get("text", "")), q)
    meta = [
        ("Department", doc.get("department")),
        ("Source system", doc.get("system")),
        ("Type", doc.get("doc_type")),
        ("Updated", format_date(doc.get("updated_at"))),
        ("Author", doc.get("author")),
        ("Source", doc.get("source")),
        ("Id in source", doc.get("external_id")),
    ]
    back = "/search?" + SearchParams(q=q).query_string() if q else "/search"
    return render(
        request,
        "document.html",
        user=user,
        title=str(doc.get("title", "")),
        doc=doc,
        body=body,
        marks=marks,
        meta=[(k, v) for k, v in meta if v],
        q=q,
        back=back,
        source_url=source_link(portal, doc),
    )
