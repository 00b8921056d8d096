"""The /coverage portal page (KM leads only), a zero-result search through the real portal, and the HTML
report rendered in headless Chromium with its charts (screenshot kept under test-artifacts/coverage/)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kmingest.coverage import write_formats
from kmingest.coverage.report import build_report
from kmingest.portal import create_app
from kmingest.workspace import Workspace
from tests.coverage.conftest import ARTIFACTS, AS_OF, SampleProject


@pytest.fixture
def portal(samples: SampleProject, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("KMINGEST_SESSION_SECRET", "coverage-test-secret-of-32-bytes-or-more")
    with Workspace(samples.config) as ws, TestClient(create_app(samples.config, ws)) as client:
        yield client


def sign_in(client: TestClient, user: str) -> None:
    response = client.post("/login", data={"username": user, "next": "/search"}, follow_redirects=False)
    assert response.status_code == 303, response.text


def test_coverage_page_is_for_km_leads_only(portal: TestClient) -> None:
    anonymous = portal.get("/coverage", follow_redirects=False)
    assert anonymous.status_code in (303, 401) and "/login" in anonymous.headers.get("location", "/login")
    sign_in(portal, "alice")
    assert portal.get("/coverage").status_code == 403
    assert portal.get("/coverage/report.json").status_code == 403
    portal.cookies.clear()
    sign_in(portal, "kmlead")
    page = portal.get("/coverage")
    assert page.status_code == 200
    assert "Knowledge coverage report" in page.text and 'href="/coverage/report.css"' in page.text
    assert "<style>" not in page.text  # the portal's CSP forbids inline styles: the CSS is linked
    assert portal.get("/coverage/report.css").headers["content-type"].startswith("text/css")
    data = portal.get("/coverage/report.json").json()
    assert data["totals"]["documents"] == 537


def test_a_search_that_found_nothing_in_the_portal_appears_as_zero_result_query(
    portal: TestClient, samples: SampleProject
) -> None:
    sign_in(portal, "alice")  # Sales
    page = portal.get("/search", params={"q": "helium leak detection", "dept": "HR", "type": "ticket"})
    assert page.status_code == 200 and "No documents found" in page.text
    found = portal.get("/search", params={"q": "cryogenic extended bonnet"})
    assert found.status_code == 200
    # no filter at all: no shared word and nothing above the similarity floor is "found nothing" too
    unfiltered = portal.get("/search", params={"q": "banana bread recipe"})
    assert "No documents found" in unfiltered.text
    with Workspace(samples.config) as ws:
        report = build_report(samples.config, ws, as_of=AS_OF)
    assert report.search is not None
    zero = {q.query: q for q in report.search.zero_result_queries}
    assert "helium leak detection" in zero and "Sales" in zero["helium leak detection"].departments
    assert "banana bread recipe" in zero
    assert "cryogenic extended bonnet" not in zero
    sales = next(d for d in report.search.departments if d.department == "Sales")
    assert "helium leak detection" in {q.query for q in sales.zero_result_queries}
    assert "cryogenic extended bonnet" in {q.query for q in report.search.no_click_queries}


@pytest.mark.integration
def test_html_report_renders_with_charts_in_chromium(samples: SampleProject, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    with Workspace(samples.config) as ws:
        report = build_report(samples.config, ws, as_of=AS_OF)
    html = write_formats(report, tmp_path, ["html"])[0]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            requests: list[str] = []
            page.on("request", lambda r: requests.append(r.url))
            page.goto(html.as_uri())
            for chart in ("#chart-departments svg", "#chart-heatmap svg", "#chart-freshness svg"):
                box = page.locator(chart).bounding_box()
                assert box is not None and box["width"] > 300 and box["height"] > 100, (chart, box)
            bars = page.locator("#chart-departments rect.bar")
            assert bars.count() == len(report.departments)
            widest = max(bars.nth(i).bounding_box()["width"] for i in range(bars.count()))  # type: ignore[index]
            assert widest > 100
            assert page.locator("#chart-heatmap rect.cell").count() == len(
                {d.department for d in report.department_system}
            ) * len({d.system for d in report.department_system})
            assert page.locator("#chart-freshness rect.segment").count() > 5
            assert page.locator("tr[data-status=missing]").count() >= 1
            assert requests == [html.as_uri()]  # self-contained: nothing else is fetched
            page.screenshot(path=str(ARTIFACTS / "coverage-report.png"), full_page=True)
            page.emulate_media(media="print")
            page.pdf(path=str(ARTIFACTS / "coverage-report.pdf"), format="A4")
        finally:
            browser.close()
    assert (ARTIFACTS / "coverage-report.png").stat().st_size > 10_000
    assert (ARTIFACTS / "coverage-report.pdf").stat().st_size > 10_000
