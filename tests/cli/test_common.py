"""What every command shares (kmingest/cli/common.py): the global --config reaches every command, including
`connectors validate`; failures are one `error:` line with the exit code the README documents; the
console module runs as `python -m kmingest.cli`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner, Result

from kmingest.cli import cli
from tests.cli.test_connectors import project
from tests.conftest import REPO


def invoke(*args: str, cwd: Path | None = None) -> Result:
    runner = CliRunner()
    if cwd is None:
        return runner.invoke(cli, list(args), obj={})
    previous = Path.cwd()
    os.chdir(cwd)
    try:
        return runner.invoke(cli, list(args), obj={})
    finally:
        os.chdir(previous)


def test_validate_takes_the_config_from_the_global_option(tmp_path: Path) -> None:
    path = project(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()  # no kmingest.yaml here: the default file would have no sources
    result = invoke("--config", str(path), "connectors", "validate", "--rows", "0", cwd=elsewhere)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "ok: sources[tracker] (tabular)"


def test_validate_refuses_two_different_config_files(tmp_path: Path) -> None:
    path = project(tmp_path)
    other = tmp_path / "other.yaml"
    other.write_text("sources: []\n", encoding="utf-8")
    result = invoke("--config", str(other), "connectors", "validate", str(path))
    assert result.exit_code == 2
    assert result.output == (
        f"error: two config files given: --config {other} and {path} (fix: give one of them)\n"
    )
    same = invoke("--config", str(path), "connectors", "validate", str(path), "--rows", "0")
    assert same.exit_code == 0, same.output


def test_a_missing_config_file_is_one_error_line_and_exit_2_for_every_command(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    for command in (["status"], ["search", "valve"], ["ingest", "--all"], ["connectors", "preview", "x"]):
        result = invoke("--config", str(missing), *command)
        assert result.exit_code == 2, command
        assert (
            result.output
            == f"error: {missing}: config file not found (fix: pass --config FILE or create {missing})\n"
        )


def test_reindex_on_the_embedded_backend_names_the_fix(tmp_path: Path) -> None:
    config = tmp_path / "kmingest.yaml"
    config.write_text("sources: []\n", encoding="utf-8")
    result = invoke("--config", str(config), "reindex")
    assert result.exit_code == 2
    assert result.output == (
        "error: reindex is for index.backend: elasticsearch; for the embedded index set a new index.path "
        "and run `kmingest ingest --all --full`\n"
    )
    assert not (tmp_path / ".kmingest").exists()  # nothing was created


def test_python_dash_m_runs_the_console_script_with_its_exit_codes(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    proc = subprocess.run(
        [sys.executable, "-m", "kmingest.cli", "--config", str(missing), "status"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"error: {missing}: config file not found")
    usage = subprocess.run(
        [sys.executable, "-m", "kmingest.cli", "ingest", "--no-such-option"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert usage.returncode == 2 and "No such option '--no-such-option'" in usage.stderr
