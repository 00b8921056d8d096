"""An ingest killed by SIGKILL or stopped by SIGTERM is shown as interrupted (not "running" forever), and the
next run completes. The ingest is a real `kmingest` process on a slowed test connector, registered through
the connector registry's dotted-path table (SLOW_LAUNCH); the product itself never sleeps."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

import yaml
from click.testing import CliRunner

from kmingest.cli import cli
from kmingest.connectors.base import Connector, ConnectorOptions, ExtractError
from kmingest.models import SourceRecord
from kmingest.testing.embedder import hashed_embedding
from tests.conftest import REPO


class SlowOptions(ConnectorOptions):
    records: int = 10
    delay_s: float = 0.0  # seconds before each record: an export read over a slow share


class SlowConnector(Connector):
    """Test connector: `records` short notes, each after `delay_s` seconds."""

    name = "slow"
    Options: ClassVar[type[ConnectorOptions]] = SlowOptions

    def extract(self, since: datetime | None = None) -> Iterator[SourceRecord | ExtractError]:
        assert isinstance(self.options, SlowOptions)
        for i in range(self.options.records):
            time.sleep(self.options.delay_s)
            text = f"Maintenance note {i}: pump {i} seal replaced, bearing {i * 7} checked."
            yield SourceRecord(
                source=self.source.name,
                external_id=f"note-{i}",
                system="slow",
                filename=f"note-{i}.txt",
                content=text.encode(),
            )


# `kmingest` with the slow connector added to the registry's table of built-ins (argv after -c: the CLI's)
SLOW_LAUNCH = (
    "from kmingest.connectors import registry; "
    "registry.BUILTIN['slow'] = 'tests.test_interrupted_runs:SlowConnector'; "
    "from kmingest.testing import hashed_cli; hashed_cli.run()"
)


def write_config(root: Path, records: int, delay_s: float) -> Path:
    state = root / "state"
    data = {
        "state_dir": str(state),
        "index": {"path": str(state / "index.db")},
        "embedding": hashed_embedding(cache_path=str(state / "emb.db")),
        "sources": [{"name": "notes", "connector": "slow", "records": records, "delay_s": delay_s}],
    }
    path = root / "kmingest.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def start_ingest(config: Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", SLOW_LAUNCH, "--config", str(config), "ingest", "notes"],
        cwd=REPO,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_until_running(config: Path, proc: subprocess.Popen[str], timeout: float = 120) -> None:
    """Until the process has started its run (the models are loaded by then)."""
    db = config.parent / "state" / "state.db"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        if db.exists():
            con = sqlite3.connect(db)
            try:
                if con.execute("SELECT 1 FROM runs WHERE status = 'running'").fetchone():
                    return
            except sqlite3.OperationalError:  # the schema is being created right now
                pass
            finally:
                con.close()
        time.sleep(0.2)
    raise AssertionError("the ingest never started its run")


def kmingest(config: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--config", str(config), *args], obj={})
    assert result.exit_code == 0, result.output
    return result.output


def run_history(config: Path) -> list[dict[str, Any]]:
    con = sqlite3.connect(config.parent / "state" / "state.db")
    rows = con.execute("SELECT run_id, status, error FROM runs ORDER BY run_id").fetchall()
    con.close()
    return [{"run_id": r[0], "status": r[1], "error": r[2]} for r in rows]


def test_a_killed_ingest_is_shown_as_interrupted_and_the_next_run_completes(tmp_path: Path) -> None:
    config = write_config(tmp_path, records=400, delay_s=0.1)
    proc = start_ingest(config)
    wait_until_running(config, proc)
    assert "last run #1 running" in kmingest(config, "status", "notes")  # its process is alive
    proc.kill()  # SIGKILL: nothing in the process can record anything
    proc.communicate(timeout=30)
    shown = kmingest(config, "status", "notes")
    assert "last run #1 interrupted" in shown
    assert "error: interrupted: its process ended before the run finished" in shown
    write_config(tmp_path, records=5, delay_s=0)
    again = start_ingest(config)
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err
    assert "notes: seen 5, new 5" in out
    assert [r["status"] for r in run_history(config)] == ["interrupted", "ok"]
    assert "last run #2 ok" in kmingest(config, "status", "notes")


def test_sigterm_stops_the_ingest_gracefully_and_records_it_as_interrupted(tmp_path: Path) -> None:
    config = write_config(tmp_path, records=400, delay_s=0.1)
    proc = start_ingest(config)
    wait_until_running(config, proc)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM
    assert "interrupted (stopped by SIGTERM)" in err
    [run] = run_history(config)
    assert (run["status"], run["error"]) == ("interrupted", "interrupted: stopped by SIGTERM")
    shown = kmingest(config, "status", "notes")
    assert "last run #1 interrupted" in shown
    write_config(tmp_path, records=3, delay_s=0)
    again = start_ingest(config)
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err
    assert "notes: seen 3, new 3" in out
    assert [r["status"] for r in run_history(config)] == ["interrupted", "ok"]
