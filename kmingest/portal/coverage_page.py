"""The portal's /coverage page for KM leads: the newest kept coverage report (built once if none exists).

browser -> GET /coverage (require_km_lead) -> coverage latest_full_report(reports_dir) | build_report + keep
        -> problems.for_reader(report, the user's caller) -> coverage.render_html (same template as the
           file, CSS linked for the portal's CSP) or /coverage/report.json

The report counts every document (it is computed as the system caller), which is why only users in
`access.km_leads` or `access.admins` may open it; everyone else gets 403. Failed and skipped records are
named (id, reason) only where the reader may read them; the others are counted. Reports are written by
`kmingest report coverage` and the coverage DAG; this page only builds one when the history is empty.

browser -> POST /coverage/accept (KM leads; the portal's CSRF guard checks the form's token)
        -> coverage.accepted.accept_topic -> knowledge_map.accepted.yaml -> 303 back to /coverage
A candidate accepted here is marked "Accepted" at once; the next report evaluates it as a map area.
"""

from __future__ import annotations

import threading
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.requests import Request

from kmingest.coverage import Report, build_report, render_html, reports_dir
from kmingest.coverage.accepted import AcceptError, accept_topic
from kmingest.coverage.knowledge_map import KnowledgeMapError, accepted_topics, load_knowledge_map
from kmingest.coverage.problems import for_reader
from kmingest.coverage.render_html import stylesheet
from kmingest.coverage.report import keep_report, latest_full_report, read_full_report
from kmingest.portal.auth import PortalUser, require_km_lead
from kmingest.portal.context import Portal, get_portal
from kmingest.portal.csrf import csrf_token

router = APIRouter(include_in_schema=False)
_build_lock = threading.Lock()
STYLESHEET_URL = "/coverage/report.css"


def current_report(portal: Portal, user: PortalUser) -> Report:
    """The newest kept report as `user` may see it; the first visit with an empty history builds and
    keeps one."""
    directory = reports_dir(portal.config)
    report = latest_full_report(directory)
    if report is None:
        with _build_lock:  # two first visitors must not build two reports
            report = latest_full_report(directory)
            if report is None:
                _, folder = keep_report(build_report(portal.config, portal.workspace), directory)
                report = read_full_report(folder)
    return for_reader(report, user.caller)


@router.get("/coverage", response_class=HTMLResponse)
def coverage_page(request: Request, user: PortalUser = Depends(require_km_lead)) -> HTMLResponse:  # noqa: B008
    portal = get_portal(request)
    report = current_report(portal, user)
    notice = request.query_params.get("accepted") or request.query_params.get("error")
    if "accepted" in request.query_params:
        notice = (
            f"“{notice}” was added to the knowledge map (knowledge_map.accepted.yaml); "
            "the next report evaluates it."
        )
    return HTMLResponse(
        render_html(
            report,
            stylesheet_url=STYLESHEET_URL,
            back_url="/search",
            accept_token=csrf_token() or "-",
            accepted_ids=_accepted(portal),
            accepted_notice=notice,
        )
    )


def _accepted(portal: Portal) -> frozenset[str]:
    path = portal.config.coverage.knowledge_map
    try:
        return accepted_topics(load_knowledge_map(path)) if path is not None else frozenset()
    except KnowledgeMapError:
        return frozenset()


@router.post("/coverage/accept")
def accept_candidate(
    request: Request,
    topic_id: str = Form(..., max_length=400),
    name: str = Form("", max_length=200),
    user: PortalUser = Depends(require_km_lead),  # noqa: B008
) -> RedirectResponse:
    """Accept a candidate key knowledge area into the map (KM leads; CSRF-checked like every form POST)."""
    try:
        accept_topic(get_portal(request).config, topic_id, name.strip() or None)
    except (AcceptError, KnowledgeMapError) as err:
        return RedirectResponse(
            f"/coverage?error={quote(str(err).splitlines()[0][:300])}#topics", status_code=303
        )
    return RedirectResponse(f"/coverage?accepted={quote(name.strip() or topic_id)}#topics", status_code=303)


@router.get("/coverage/report.json")
def coverage_json(request: Request, user: PortalUser = Depends(require_km_lead)) -> JSONResponse:  # noqa: B008
    return JSONResponse(current_report(get_portal(request), user).model_dump(mode="json"))


@router.get("/coverage/report.css")
def coverage_css() -> Response:
    """The report's stylesheet (no data in it); linked because the portal's CSP forbids inline styles."""
    return Response(stylesheet(), media_type="text/css", headers={"cache-control": "public, max-age=3600"})
