"""Sessions are server-side and revocable (issue 13 row 12), and a short session key stops the start
(row 16): a copied cookie is refused after sign-out, an admin signs a user out everywhere (API and CLI), a
revocation made by one process holds in another, and a 2-character key never serves a request."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from kmingest.cli import cli
from kmingest.portal import create_app
from kmingest.portal.context import SecretError
from kmingest.portal.sessions import SESSION_COOKIE, SessionStore, sessions_path
from tests.portal.conftest import TOKEN, project_config, sign_in


def cookie_of(client: TestClient) -> str:
    value = client.cookies.get(SESSION_COOKIE)
    assert value
    return value


def with_cookie(make: Any, value: str) -> TestClient:
    """A second browser holding a copy of someone's session cookie."""
    other: TestClient = make()
    other.cookies.set(SESSION_COOKIE, value)
    return other


def test_a_copied_cookie_is_refused_after_sign_out(make_secure_app: Any) -> None:
    browser = sign_in(make_secure_app(), "alice")
    copied = cookie_of(browser)
    thief = with_cookie(make_secure_app, copied)
    assert thief.get("/api/me").json()["name"] == "alice"  # the copy works while the session lives
    assert browser.post("/logout", follow_redirects=False).status_code == 303
    assert thief.get("/api/me").status_code == 401
    page = thief.get("/search?q=valve", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")


def test_signing_in_again_ends_the_browsers_previous_session(make_secure_app: Any) -> None:
    browser = sign_in(make_secure_app(), "alice")
    first = cookie_of(browser)
    sign_in(browser, "bob")
    assert cookie_of(browser) != first
    assert with_cookie(make_secure_app, first).get("/api/me").status_code == 401


def test_a_km_lead_signs_a_user_out_everywhere_and_others_may_not(make_secure_app: Any) -> None:
    laptop, phone = sign_in(make_secure_app(), "alice"), sign_in(make_secure_app(), "alice")
    bob = sign_in(make_secure_app(), "bob")
    refused = bob.post("/api/sessions/revoke", json={"user": "alice"})
    assert refused.status_code == 403 and laptop.get("/api/me").status_code == 200
    lead = sign_in(make_secure_app(), "kmlead")
    done = lead.post("/api/sessions/revoke", json={"user": "alice"})
    assert done.status_code == 200 and done.json() == {"user": "alice", "revoked": 2}
    assert laptop.get("/api/me").status_code == 401 and phone.get("/api/me").status_code == 401
    assert bob.get("/api/me").status_code == 200  # nobody else is signed out
    # an API client (bearer token) may do it too, and anyone may sign themself out everywhere
    api = make_secure_app()
    kmlead_token = {"Authorization": f"Bearer {TOKEN}-kmlead"}
    assert api.post("/api/sessions/revoke", json={"user": "bob"}, headers=kmlead_token).json()["revoked"] == 1
    again = sign_in(make_secure_app(), "bob")
    assert again.post("/api/sessions/revoke", json={"user": "bob"}).json()["revoked"] == 1
    assert again.get("/api/me").status_code == 401


def test_cli_revoke_sessions_signs_out_a_user_on_a_running_portal(
    make_secure_app: Any, tmp_path: Path
) -> None:
    browser = sign_in(make_secure_app(), "hana")
    config = tmp_path / "kmingest.yaml"
    config.write_text(f"state_dir: {tmp_path / 'state'}\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(config), "users", "revoke-sessions", "hana"], obj={})
    assert result.exit_code == 0, result.output
    assert "hana: 1 session revoked" in result.output
    assert browser.get("/api/me").status_code == 401


def test_a_revocation_by_one_process_holds_in_another(tmp_path: Path) -> None:
    worker_a, worker_b = SessionStore(sessions_path(tmp_path)), SessionStore(sessions_path(tmp_path))
    session_id, _ = worker_a.create("alice", hours=1)
    assert worker_b.user_of(session_id) == "alice"
    assert worker_b.revoke_user("alice") == 1
    assert worker_a.user_of(session_id) is None and worker_a.live_sessions("alice") == 0
    worker_a.close()
    worker_b.close()
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("sessions.db*"))
    assert b"alice" in stored and session_id.encode() not in stored  # only a hash of the id is kept


def test_a_short_session_key_stops_the_start_naming_the_setting_and_the_fix(
    corpus_root: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("KMINGEST_SESSION_SECRET", "q7")
    with pytest.raises(SecretError) as refused:
        create_app(project_config(corpus_root))
    message = str(refused.value)
    assert "KMINGEST_SESSION_SECRET" in message and "portal.session_secret_env" in message
    assert "2 bytes" in message and "at least 32" in message and "token_urlsafe" in message
    assert "q7" not in message  # the secret itself is never shown
    config = tmp_path / "kmingest.yaml"
    config.write_text(f"state_dir: {tmp_path / 'state'}\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(config), "serve", "--workers", "1"], obj={})
    assert result.exit_code == 2 and "KMINGEST_SESSION_SECRET" in result.output and "q7" not in result.output
    monkeypatch.setenv("KMINGEST_SESSION_SECRET", "k" * 32)  # 32 bytes: accepted
    with TestClient(create_app(project_config(corpus_root))) as accepted:
        assert accepted.get("/api/health").status_code == 200
