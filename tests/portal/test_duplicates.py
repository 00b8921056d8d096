"""Exact duplicates in the portal: the same mail saved in several folders is one hit, in the HTML results
("Also in: ..." links, escaped) and in the JSON API (`duplicates`), and a copy the user may not read is
neither a hit nor listed."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kmingest.portal import create_app
from kmingest.workspace import Workspace
from tests.portal.conftest import SESSION_SECRET, _write, project_config, sign_in

MAIL = (
    "Subject: Forklift licence\n\n"
    "Forklift drivers renew their licence every three years at the safety office."
)


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    docs = tmp_path / "docs"
    _write(docs, "HR/inbox/forklift.txt", MAIL, updated_at="2026-05-01")
    # the same text with other line breaks, in a folder whose name needs escaping
    _write(docs, "Production/a<b>&c/forklift.txt", MAIL.replace(" at ", "\n at "), updated_at="2026-04-01")
    _write(docs, "Sales/forklift.txt", MAIL, acl=["dept:Sales"], updated_at="2026-03-01")
    _write(
        docs, "Quality/fleet.txt", "The forklift fleet is leased for three years.", updated_at="2026-02-01"
    )
    cfg = project_config(tmp_path)
    with Workspace(cfg) as ws:
        assert ws.ingest(["docs"])["docs"].indexed == 4
    monkeypatch.setenv("KMINGEST_SESSION_SECRET", SESSION_SECRET)
    with TestClient(create_app(cfg)) as c:
        yield c


def test_api_folds_copies_into_one_hit_listing_only_readable_ones(client: TestClient) -> None:
    sign_in(client, "hana")  # HR: may read the HR and Production copies, not the Sales one
    body = client.get("/api/search", params={"q": "forklift licence", "mode": "bm25"}).json()
    copies = [h for h in body["hits"] if "forklift.txt" in h["source_url"]]
    assert len(copies) == 1 and body["total"] == 2
    listed = copies[0]["duplicates"]
    assert len(listed) == 1 and "Sales" not in listed[0]["external_id"]
    assert {copies[0]["department"], listed[0]["external_id"].split("/")[0]} == {"HR", "Production"}
    assert listed[0]["url"].startswith(f"/documents/{listed[0]['doc_id']}?q=forklift%20licence")
    assert client.get(listed[0]["url"]).status_code == 200  # the listed copy opens


def test_results_page_shows_the_other_locations_escaped(client: TestClient) -> None:
    sign_in(client, "hana")
    page = client.get("/search", params={"q": "forklift licence"}).text
    assert page.count('class="hit"') == 2 and "2 documents" in page
    assert page.count("Also in:") == 1 and "Sales/forklift.txt" not in page
    newest_first = client.get("/search", params={"dept": ["HR", "Production"]}).text  # the HR copy is newest
    assert newest_first.count('class="hit"') == 1 and "1 document," in newest_first
    assert 'Also in: <a href="/documents/' in newest_first
    assert "Production/a&lt;b&gt;&amp;c/forklift.txt</a>" in newest_first and "<b>&c" not in newest_first


def test_a_user_who_reads_every_copy_sees_them_all_under_one_hit(client: TestClient) -> None:
    sign_in(client, "alice")  # Sales: reads the Sales copy too
    body = client.get("/api/search", params={"q": "", "dept": ["HR", "Production", "Sales"]}).json()
    assert len(body["hits"]) == 1 and body["total"] == 1  # browse folds copies as well
    assert sorted(c["external_id"].split("/")[0] for c in body["hits"][0]["duplicates"]) == sorted(
        {"HR", "Production", "Sales"} - {body["hits"][0]["department"]}
    )
