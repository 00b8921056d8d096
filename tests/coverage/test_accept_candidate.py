"""Accepting a candidate key knowledge area from /coverage: KM leads only, CSRF-checked, written to
knowledge_map.accepted.yaml beside the map; through the test client and in headless Chromium against a real
server (screenshot under test-artifacts/coverage/)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from kmingest.config import Config
from kmingest.coverage.accepted import candidates
from kmingest.coverage.knowledge_map import accepted_path
from kmingest.portal import create_app
from tests.coverage.conftest import ARTIFACTS, REPO, SampleProject, sample_config
from tests.portal.conftest import start_server, stop_server

CHROMIUM = Path("/usr/bin/chromium")
FORM = re.compile(
    r'name="csrf_token" value="([^"]+)">\s*<input type="hidden" name="topic_id" value="([^"]+)"'
)


@pytest.fixture
def own_map(samples: SampleProject, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Config:
    """The ingested samples with a copy of the knowledge map and an empty report history of this test."""
    monkeypatch.setenv("KMINGEST_SESSION_SECRET", "coverage-test-secret-of-32-bytes-or-more")
    shutil.copy(REPO / "knowledge_map.yaml", tmp_path / "knowledge_map.yaml")
    return sample_config(
        samples.root,
        knowledge_map=str(tmp_path / "knowledge_map.yaml"),
        reports_dir=str(tmp_path / "reports"),
    )


@pytest.fixture
def client(own_map: Config) -> Iterator[TestClient]:
    with TestClient(create_app(own_map)) as c:
        yield c


def sign_in(client: TestClient, user: str) -> None:
    response = client.post("/login", data={"username": user, "next": "/coverage"}, follow_redirects=False)
    assert response.status_code == 303, response.text


def test_a_km_lead_accepts_a_candidate_into_the_map(client: TestClient, own_map: Config) -> None:
    sign_in(client, "kmlead")
    page = client.get("/coverage")
    forms = FORM.findall(page.text)
    assert len(forms) >= 5, "every candidate gets an accept form"
    token, topic_id = forms[0]
    listed = candidates(own_map)  # what the CLI lists: the same kept report
    assert topic_id in {t.topic_id for t in listed} and len(listed) >= len(forms)
    cross_site = client.post(
        "/coverage/accept",
        data={"topic_id": topic_id, "name": "Forged"},
        headers={"origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert cross_site.status_code == 403
    assert own_map.coverage.knowledge_map is not None
    accepted = accepted_path(own_map.coverage.knowledge_map)
    assert not accepted.exists()
    done = client.post(
        "/coverage/accept",
        data={"csrf_token": token, "topic_id": topic_id, "name": "Valve parts"},
        headers={"origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"].startswith("/coverage?accepted=Valve%20parts")
    written = yaml.safe_load(accepted.read_text(encoding="utf-8"))["departments"]
    dept = topic_id.split("/")[0]
    assert [(a["name"], a["accepted_from"]) for a in written[dept]] == [("Valve parts", topic_id)]
    again = client.get(done.headers["location"])
    assert "was added to the knowledge map" in again.text
    assert re.search(
        rf'data-topic="{re.escape(topic_id)}".*?<span class="accepted">Accepted</span>', again.text, re.S
    )
    twice = client.post(
        "/coverage/accept",
        data={"csrf_token": token, "topic_id": topic_id, "name": "Valve parts"},
        follow_redirects=False,
    )
    assert twice.status_code == 303 and "error=" in twice.headers["location"]
    unknown = client.post("/coverage/accept", data={"topic_id": "Nope/x/1"}, follow_redirects=False)
    assert "error=" in unknown.headers["location"]
    client.cookies.clear()
    sign_in(client, "alice")
    assert (
        client.post("/coverage/accept", data={"topic_id": topic_id}, follow_redirects=False).status_code
        == 403
    )


@pytest.mark.integration
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium package (/usr/bin/chromium)")
def test_accepting_a_candidate_in_the_browser(own_map: Config) -> None:
    from playwright.sync_api import sync_playwright

    live = start_server(create_app(own_map))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=str(CHROMIUM),
                args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
            )
            try:
                page: Any = browser.new_page(viewport={"width": 1280, "height": 900})
                page.goto(f"{live.url}/coverage")
                page.click('button[data-user="kmlead"]')
                page.wait_for_selector("table[data-table=candidates]", timeout=120_000)
                row = page.locator("table[data-table=candidates] tbody tr").first
                topic_id = row.get_attribute("data-topic")
                row.locator("input[name=name]").fill("Accepted in the browser")
                row.locator("button[type=submit]").click()
                page.wait_for_selector("p.notice")
                assert "Accepted in the browser" in page.inner_text("p.notice")
                accepted_row = page.locator(f'tr[data-topic="{topic_id}"]')
                assert accepted_row.locator("span.accepted").inner_text() == "Accepted"
                page.screenshot(path=str(ARTIFACTS / "coverage-candidate-accepted.png"), full_page=True)
            finally:
                browser.close()
    finally:
        stop_server(live)
    assert own_map.coverage.knowledge_map is not None
    text = accepted_path(own_map.coverage.knowledge_map).read_text(encoding="utf-8")
    assert "Accepted in the browser" in text and f"accepted_from: {topic_id}" in text


def test_the_cli_lists_candidates_and_accepts_one(
    client: TestClient, own_map: Config, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from kmingest.cli import cli

    sign_in(client, "kmlead")
    assert client.get("/coverage").status_code == 200  # keeps a report with its candidates
    config_file = tmp_path / "cli.yaml"
    config_file.write_text(yaml.safe_dump(own_map.model_dump(mode="json")), encoding="utf-8")
    runner = CliRunner()
    listed = runner.invoke(cli, ["--config", str(config_file), "report", "candidates"])
    assert listed.exit_code == 0, listed.output
    rows = [line.split("\t") for line in listed.output.splitlines() if "\t" in line]
    assert [r[0] for r in rows] == [t.topic_id for t in candidates(own_map)] and rows
    topic_id = rows[0][0]
    done = runner.invoke(
        cli, ["--config", str(config_file), "report", "accept-candidate", topic_id, "--name", "Pump parts"]
    )
    assert done.exit_code == 0 and f"accepted {topic_id}" in done.output, done.output
    assert own_map.coverage.knowledge_map is not None
    written = yaml.safe_load(accepted_path(own_map.coverage.knowledge_map).read_text(encoding="utf-8"))
    assert ("Pump parts", topic_id) in [
        (a["name"], a["accepted_from"]) for areas in written["departments"].values() for a in areas
    ]
    again = runner.invoke(cli, ["--config", str(config_file), "report", "accept-candidate", "no/such/topic"])
    assert again.exit_code == 2 and "no candidate 'no/such/topic'" in again.output
