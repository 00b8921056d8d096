"""Choosing the state database in config: the PostgreSQL DSN comes from the environment variable that
`state.url_env` names, a missing one is a configuration error naming the key and the fix, and no message
ever shows the DSN's password."""

from __future__ import annotations

import ssl
import uuid
from pathlib import Path

import pytest

from kmingest.config import Config, ConfigError, parse_config
from kmingest.state import StateDatabaseError, open_state
from kmingest.state.postgres import PostgresDatabase, connect_args, redact
from tests.state.conftest import POSTGRES_URL


def config(tmp_path: Path, state: str, staging: str = "{}") -> Config:
    import yaml

    data = {
        "state_dir": str(tmp_path / "state"),
        "state": yaml.safe_load(state),
        "staging": yaml.safe_load(staging),
    }
    return parse_config(data, tmp_path / "kmingest.yaml")


def test_sqlite_is_the_default_and_keeps_its_file(tmp_path: Path) -> None:
    store = open_state(config(tmp_path, "{}"))
    store.set_checkpoint("docs", "c1")
    store.close()
    assert (tmp_path / "state" / "state.db").is_file()


def test_a_missing_dsn_variable_names_the_key_and_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KMINGEST_STATE_URL_FOR_TEST", raising=False)
    cfg = config(tmp_path, "{backend: postgres, url_env: KMINGEST_STATE_URL_FOR_TEST}")
    with pytest.raises(ConfigError) as err:
        open_state(cfg)
    message = str(err.value)
    assert (
        "kmingest.yaml: state.url_env: environment variable KMINGEST_STATE_URL_FOR_TEST is not set" in message
    )
    assert "fix: export KMINGEST_STATE_URL_FOR_TEST=postgresql://" in message


@pytest.mark.parametrize(
    ("state", "problem"),
    [
        ("{backend: mysql}", "state.backend"),
        ("{backend: postgres, url_env: 'not a name'}", "state.url_env"),
        ("{schema_name: 'Drop Table'}", "state.schema_name"),
    ],
)
def test_bad_state_settings_are_config_errors(tmp_path: Path, state: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        config(tmp_path, state)


def test_the_password_is_never_in_a_message() -> None:
    url = "postgresql://kmingest:s3cret-pw@db.example:5433/state?sslmode=require"
    assert redact(url) == "postgresql://kmingest:***@db.example:5433/state?sslmode=require"
    args = connect_args(url)
    assert (args["user"], args["password"], args["host"], args["port"], args["database"]) == (
        "kmingest",
        "s3cret-pw",
        "db.example",
        5433,
        "state",
    )
    assert args["ssl_context"].verify_mode == ssl.CERT_NONE  # require: encrypted, not verified
    with pytest.raises(StateDatabaseError) as err:
        connect_args("postgresql://kmingest:s3cret-pw@db.example/state?target_session_attrs=any")
    assert "target_session_attrs" in str(err.value) and "s3cret-pw" not in str(err.value)


@pytest.mark.integration
def test_a_wrong_password_is_reported_without_it() -> None:
    wrong = POSTGRES_URL.replace(":kmingest@", ":not-the-password-42@")
    with pytest.raises(StateDatabaseError) as err:
        PostgresDatabase(wrong, "unused")
    assert "not-the-password-42" not in str(err.value) and "***" in str(err.value)
    assert "password authentication failed" in str(err.value)


@pytest.mark.integration
def test_a_workspace_config_with_postgres_keeps_state_in_its_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    schema = f"test_{uuid.uuid4().hex[:12]}"
    monkeypatch.setenv("KMINGEST_STATE_URL", POSTGRES_URL)
    store = open_state(config(tmp_path, f"{{backend: postgres, schema_name: {schema}}}"))
    try:
        store.set_checkpoint("docs", "c1")
        assert store.where == f"PostgreSQL {POSTGRES_URL.replace(':kmingest@', ':***@')} (schema {schema})"
        assert store.checkpoint("docs") == "c1" and not (tmp_path / "state" / "state.db").exists()
    finally:
        store.close()
        cleaner = PostgresDatabase(POSTGRES_URL, schema)
        cleaner.drop_schema()
        cleaner.close()


def test_staging_accepts_folders_and_known_urls_only(tmp_path: Path) -> None:
    cfg = config(tmp_path, "{}", "{url: shared/staging}")
    assert cfg.staging.location(cfg.state_dir, tmp_path) == str(tmp_path / "shared" / "staging")
    memory = config(tmp_path, "{}", "{url: 'memory://kmingest/'}")
    assert memory.staging.location(memory.state_dir, tmp_path) == "memory://kmingest"
    with pytest.raises(ConfigError, match=r"staging\.url: .*unknown storage protocol 'nosuch'"):
        config(tmp_path, "{}", "{url: 'nosuch://bucket/x'}")
