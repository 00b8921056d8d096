"""The portal's query log (department, query, filters, count, latency, clicks; no user name, no document
text; retention) and fresh data (an ingest in another workspace while the portal serves)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from kmingest.portal import create_app
from kmingest.querylog import QueryLog, query_log_path
from kmingest.workspace import Workspace
from tests.portal.conftest import TOKEN, project_config, sign_in


def test_searches_and_clicks_are_logged_with_department_only(client: TestClient, corpus_root: Path) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    body = client.get(
        "/api/search", params={"q": "Discount approval  rules", "dept": "Sales"}, headers=auth
    ).json()
    doc_id = body["hits"][0]["doc_id"]
    page = client.get(body["hits"][0]["url"], headers=auth, follow_redirects=False)
    assert page.status_code == 303  # the hit's url is a page: it needs a browser session, not the token
    assert (
        client.get(f"/api/documents/{doc_id}", params={"qid": body["query_id"]}, headers=auth).status_code
        == 200
    )
    log = QueryLog(query_log_path(corpus_root / "state"))
    entry = next(e for e in log.entries() if e.query_id == body["query_id"])
    assert (entry.department, entry.query, entry.filters) == (
        "Sales",
        "Discount approval  rules",
        {"department": ["Sales"]},
    )
    assert entry.result_count == body["total"] and entry.latency_ms > 0 and entry.mode == "hybrid"
    assert entry.clicked == (doc_id,)
    log.close()
    raw = query_log_path(corpus_root / "state").read_bytes()
    assert b"alice" not in raw and b"sales director" not in raw  # no user name, no document text


def test_browsing_without_a_query_is_not_logged(client: TestClient, corpus_root: Path) -> None:
    log = QueryLog(query_log_path(corpus_root / "state"))
    before = len(list(log.entries()))
    sign_in(client, "bob").get("/search")
    assert len(list(log.entries())) == before
    log.close()


def test_old_entries_are_purged_at_startup(make_app: Any, corpus_root: Path) -> None:
    log = QueryLog(query_log_path(corpus_root / "state"))
    old = log.record("HR", "an old query", {}, 3, 12.0, at=datetime.now(UTC) - timedelta(days=31))
    recent = log.record("HR", "a recent query", {}, 3, 12.0, at=datetime.now(UTC) - timedelta(days=29))
    make_app()  # retention 30 days in the test config
    ids = {e.query_id for e in log.entries()}
    assert old not in ids and recent in ids
    log.close()


def test_portal_serves_documents_ingested_by_another_process_meanwhile(
    tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.setenv("KMINGEST_SESSION_SECRET", "s" * 32)
    docs = tmp_path / "docs" / "Quality"
    docs.mkdir(parents=True)
    (docs / "first.txt").write_text(
        "Gasket storage: keep gaskets dry and below 25 degrees.", encoding="utf-8"
    )
    cfg = project_config(tmp_path)
    with Workspace(cfg) as ws:
        ws.ingest(["docs"])
    with TestClient(create_app(cfg)) as client:
        sign_in(client, "bob")
        assert "Hydrostatic" not in client.get("/search", params={"q": "hydrostatic shell test"}).text
        (docs / "second.txt").write_text(
            "Hydrostatic shell test at 1.5 times the rated pressure.", encoding="utf-8"
        )
        with Workspace(cfg) as writer:  # its own SQLite connection, as a separate ingest run would have
            assert writer.ingest(["docs"])["docs"].indexed == 1
        page = client.get("/search", params={"q": "hydrostatic shell test"}).text
        assert "<mark>Hydrostatic</mark>" in page
        assert "Gasket" not in page  # not a result: no shared word, and below the similarity floor


def test_a_query_logged_in_the_same_millisecond_as_the_window_end_counts(tmp_path: Path) -> None:

    log = QueryLog(tmp_path / "querylog.db")
    at = datetime(2026, 11, 1, 12, 0, 0, 566_000, tzinfo=UTC)
    log.record("HR", "remote work", {}, 1, 4.0, at=at)
    report_time = at.replace(microsecond=566_900)  # a report generated right after, same millisecond
    assert [e.query for e in log.entries(since=at, until=report_time)] == ["remote work"]
    log.close()
