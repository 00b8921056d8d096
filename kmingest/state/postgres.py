"""The PostgreSQL state database, for workers on several hosts (`state.backend: postgres`): the DSN comes
from the environment variable `state.url_env` names (it carries a password: never from the config file,
never logged), the tables live in their own schema (`state.schema`, default `kmingest`).

Driver: pg8000 (BSD-3-Clause, pure Python: nothing to compile, no libpq). Concurrent writers are safe by
the database's transactions: each write is one transaction, upserts are INSERT ... ON CONFLICT, and a
transaction the server aborts for a deadlock or a serialization failure is run again (a few times, with a
short random wait). Tables are created under an advisory lock, so workers starting together do not race.
"""

from __future__ import annotations

import contextlib
import random
import re
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import pg8000.dbapi
import pg8000.exceptions

from kmingest.state.database import Database, Row, StateDatabaseError, T, Transaction

RETRIED_CODES = {"40001", "40P01"}  # serialization_failure, deadlock_detected
ATTEMPTS = 6
SCHEMA_LOCK = 0x6B6D696E  # advisory lock key while creating tables ("kmin")
ROWS_PER_INSERT = 200
_VALUES = re.compile(r"^(INSERT INTO .*? VALUES )(\([?, ]+\))(.*)$", re.DOTALL)
SSL_MODES = {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}


def redact(url: str) -> str:
    """The DSN with its password replaced by ***, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


def connect_args(url: str) -> dict[str, Any]:
    """pg8000.connect arguments from a postgresql:// DSN (libpq's URL form; the query keys sslmode,
    sslrootcert, connect_timeout and application_name are understood)."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres"):
        raise StateDatabaseError(
            f"{redact(url)}: not a PostgreSQL URL (fix: postgresql://user:password@host:5432/database)"
        )
    options = dict(parse_qsl(parts.query))
    unknown = sorted(set(options) - {"sslmode", "sslrootcert", "connect_timeout", "application_name"})
    if unknown:
        raise StateDatabaseError(
            f"{redact(url)}: unsupported DSN option(s) {', '.join(unknown)} (fix: remove "
            "them; sslmode, sslrootcert, connect_timeout, application_name are read)"
        )
    args: dict[str, Any] = {
        "user": unquote(parts.username or "postgres"),
        "password": unquote(parts.password) if parts.password is not None else None,
        "host": parts.hostname or "localhost",
        "port": parts.port or 5432,
        "database": unquote(parts.path.lstrip("/")) or None,
        "application_name": options.get("application_name", "kmingest"),
    }
    if "connect_timeout" in options:
        args["timeout"] = float(options["connect_timeout"])
    mode = options.get("sslmode", "disable")
    if mode not in SSL_MODES:
        raise StateDatabaseError(
            f"{redact(url)}: sslmode={mode} (fix: one of {', '.join(sorted(SSL_MODES))})"
        )
    if mode in ("require", "verify-ca", "verify-full"):
        context = ssl.create_default_context(cafile=options.get("sslrootcert"))
        context.check_hostname = mode == "verify-full"
        if mode == "require":
            context.verify_mode = ssl.CERT_NONE
        args["ssl_context"] = context
    return args


@lru_cache(maxsize=256)
def _format(sql: str) -> str:
    """`?` placeholders as pg8000's format style (%s)."""
    return sql.replace("%", "%%").replace("?", "%s")


def _param(value: Any) -> Any:
    """PostgreSQL text cannot hold NUL characters: they are stored escaped, as \\x00."""
    return value.replace("\x00", "\\x00") if isinstance(value, str) and "\x00" in value else value


def _code(err: BaseException) -> str | None:
    detail = err.args[0] if err.args else None
    return str(detail.get("C")) if isinstance(detail, dict) else None


class _PgTransaction:
    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        self._cursor.execute(_format(sql), tuple(_param(p) for p in params))
        return [tuple(r) for r in self._cursor.fetchall()] if self._cursor.description else []

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """An INSERT ... VALUES (?, ...) runs as one statement per ROWS_PER_INSERT rows (a round trip per row
        costs ~1 ms); the caller keeps conflict keys unique within one call."""
        rows = [tuple(_param(p) for p in row) for row in rows]
        values = _VALUES.match(sql)
        if values is None or len(rows) < 2:
            for row in rows:
                self._cursor.execute(_format(sql), row)
            return
        head, one, tail = values.groups()
        for i in range(0, len(rows), ROWS_PER_INSERT):
            part = rows[i : i + ROWS_PER_INSERT]
            statement = f"{head}{', '.join([one] * len(part))}{tail}"
            self._cursor.execute(_format(statement), tuple(p for row in part for p in row))

    def insert_id(self, sql: str, params: Sequence[Any], column: str) -> int:
        return int(self.execute(f"{sql} RETURNING {column}", params)[0][0])


class PostgresDatabase(Database):
    dialect = "postgres"

    def __init__(self, url: str, schema: str = "kmingest") -> None:
        self._args = connect_args(url)
        self.schema = schema
        self.where = f"PostgreSQL {redact(url)} (schema {schema})"
        self._lock = threading.RLock()
        self._conn = self._connect()

    def _connect(self) -> Any:
        try:
            conn = pg8000.dbapi.connect(**self._args)
        except (pg8000.exceptions.Error, OSError) as err:
            raise StateDatabaseError(
                f"cannot open the state database {self.where}: {self._safe(err)} (fix: "
                "start the server, or correct the DSN in the environment)"
            ) from None
        conn.autocommit = True  # no transaction left open by a read; `write` opens its own
        cursor = conn.cursor()
        cursor.execute("BEGIN")
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
        cursor.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
        cursor.execute("COMMIT")
        cursor.execute(f'SET search_path TO "{self.schema}"')
        return conn

    def _safe(self, err: BaseException) -> str:
        """An error's text without the password (drivers may echo connection settings)."""
        text = " ".join(str(a.get("M", a)) if isinstance(a, dict) else str(a) for a in err.args) or repr(err)
        password = self._args.get("password")
        return text.replace(password, "***") if password else text

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with self._lock:
            return _PgTransaction(self._conn.cursor()).execute(sql, params)

    def write(self, work: Callable[[Transaction], T], lock: Sequence[str] = ()) -> T:
        for attempt in range(ATTEMPTS):
            with self._lock:
                cursor = self._conn.cursor()
                try:
                    cursor.execute("BEGIN")
                    if lock:
                        cursor.execute(f"LOCK TABLE {', '.join(lock)} IN SHARE ROW EXCLUSIVE MODE")
                    result = work(_PgTransaction(cursor))
                    cursor.execute("COMMIT")
                    return result
                except BaseException as err:
                    self._rollback(cursor)
                    if _code(err) not in RETRIED_CODES or attempt == ATTEMPTS - 1:
                        raise
            time.sleep(random.uniform(0.01, 0.05) * 2**attempt)  # another writer won: run it again
        raise AssertionError("unreachable")

    def _rollback(self, cursor: Any) -> None:
        with contextlib.suppress(pg8000.exceptions.Error):  # a connection gone: the server rolled back
            cursor.execute("ROLLBACK")

    def create(self, ddl: str) -> None:
        statements = [s.strip() for s in ddl.split(";") if s.strip()]

        def run(tx: Transaction) -> None:
            tx.execute("SELECT pg_advisory_xact_lock(?)", (SCHEMA_LOCK,))
            for statement in statements:
                tx.execute(statement)

        self.write(run)

    def columns(self, table: str) -> set[str]:
        rows = self.query(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ?",
            (self.schema, table),
        )
        return {str(r[0]) for r in rows}

    def drop_schema(self) -> None:
        """Remove every table of this schema (tests, and `state.schema` cleanup by hand)."""
        self.write(lambda tx: tx.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))

    def close(self) -> None:
        with self._lock, contextlib.suppress(pg8000.exceptions.Error, OSError):
            self._conn.close()
