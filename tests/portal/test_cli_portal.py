"""Portal CLI commands: `users hash-password` (serve and quickstart run in the browser tests' fixtures)."""

from __future__ import annotations

from click.testing import CliRunner

from kmingest.cli import cli
from kmingest.portal.auth import verify_password


def test_hash_password_prints_a_verifiable_pbkdf2_string() -> None:
    result = CliRunner().invoke(cli, ["users", "hash-password", "--iterations", "100000"], obj={},
                                input="long enough pw\nlong enough pw\n")  # fmt: skip
    assert result.exit_code == 0, result.output
    encoded = result.output.strip().splitlines()[-1]
    assert encoded.startswith("pbkdf2_sha256$100000$") and "long enough pw" not in encoded
    assert verify_password("long enough pw", encoded) and not verify_password("other", encoded)


def test_hash_password_refuses_short_passwords() -> None:
    result = CliRunner().invoke(cli, ["users", "hash-password", "--password", "short"], obj={})
    assert result.exit_code == 2 and "at least 8" in result.output
