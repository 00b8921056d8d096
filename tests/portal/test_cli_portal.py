"""Portal CLI commands: `users hash-password`, and what `serve --workers N` hands its worker processes
(a real multi-worker server runs in test_workers.py; quickstart runs in the browser tests' fixtures)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from click.testing import CliRunner

from kmingest.cli import cli
from kmingest.cli.portal import MAX_DEFAULT_WORKERS, default_workers, usable_cpus, worker_environment
from kmingest.portal.app import CONFIG_ENV, config_from_env
from kmingest.portal.auth import verify_password
from tests.portal.conftest import project_config


def test_hash_password_prints_a_verifiable_pbkdf2_string() -> None:
    result = CliRunner().invoke(
        cli,
        ["users", "hash-password", "--iterations", "100000"],
        obj={},
        input="long enough pw\nlong enough pw\n",
    )
    assert result.exit_code == 0, result.output
    encoded = result.output.strip().splitlines()[-1]
    assert encoded.startswith("pbkdf2_sha256$100000$") and "long enough pw" not in encoded
    assert verify_password("long enough pw", encoded) and not verify_password("other", encoded)


def test_hash_password_refuses_short_passwords() -> None:
    result = CliRunner().invoke(cli, ["users", "hash-password", "--password", "short"], obj={})
    assert result.exit_code == 2 and "at least 8" in result.output


def test_serve_help_names_workers_and_their_default() -> None:
    result = CliRunner().invoke(cli, ["serve", "--help"], obj={})
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "--workers" in text and f"at most {MAX_DEFAULT_WORKERS}; here {default_workers()}" in text
    assert 1 <= default_workers() <= min(usable_cpus(), MAX_DEFAULT_WORKERS)


def test_worker_environment_shares_one_generated_session_key_and_never_logs_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = project_config(tmp_path)
    with caplog.at_level(logging.WARNING, logger="kmingest.portal"):
        env = worker_environment(cfg, 2, {})
    secret = env["KMINGEST_SESSION_SECRET"]
    assert len(secret) >= 32 and secret not in caplog.text
    assert "KMINGEST_SESSION_SECRET is not set" in caplog.text
    assert env["KMINGEST_EMBED_THREADS"] == env["OMP_NUM_THREADS"] == str(max(1, usable_cpus() // 2))
    monkeypatch.setenv(CONFIG_ENV, env[CONFIG_ENV])
    assert config_from_env() == cfg  # every worker serves the config checked here


def test_worker_environment_keeps_what_the_operator_set(tmp_path: Path) -> None:
    cfg = project_config(tmp_path, {"session_secret_env": "MY_PORTAL_KEY"})
    env = worker_environment(cfg, 64, {"MY_PORTAL_KEY": "set-by-operator", "KMINGEST_EMBED_THREADS": "3"})
    assert "MY_PORTAL_KEY" not in env and "KMINGEST_EMBED_THREADS" not in env
    assert env["OPENBLAS_NUM_THREADS"] == "1"  # cpus // 64 workers, at least one thread
