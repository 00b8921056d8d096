"""Sign-in throttling: too many wrong sign-ins for one user name, or from one client address, within a window
answer 429 with Retry-After, before any password is checked (so guessing costs the attacker time, not the
server CPU).

POST /login -> client_address(request) -> SignInThrottle.retry_after(user, address) > 0 -> 429
            -> check_login (wrong) -> SignInThrottle.failed(user, address) ; (right) -> .succeeded(user)

Failures are rows in `state_dir/sessions.db` (table `sign_in_failures`), shared by every worker process.
Unknown user names count like known ones, so the throttle does not tell which names exist. Limits:
`portal.sign_in_limits` (default 5 per user name and 20 per address in 15 minutes).
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from pathlib import Path

from starlette.requests import Request

from kmingest.config import PortalConfig, SignInLimits
from kmingest.sqlite_files import open_shared

SCHEMA = """
CREATE TABLE IF NOT EXISTS sign_in_failures (key TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS sign_in_failures_key ON sign_in_failures (key, at);
"""
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class TooManySignIns(Exception):
    """Sign-in refused for now: answered 429 with `Retry-After: retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed sign-ins; retry in {retry_after} s")
        self.retry_after = retry_after


def trusted_networks(cfg: PortalConfig) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in cfg.trusted_proxies)


def _in(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def peer_is_trusted_proxy(request: Request, networks: tuple[Network, ...]) -> bool:
    return request.client is not None and _in(request.client.host, networks)


def client_address(request: Request, networks: tuple[Network, ...]) -> str:
    """The client's address: the TCP peer, or, when the peer is a trusted proxy, the last address in
    X-Forwarded-For that is not one (earlier entries are whatever the client claimed)."""
    peer = request.client.host if request.client else "unknown"
    if not networks or not _in(peer, networks):
        return peer
    hops = [h.strip() for v in request.headers.getlist("x-forwarded-for") for h in v.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _in(hop, networks):
            return hop
    return peer


class SignInThrottle:
    def __init__(self, path: Path, limits: SignInLimits) -> None:
        self.limits = limits
        self._lock = threading.Lock()
        self._db = open_shared(path, SCHEMA)

    def _keys(self, user: str, address: str) -> list[tuple[str, int]]:
        return [
            (f"user:{user.casefold()}", self.limits.user_failures),
            (f"ip:{address}", self.limits.ip_failures),
        ]

    def retry_after(self, user: str, address: str, now: float | None = None) -> int:
        """Seconds until a sign-in as `user` from `address` may be tried again; 0: now."""
        now = now or time.time()
        window = self.limits.window_minutes * 60
        wait = 0.0
        with self._lock:
            for key, limit in self._keys(user, address):
                times = [
                    r[0]
                    for r in self._db.execute(
                        "SELECT at FROM sign_in_failures WHERE key = ? AND at > ? ORDER BY at",
                        (key, now - window),
                    )
                ]
                if len(times) >= limit:  # blocked until enough of these failures leave the window
                    wait = max(wait, times[len(times) - limit] + window - now)
        return math.ceil(wait) if wait > 0 else 0

    def failed(self, user: str, address: str, now: float | None = None) -> None:
        now = now or time.time()
        with self._lock, self._db:
            self._db.executemany(
                "INSERT INTO sign_in_failures VALUES (?, ?)",
                [(key, now) for key, _ in self._keys(user, address)],
            )
            self._db.execute(
                "DELETE FROM sign_in_failures WHERE at < ?", (now - self.limits.window_minutes * 60,)
            )

    def succeeded(self, user: str) -> None:
        """A right password clears the user name's failures (not the address's)."""
        with self._lock, self._db:
            self._db.execute("DELETE FROM sign_in_failures WHERE key = ?", (f"user:{user.casefold()}",))

    def close(self) -> None:
        self._db.close()
