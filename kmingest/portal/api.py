"""The JSON API: `/api/search`, `/api/documents/{id}`, `/api/me`, `/api/health`, and the OpenAPI schema
(`/api/openapi.json`, readable at `/api/docs` as a server-rendered page: no CDN script, so the strict CSP
holds).

API client (Bearer token, or the browser's session) -> these routes -> service (as the user's caller).
Snippets come as text plus highlight spans (and as escaped HTML with <mark> for convenience).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from kmingest.analysis import highlight_spans
from kmingest.portal.auth import PortalUser, require_user
from kmingest.portal.context import Portal, get_portal
from kmingest.portal.render import safe_snippet, snippet_spans, snippet_text
from kmingest.portal.service import (
    SearchOutcome,
    SearchParams,
    open_document,
    people_who_wrote,
    run_search,
    source_link,
)
from kmingest.querylog import MAX_QUERY_ID

router = APIRouter(prefix="/api", tags=["api"])


class FacetValue(BaseModel):
    value: str
    count: int


class Copy(BaseModel):
    """Another readable document with the same text as the hit (an exact duplicate, e.g. the same mail
    in another folder)."""

    doc_id: str
    title: str
    source: str
    external_id: str
    url: str  # this copy in the portal
    source_url: str | None


class Hit(BaseModel):
    doc_id: str
    title: str
    department: str
    system: str
    doc_type: str
    source: str
    updated_at: datetime | None
    snippet: str
    highlights: list[tuple[int, int]]  # character spans of `snippet` that match the query
    snippet_html: str  # `snippet` escaped, with <mark> around the highlights
    url: str  # this document in the portal
    source_url: str | None  # the document in its source system
    duplicates: list[Copy]  # the other readable copies of this text, folded into this hit


class Person(BaseModel):
    """Someone who authored or owns results of this search (only results the user may read)."""

    name: str
    documents: int  # how many of the results name this person
    latest: datetime | None  # the newest of them


class SearchResponse(BaseModel):
    query: str
    total: int
    page: int
    pages: int
    size: int
    hits: list[Hit]
    facets: dict[str, list[FacetValue]]  # department, system, doc_type, year
    query_id: int | None  # pass as ?qid= when opening a result, to log the click
    experts: list[Person]  # "people who wrote about this": authors/owners of this page's results
    partial: bool = False  # part of the index did not answer: results and counts may lack documents
    index_empty: bool = False  # nothing is indexed yet (no source has run): why there are no hits


class DocumentResponse(BaseModel):
    doc_id: str
    title: str
    department: str
    system: str
    doc_type: str
    source: str
    external_id: str
    updated_at: str | None
    author: str | None
    source_url: str | None
    text: str
    highlights: list[tuple[int, int]]  # spans of `text` matching ?q=


class Me(BaseModel):
    name: str
    display_name: str
    departments: list[str]
    groups: list[str]
    km_lead: bool
    via: str


@router.get("/health")
def health(request: Request) -> dict[str, str]:
    """Readiness: the index answers. No sign-in needed; tells nothing about the documents."""
    portal = get_portal(request)
    try:
        portal.workspace.index.stats()
    except Exception as err:
        raise HTTPException(503, "index unavailable") from err
    return {"status": "ok"}


@router.get("/me", response_model=Me)
def me(user: PortalUser = Depends(require_user)) -> Me:  # noqa: B008
    return Me(
        name=user.name,
        display_name=user.display_name,
        departments=list(user.departments),
        groups=list(user.groups),
        km_lead=user.km_lead,
        via=user.via,
    )


@router.get("/search", response_model=SearchResponse)
def api_search(
    request: Request,
    q: str = Query("", max_length=500, description="Query text; empty lists documents newest first"),
    dept: list[str] = Query([], description="Department filter (repeatable; OR within the field)"),  # noqa: B008
    system: list[str] = Query([], description="Source system filter (repeatable)"),  # noqa: B008
    type: list[str] = Query([], description="Document type filter (repeatable)"),  # noqa: B008
    year: str = Query("", description="A year such as 2025, or before-2017"),
    page: int = Query(1, ge=1, le=100),
    size: int = Query(10, ge=1, le=100),
    mode: Literal["hybrid", "bm25", "vector"] = "hybrid",
    user: PortalUser = Depends(require_user),  # noqa: B008
) -> Response:
    """Search as the signed-in user: hits, total and facets count only documents the user may read."""
    portal = get_portal(request)
    params = SearchParams.build(q, dept, system, type, year, page, size, mode)
    outcome = run_search(portal, user, params)
    facets = {
        name: [FacetValue(value=v, count=n) for v, n in values]
        for name, values in outcome.result.facets.items()
    }
    facets["year"] = [FacetValue(value=v, count=n) for v, n in outcome.years]
    qid = f"&qid={outcome.query_id}" if outcome.query_id is not None else ""
    hits = [
        Hit(
            doc_id=h.doc_id,
            title=h.title,
            department=h.department,
            system=h.system,
            doc_type=h.doc_type,
            source=h.source,
            updated_at=h.updated_at,
            snippet=snippet_text(h.snippet_html),
            highlights=snippet_spans(h.snippet_html),
            snippet_html=str(safe_snippet(h.snippet_html)),
            url=f"/documents/{h.doc_id}?q={_q(params.q)}{qid}",
            source_url=source_link(portal, {"url": h.url, "system": h.system, "external_id": h.external_id}),
            duplicates=[
                Copy(
                    doc_id=c.doc_id,
                    title=c.title,
                    source=c.source,
                    external_id=c.external_id,
                    url=f"/documents/{c.doc_id}?q={_q(params.q)}{qid}",
                    source_url=source_link(
                        portal, {"url": c.url, "system": c.system, "external_id": c.external_id}
                    ),
                )
                for c in h.duplicates
            ],
        )
        for h in outcome.result.hits
    ]
    body = SearchResponse(
        query=params.q,
        total=outcome.result.total,
        page=params.page,
        pages=outcome.pages,
        size=params.size,
        hits=hits,
        facets=facets,
        query_id=outcome.query_id,
        experts=_people(portal, user, outcome),
        partial=outcome.result.partial,
        index_empty=outcome.index_empty,
    )
    # built and validated once: returning the model would have FastAPI validate and encode it again
    return Response(body.model_dump_json(), media_type="application/json")


def _people(portal: Portal, user: PortalUser, outcome: SearchOutcome) -> list[Person]:
    experts = people_who_wrote(portal, user, outcome)
    return [Person(name=e.name, documents=e.documents, latest=e.latest) for e in experts]


def _q(text: str) -> str:
    return quote(text, safe="")


@router.get(
    "/documents/{doc_id}",
    response_model=DocumentResponse,
    responses={404: {"description": "No such document, or the user may not read it (same answer)"}},
)
def api_document(
    request: Request,
    doc_id: str,
    q: str = Query("", max_length=500, description="Query whose matches to return as highlights"),
    qid: int | None = Query(
        None, ge=1, le=MAX_QUERY_ID, description="query_id of the search it was opened from"
    ),
    user: PortalUser = Depends(require_user),  # noqa: B008
) -> DocumentResponse:
    """One document's text and metadata, if the signed-in user may read it; otherwise 404."""
    portal = get_portal(request)
    doc = open_document(portal, user, doc_id, qid)
    if doc is None:
        raise HTTPException(404, "not found")
    text = str(doc.get("text", ""))
    return DocumentResponse(
        doc_id=str(doc["doc_id"]),
        title=str(doc["title"]),
        department=str(doc["department"]),
        system=str(doc["system"]),
        doc_type=str(doc["doc_type"]),
        source=str(doc["source"]),
        external_id=str(doc["external_id"]),
        updated_at=_opt(doc.get("updated_at")),
        author=_opt(doc.get("author")),
        source_url=source_link(portal, doc),
        text=text,
        highlights=highlight_spans(text, q) if q.strip() else [],
    )


def _opt(value: Any) -> str | None:
    return None if value is None else str(value)


@router.get("/docs", response_class=HTMLResponse, include_in_schema=False)
def api_docs(request: Request) -> HTMLResponse:
    """The OpenAPI description as a plain page (Swagger UI would need a CDN script and inline code)."""
    portal: Portal = get_portal(request)
    schema = request.app.openapi()
    operations = []
    for path, methods in schema.get("paths", {}).items():
        for method, op in methods.items():
            params = [
                (p["name"], p.get("in", ""), p.get("description", "")) for p in op.get("parameters", [])
            ]
            operations.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "params": params,
                }
            )
    body = portal.templates.get_template("api_docs.html").render(
        title="API", operations=operations, user=getattr(request.state, "user", None), extra_nav=[]
    )
    return HTMLResponse(body)
