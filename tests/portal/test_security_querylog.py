"""Query log integrity and the year facet's calendar (issue 13 row 23): a `?qid=` from another session's
search records no click, a search opened by a link from another site is not logged as the user's search,
and year buckets follow `portal.timezone` instead of UTC."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kmingest.portal import create_app
from kmingest.querylog import QueryLog, query_log_path
from kmingest.workspace import Workspace
from tests.portal.conftest import SESSION_SECRET, project_config, sign_in


def logged(state: Path) -> list[tuple[str, tuple[str, ...]]]:
    log = QueryLog(query_log_path(state))
    try:
        return [(e.query, e.clicked) for e in log.entries()]
    finally:
        log.close()


def first_result_link(page: str) -> str:
    found = re.search(r'<li class="hit"[^>]*>\s*<h2><a href="([^"]+)"', page)
    assert found, "the page lists a result"
    return found.group(1).replace("&amp;", "&")


def test_a_click_with_another_sessions_query_id_is_not_recorded(make_secure_app: Any, tmp_path: Path) -> None:
    searcher = sign_in(make_secure_app(), "alice")
    link = first_result_link(searcher.get("/search", params={"q": "torque wrench calibration"}).text)
    assert "qid=" in link
    doc_id = link.split("/documents/")[1].split("?")[0]
    for other in (sign_in(make_secure_app(), "bob"), sign_in(make_secure_app(), "alice")):  # another session
        assert other.get(link).status_code == 200  # the document opens...
    assert logged(tmp_path / "state") == [("torque wrench calibration", ())]  # ...but no click is recorded
    qid = link.split("qid=")[1].split("#")[0]
    api_user = make_secure_app()  # an API token user is another owner too
    token = {"Authorization": "Bearer test-token-for-alice-0123456789"}
    assert api_user.get(f"/api/documents/{doc_id}", params={"qid": qid}, headers=token).status_code == 200
    assert logged(tmp_path / "state") == [("torque wrench calibration", ())]
    assert searcher.get(link).status_code == 200  # the searcher's own click counts
    assert logged(tmp_path / "state") == [("torque wrench calibration", (doc_id,))]


def test_a_search_opened_by_a_link_from_another_site_is_not_logged(
    make_secure_app: Any, tmp_path: Path
) -> None:
    browser = sign_in(make_secure_app(), "bob")
    followed = browser.get("/search", params={"q": "planted query"}, headers={"Sec-Fetch-Site": "cross-site"})
    assert followed.status_code == 200 and "planted query" in followed.text  # answered...
    assert "qid=" not in followed.text and logged(tmp_path / "state") == []  # ...not logged
    own = browser.get("/search", params={"q": "valve inspection"}, headers={"Sec-Fetch-Site": "same-origin"})
    assert own.status_code == 200 and [q for q, _ in logged(tmp_path / "state")] == ["valve inspection"]


@pytest.fixture(scope="module")
def new_year_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two documents: one updated 31 Dec 2025 20:00 UTC (already 1 Jan 2026 in Shanghai), one in June 2025."""
    root = tmp_path_factory.mktemp("new-year")
    folder = root / "docs" / "Quality"
    folder.mkdir(parents=True)
    for name, text, updated in (
        ("eve.txt", "Year-end stock count of valve seats.", "2025-12-31T20:00:00+00:00"),
        ("june.txt", "Mid-year stock count of gaskets.", "2025-06-01T08:00:00+00:00"),
    ):
        (folder / name).write_text(text, encoding="utf-8")
        (folder / f"{name}.meta.json").write_text(json.dumps({"updated_at": updated}), encoding="utf-8")
    with Workspace(project_config(root)) as ws:
        assert ws.ingest(["docs"])["docs"].indexed == 2
    return root


@pytest.mark.parametrize(
    ("zone", "years", "in_2026"),
    [
        ("Asia/Shanghai", {"2026": 1, "2025": 1}, ["Year-end stock count of valve seats."]),
        ("UTC", {"2025": 2}, []),
        ("America/New_York", {"2025": 2}, []),
    ],
)
def test_year_facet_boundaries_follow_the_configured_time_zone(
    new_year_root: Path, monkeypatch: pytest.MonkeyPatch, zone: str, years: dict[str, int], in_2026: list[str]
) -> None:
    monkeypatch.setenv("KMINGEST_SESSION_SECRET", SESSION_SECRET)
    with TestClient(create_app(project_config(new_year_root, {"timezone": zone}))) as client:
        sign_in(client, "bob")
        body = client.get("/api/search", params={"q": ""}).json()
        assert {f["value"]: f["count"] for f in body["facets"]["year"]} == years
        filtered = client.get("/api/search", params={"q": "", "year": "2026"}).json()
        assert [h["snippet"] for h in filtered["hits"]] == in_2026
