"""Server-side sign-in sessions: the cookie holds a random session id (signed, with its expiry); the record
(user, created, expires, revoked) lives in SQLite, so a session can be ended for good.

POST /login -> SessionStore.create(user) -> cookie "<payload>.<hmac>" with {"s": session id, "e": expiry}
request     -> read_session(cookie) -> session id -> SessionStore.user_of(id) (unrevoked, unexpired) -> user
POST /logout -> SessionStore.revoke(id) ; admin "sign out everywhere" -> SessionStore.revoke_user(user)

One file, `state_dir/sessions.db` (WAL mode), shared by every worker process of `kmingest serve --workers N`
and by `kmingest users revoke-sessions`: a revocation holds on every worker at the next request. The table
keeps the SHA-256 of each session id, never the id itself, so a copy of the file signs nobody in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from pathlib import Path

from kmingest.sqlite_files import open_shared

SESSION_COOKIE = "kmingest_session"
SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id_hash TEXT PRIMARY KEY, user TEXT NOT NULL, created REAL NOT NULL, expires REAL NOT NULL,
    revoked REAL);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions (user);
CREATE INDEX IF NOT EXISTS sessions_expires ON sessions (expires);
"""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_session(secret: bytes, session_id: str, expires: float) -> str:
    """The cookie value: the session id and its expiry, signed (HMAC-SHA256) with the session key."""
    payload = _b64(json.dumps({"s": session_id, "e": int(expires)}).encode("utf-8"))
    mac = hmac.new(secret, payload.encode("ascii"), hashlib.sha256).digest()
    return f"{payload}.{_b64(mac)}"


def read_session(secret: bytes, cookie: str, now: float | None = None) -> str | None:
    """The session id in a validly signed, unexpired cookie; None otherwise (the store decides the rest)."""
    payload, _, mac = cookie.partition(".")
    try:
        expected = hmac.new(secret, payload.encode("ascii"), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(mac)):
            return None
        data = json.loads(_unb64(payload))
    except (ValueError, UnicodeError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("s"), str) or not isinstance(data.get("e"), int):
        return None
    return data["s"] if data["e"] > (now or time.time()) else None


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def session_owner(secret: bytes, kind: str, value: str) -> str:
    """An opaque key for "who searched" in the query log (a session, or a token/SSO user): keyed with the
    session key, so the log never holds a user name or a usable session id."""
    return _b64(hmac.new(secret, f"owner|{kind}|{value}".encode(), hashlib.sha256).digest()[:18])


class SessionStore:
    """Sessions in SQLite; safe for the threads of one process and for several processes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._db = open_shared(path, SCHEMA)

    def create(self, user: str, hours: float, now: float | None = None) -> tuple[str, float]:
        """A new session for `user`: (session id, expiry as a Unix time)."""
        created = now or time.time()
        session_id = secrets.token_urlsafe(32)
        expires = created + hours * 3600
        with self._lock, self._db:
            self._db.execute(
                "INSERT INTO sessions VALUES (?, ?, ?, ?, NULL)", (_hash(session_id), user, created, expires)
            )
        return session_id, expires

    def user_of(self, session_id: str, now: float | None = None) -> str | None:
        """The user of a live session (not revoked, not expired); None otherwise."""
        with self._lock:
            row = self._db.execute(
                "SELECT user FROM sessions WHERE id_hash = ? AND revoked IS NULL AND expires > ?",
                (_hash(session_id), now or time.time()),
            ).fetchone()
        return str(row[0]) if row else None

    def revoke(self, session_id: str, now: float | None = None) -> bool:
        """End one session (sign-out); False if it was not live."""
        with self._lock, self._db:
            cur = self._db.execute(
                "UPDATE sessions SET revoked = ? WHERE id_hash = ? AND revoked IS NULL",
                (now or time.time(), _hash(session_id)),
            )
        return cur.rowcount > 0

    def revoke_user(self, user: str, now: float | None = None) -> int:
        """End every live session of a user ("sign out everywhere"); returns how many were live."""
        when = now or time.time()
        with self._lock, self._db:
            cur = self._db.execute(
                "UPDATE sessions SET revoked = ? WHERE user = ? AND revoked IS NULL AND expires > ?",
                (when, user, when),
            )
        return cur.rowcount

    def live_sessions(self, user: str, now: float | None = None) -> int:
        with self._lock:
            row = self._db.execute(
                "SELECT count(*) FROM sessions WHERE user = ? AND revoked IS NULL AND expires > ?",
                (user, now or time.time()),
            ).fetchone()
        return int(row[0])

    def purge(self, now: float | None = None) -> int:
        """Forget sessions that expired a day ago or more (a revoked one stays refused until then)."""
        with self._lock, self._db:
            cur = self._db.execute("DELETE FROM sessions WHERE expires < ?", ((now or time.time()) - 86400,))
        return cur.rowcount

    def close(self) -> None:
        self._db.close()


def sessions_path(state_dir: Path) -> Path:
    return state_dir / "sessions.db"
