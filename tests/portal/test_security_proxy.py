"""SSO header mode and hosts (issue 13 row 15): identity headers count only when they come from the proxy
(shared secret header, trusted proxy addresses), two user or groups headers are refused instead of one
winning, and a Host outside `portal.allowed_hosts` is refused."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from kmingest.portal.context import SecretError
from tests.portal.conftest import HR_SECRET_TITLE

PROXY_SECRET = "proxy-secret-shared-with-the-sso-proxy-0123"
SSO = {"auth": "header", "group_map": {"hr-staff": "dept:HR"}}
CAROL_HR = {"X-Forwarded-User": "carol", "X-Forwarded-Groups": "hr-staff"}


def titles(response: Any) -> list[str]:
    return [h["title"] for h in response.json()["hits"]]


def test_identity_headers_without_the_proxy_secret_are_ignored(
    make_secure_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KMINGEST_PROXY_SECRET", PROXY_SECRET)
    sso = make_secure_app(**SSO, proxy_secret_env="KMINGEST_PROXY_SECRET")
    assert sso.get("/api/me", headers=CAROL_HR).status_code == 401  # straight to the portal: nobody
    assert sso.get("/api/search", params={"q": "salary bands"}, headers=CAROL_HR).status_code == 401
    wrong = {**CAROL_HR, "X-Kmingest-Proxy-Secret": PROXY_SECRET[:-1] + "x"}
    assert sso.get("/api/me", headers=wrong).status_code == 401
    proxied = {**CAROL_HR, "X-Kmingest-Proxy-Secret": PROXY_SECRET}
    me = sso.get("/api/me", headers=proxied).json()
    assert (me["name"], me["departments"], me["via"]) == ("carol", ["HR"], "header")
    assert HR_SECRET_TITLE in titles(sso.get("/api/search", params={"q": "salary bands"}, headers=proxied))


def test_identity_headers_count_only_from_trusted_proxy_addresses(make_secure_app: Any) -> None:
    direct = make_secure_app(peer=("192.0.2.50", 5000), **SSO, trusted_proxies=["10.0.0.0/8"])
    assert direct.get("/api/me", headers=CAROL_HR).status_code == 401
    page = direct.get("/search?q=salary", headers=CAROL_HR, follow_redirects=False)
    assert page.status_code == 303 and HR_SECRET_TITLE not in page.text
    via_proxy = make_secure_app(peer=("10.1.2.3", 5000), **SSO, trusted_proxies=["10.0.0.0/8"])
    assert via_proxy.get("/api/me", headers=CAROL_HR).json()["departments"] == ["HR"]


def test_two_user_or_groups_headers_are_refused_not_first_one_wins(make_secure_app: Any) -> None:
    sso = make_secure_app(**SSO)
    two_users = [("X-Forwarded-User", "hana"), ("X-Forwarded-User", "carol")]
    assert sso.get("/api/me", headers=two_users).status_code == 400
    assert sso.get("/api/me", headers=[("X-Forwarded-User", "hana, carol")]).status_code == 400
    two_groups = [
        ("X-Forwarded-User", "carol"),
        ("X-Forwarded-Groups", "hr-staff"),
        ("X-Forwarded-Groups", "everyone"),
    ]
    refused = sso.get("/api/search", params={"q": "salary bands"}, headers=two_groups)
    assert refused.status_code == 400 and refused.json() == {"detail": "conflicting identity headers"}
    page = sso.get("/search?q=salary", headers=two_users)
    assert page.status_code == 400 and HR_SECRET_TITLE not in page.text
    assert sso.get("/api/me", headers=[("X-Forwarded-User", "carol")]).json()["name"] == "carol"


def test_a_host_outside_allowed_hosts_is_refused(make_secure_app: Any) -> None:
    portal = make_secure_app(allowed_hosts=["portal.example.com"])
    bad = portal.get("/login")  # Host: testserver
    assert bad.status_code == 400 and "content-security-policy" in bad.headers
    assert portal.get("/api/health", headers={"Host": "evil.example"}).status_code == 400
    good = portal.get("/login", headers={"Host": "portal.example.com"})
    assert good.status_code == 200 and "Sign in" in good.text


def test_header_mode_without_secret_or_proxies_warns_and_a_missing_secret_stops_the_start(
    make_secure_app: Any, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    with caplog.at_level(logging.WARNING, logger="kmingest.portal"):
        make_secure_app(**SSO)
    assert "any client that reaches the portal directly can claim any user" in caplog.text
    monkeypatch.delenv("KMINGEST_PROXY_SECRET", raising=False)
    with pytest.raises(
        SecretError, match=r"KMINGEST_PROXY_SECRET \(named by portal\.proxy_secret_env\) is not set"
    ):
        make_secure_app(**SSO, proxy_secret_env="KMINGEST_PROXY_SECRET")
    monkeypatch.setenv("KMINGEST_PROXY_SECRET", "short")
    with pytest.raises(SecretError, match="is 5 bytes; at least 32"):
        make_secure_app(**SSO, proxy_secret_env="KMINGEST_PROXY_SECRET")
