"""The portal in a real browser: a real uvicorn server and Debian's headless Chromium driven by Playwright.

Screenshots are kept in test-artifacts/portal/ (gitignored) for review.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kmingest.config import load_config
from kmingest.models import document_id
from kmingest.portal import create_app
from tests.portal.conftest import (
    ARTIFACTS,
    LiveServer,
    project_config,
    start_server,
    stop_server,
)

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium package (/usr/bin/chromium)"),
]
SAMPLE_SECRET = "Salary bands 2026 (confidential)"  # samples/files/HR/salary-bands-2026.csv: dept:HR only


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
        )
        yield b
        b.close()


@pytest.fixture(scope="module")
def sample_server(sample_project: Path, pytest_module_env: None) -> Iterator[LiveServer]:
    live = start_server(create_app(load_config(sample_project / "kmingest.yaml")))
    yield live
    stop_server(live)


@pytest.fixture(scope="module")
def pytest_module_env() -> Iterator[None]:
    mp = pytest.MonkeyPatch()
    mp.setenv("KMINGEST_SESSION_SECRET", "browser-test-secret-of-32-bytes-or-more")
    yield
    mp.undo()


def doc_ids_on(page: Any) -> set[str]:
    return set(page.eval_on_selector_all("li.hit", "els => els.map(e => e.dataset.doc)"))


@pytest.mark.slow
def test_department_user_searches_filters_and_opens_a_document(
    browser: Any, sample_server: LiveServer
) -> None:
    secret_id = document_id("shared-drive", "HR/salary-bands-2026.csv")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    seen: set[str] = set()
    page.goto(f"{sample_server.url}/search?q=salary+bands")
    assert "/login" in page.url  # no session: the sign-in page
    page.click('button[data-user="alice"]')
    page.wait_for_selector("h1.summary")
    assert "q=salary+bands" in page.url  # back where she wanted to go
    assert page.inner_text("[data-testid=who]").endswith("Sales")
    seen |= doc_ids_on(page)
    assert SAMPLE_SECRET not in page.content()
    page.screenshot(path=str(ARTIFACTS / "01-search-salary-as-sales.png"), full_page=True)

    page.fill("#q", "discount approval")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"q=discount\+approval"))
    seen |= doc_ids_on(page)
    assert "Pricing and Discount Policy 2026" in page.inner_text("ol.hits")  # Sales-only, alice is Sales
    page.click('[data-facet="department"] a[data-value="Sales"]')
    page.wait_for_url(re.compile(r"dept=Sales"))
    metas = page.eval_on_selector_all("li.hit p.meta span:first-child", "els => els.map(e => e.textContent)")
    assert metas and set(metas) == {"Sales"}
    assert page.get_attribute('[data-facet="department"] a[data-value="Sales"]', "aria-current") == "true"
    seen |= doc_ids_on(page)
    page.screenshot(path=str(ARTIFACTS / "02-facet-sales.png"), full_page=True)

    page.click("li.hit h2 a >> nth=0")
    page.wait_for_selector("article.doc")
    assert page.is_visible("#match")
    in_view = page.eval_on_selector(
        "#match",
        "e => { const r = e.getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight; }",
    )
    assert in_view  # the matched passage is in view
    assert page.is_visible("text=Department") and page.is_visible("text=Back to results")
    page.screenshot(path=str(ARTIFACTS / "03-document.png"))

    page.goto(f"{sample_server.url}/documents/{secret_id}")  # by id: the same 404 as an unknown id
    assert "Not found" in page.inner_text("h1") and SAMPLE_SECRET not in page.content()
    page.goto(f"{sample_server.url}/search?q=salary+grade+monthly+CNY")
    seen |= doc_ids_on(page)
    assert secret_id not in seen and SAMPLE_SECRET not in page.content()
    context.close()


@pytest.mark.slow
def test_phone_sized_screen_and_keyboard(browser: Any, sample_server: LiveServer) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(f"{sample_server.url}/login")
    page.click('button[data-user="hana"]')
    page.wait_for_selector("#q")
    assert page.evaluate("document.activeElement.id") == "q"  # an empty search page focuses the box
    page.keyboard.type("remote work policy")
    page.keyboard.press("Enter")
    page.wait_for_selector("li.hit")
    page.keyboard.press("Tab")  # on a results page the first stop is the skip link
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375  # single column, no horizontal scrolling
    facets_top = page.eval_on_selector("aside.facets", "e => e.getBoundingClientRect().top")
    results_top = page.eval_on_selector("section.results", "e => e.getBoundingClientRect().top")
    assert facets_top > results_top  # facets move below the results
    page.screenshot(path=str(ARTIFACTS / "04-phone-hr.png"), full_page=True)
    context.close()


def test_xss_payload_in_a_document_never_executes(
    browser: Any, corpus_root: Path, pytest_module_env: None
) -> None:
    live = start_server(create_app(project_config(corpus_root)))
    try:
        context = browser.new_context()
        page = context.new_page()
        dialogs: list[str] = []

        def on_dialog(dialog: Any) -> None:
            dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.goto(f"{live.url}/login")
        page.click('button[data-user="alice"]')
        page.wait_for_selector("#q")
        page.fill("#q", "payload review")
        page.keyboard.press("Enter")
        page.wait_for_selector("li.hit")
        assert page.evaluate("typeof window.__xss") == "undefined"
        assert "<script>window.__xss=1</script>" in page.inner_text("ol.hits")  # shown as text
        page.screenshot(path=str(ARTIFACTS / "05-xss-results.png"), full_page=True)
        page.click("li.hit h2 a >> text=Payload review")
        page.wait_for_selector("article.doc")
        assert page.evaluate("typeof window.__xss") == "undefined"
        assert page.query_selector("article img") is None and page.query_selector("article script") is None
        text = page.inner_text("[data-testid=fulltext]")
        assert '<img src=x onerror="window.__xss=2">' in text and "<b>bold</b>" in text
        assert "<script>" in page.inner_text("h1")
        assert not dialogs
        page.screenshot(path=str(ARTIFACTS / "06-xss-document.png"), full_page=True)
        context.close()
    finally:
        stop_server(live)
