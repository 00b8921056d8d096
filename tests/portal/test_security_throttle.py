"""Sign-in throttling and user enumeration (issue 13 row 14): the sixth wrong password in the window is
answered 429 with Retry-After (even if it is right), one address cannot try names without end, and a
wrong name costs as long as a wrong password."""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

from kmingest.config import SignInLimits
from kmingest.portal.auth import hash_password
from kmingest.portal.throttle import SignInThrottle
from tests.portal.conftest import project_config

PASSWORD = "s3cret-pass"


def attempt(client: Any, user: str, password: str) -> Any:
    return client.post("/login", data={"username": user, "password": password}, follow_redirects=False)


def test_the_sixth_wrong_password_is_throttled(make_secure_app: Any) -> None:
    hashed = hash_password(PASSWORD, 1000)
    portal = make_secure_app(passwords={"bob": hashed, "alice": hashed}, demo_logins=False)
    for _ in range(5):
        assert attempt(portal, "bob", "guess").status_code == 401
    throttled = attempt(portal, "bob", PASSWORD)  # right, but too late: no guess is checked while blocked
    assert throttled.status_code == 429
    assert 800 <= int(throttled.headers["retry-after"]) <= 900  # 15 minutes after the first failure
    assert "Too many failed sign-ins" in throttled.text and "15 minutes" in throttled.text
    assert "kmingest_session" not in throttled.headers.get("set-cookie", "")
    # another user from the same address is not blocked by bob's failures (5 < 20 per address)
    assert attempt(portal, "alice", PASSWORD).status_code == 303


def test_a_right_password_clears_the_users_failures(make_secure_app: Any) -> None:
    portal = make_secure_app(passwords={"bob": hash_password(PASSWORD, 1000)}, demo_logins=False)
    for _ in range(4):
        assert attempt(portal, "bob", "guess").status_code == 401
    assert attempt(portal, "bob", PASSWORD).status_code == 303
    portal.cookies.clear()
    for _ in range(5):
        assert attempt(portal, "bob", "guess").status_code == 401
    assert attempt(portal, "bob", "guess").status_code == 429


def test_one_address_trying_many_names_is_throttled(
    tmp_path: Path,
) -> None:
    throttle = SignInThrottle(tmp_path / "sessions.db", SignInLimits(ip_failures=20, window_minutes=15))
    now = 1_000_000.0
    for i in range(20):
        assert throttle.retry_after(f"user{i}", "203.0.113.9", now) == 0
        throttle.failed(f"user{i}", "203.0.113.9", now + i)
    assert throttle.retry_after("someone-new", "203.0.113.9", now + 30) == 900 - 30
    assert throttle.retry_after("someone-new", "198.51.100.7", now + 30) == 0  # another address
    assert throttle.retry_after("someone-new", "203.0.113.9", now + 901) == 0  # the window has passed
    throttle.close()


def test_behind_a_trusted_proxy_the_forwarded_client_address_is_throttled(make_secure_app: Any) -> None:
    portal = make_secure_app(
        peer=("10.0.0.2", 40000),
        trusted_proxies=["10.0.0.0/24"],
        sign_in_limits={"ip_failures": 3, "user_failures": 100},
    )
    attacker = {"X-Forwarded-For": "6.6.6.6, 203.0.113.9"}  # the client claimed 6.6.6.6; the proxy added .9
    for name in ("a", "b", "c"):
        assert portal.post("/login", data={"username": name}, headers=attacker).status_code == 401
    assert portal.post("/login", data={"username": "d"}, headers=attacker).status_code == 429
    spoofed = {"X-Forwarded-For": "7.7.7.7, 203.0.113.9"}  # a different claim changes nothing
    assert portal.post("/login", data={"username": "d"}, headers=spoofed).status_code == 429
    colleague = {"X-Forwarded-For": "203.0.113.10"}
    assert (
        portal.post("/login", data={"username": "bob"}, headers=colleague, follow_redirects=False).status_code
        == 303
    )


def test_unknown_and_known_users_take_the_same_time_to_fail(make_secure_app: Any) -> None:
    portal = make_secure_app(passwords={"bob": hash_password(PASSWORD, 200_000)}, demo_logins=False)

    def seconds(user: str) -> float:
        started = time.perf_counter()
        assert attempt(portal, user, "wrong password").status_code == 401
        return time.perf_counter() - started

    known = statistics.median(seconds("bob") for _ in range(3))
    unknown = statistics.median(seconds(f"nobody-{i}") for i in range(3))
    no_hash = statistics.median(seconds("hana") for _ in range(3))  # known, no password set, demo off
    assert known / 5 < unknown < known * 5, (known, unknown)
    assert known / 5 < no_hash < known * 5, (known, no_hash)


def test_the_throttle_is_shared_by_worker_processes(tmp_path: Path) -> None:
    cfg = project_config(tmp_path)
    worker_a = SignInThrottle(tmp_path / "sessions.db", cfg.portal.sign_in_limits)
    worker_b = SignInThrottle(tmp_path / "sessions.db", cfg.portal.sign_in_limits)
    for worker in (worker_a, worker_b, worker_a, worker_b, worker_a):
        worker.failed("bob", "203.0.113.9")
    assert worker_b.retry_after("BOB", "198.51.100.7") > 0  # user names compare case-insensitively
    worker_a.close()
    worker_b.close()
