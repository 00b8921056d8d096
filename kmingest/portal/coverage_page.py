"""The portal's /coverage page for KM leads: the newest kept coverage report (built once if none exists).

browser -> GET /coverage (require_km_lead) -> coverage latest_full_report(reports_dir) | build_report + keep
        -> problems.for_reader(report, the user's caller) -> coverage.render_html (same template as the
           file, CSS linked for the portal's CSP) or /coverage/report.json

The report counts every document (it is computed as the system caller), which is why only users in
`access.km_leads` or `access.admins` may open it; everyone else gets 403. Failed and skipped records are
named (id, reason) only where the reader may read them; the others are counted. Reports are written by
`kmingest report coverage` and the coverage DAG; this page only builds one when the history is empty.
"""

from __future__ import annotations

import threading

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.requests import Request

from kmingest.coverage import Report, build_report, render_html, reports_dir
from kmingest.coverage.problems import for_reader
from kmingest.coverage.render_html import stylesheet
from kmingest.coverage.report import keep_report, latest_full_report, read_full_report
from kmingest.portal.auth import PortalUser, require_km_lead
from kmingest.portal.context import Portal, get_portal

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
    report = current_report(get_portal(request), user)
    return HTMLResponse(render_html(report, stylesheet_url=STYLESHEET_URL, back_url="/search"))


@router.get("/coverage/report.json")
def coverage_json(request: Request, user: PortalUser = Depends(require_km_lead)) -> JSONResponse:  # noqa: B008
    return JSONResponse(current_report(get_portal(request), user).model_dump(mode="json"))


@router.get("/coverage/report.css")
def coverage_css() -> Response:
    """The report's stylesheet (no data in it); linked because the portal's CSP forbids inline styles."""
    return Response(stylesheet(), media_type="text/css", headers={"cache-control": "public, max-age=3600"})
