"""Progress off a terminal: `kmingest ingest` at the default verbosity, its stderr a pipe, logs a line every
interval (30 s; here $KMINGEST_PROGRESS_SECONDS) with records/s and an ETA from the previous run's count.
The ingest is a real process on the slowed test connector of test_interrupted_runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kmingest.progress import ProgressLog, interval_from_env
from tests.test_interrupted_runs import start_ingest, write_config


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_line_gives_records_per_second_and_an_eta_from_the_last_runs_count() -> None:
    clock = FakeClock()
    first = ProgressLog("mail", expected=None, clock=clock)
    again = ProgressLog("mail", expected=1500, clock=clock)
    clock.now += 60
    first(300)
    again(300)
    seen = "mail: 300 records seen in 1m00s (5.0 records/s)"
    assert first.line() == f"{seen}, ETA unknown (no earlier run to compare with)"
    assert again.line() == f"{seen}, ETA 4m00s (the last run saw 1500)"
    again(1600)  # more than last time: no honest ETA
    assert again.line().endswith("ETA unknown (the last run saw 1500)")


def test_the_interval_comes_from_the_environment_and_defaults_to_30_seconds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("KMINGEST_PROGRESS_SECONDS", raising=False)
    assert interval_from_env() == 30
    monkeypatch.setenv("KMINGEST_PROGRESS_SECONDS", "0.5")
    assert interval_from_env() == 0.5
    monkeypatch.setenv("KMINGEST_PROGRESS_SECONDS", "soon")
    assert interval_from_env() == 30


PROGRESS = re.compile(r"kmingest\.progress: notes: (\d+) records seen in \S+ \([\d.]+ records/s\), ETA (\S+)")


def test_an_ingest_without_a_terminal_logs_progress_at_the_default_verbosity(tmp_path: Path) -> None:
    config = write_config(tmp_path, records=12, delay_s=0.25)  # about 3 s of reading
    fast_interval = {"KMINGEST_PROGRESS_SECONDS": "0.5"}
    first = start_ingest(config, fast_interval)
    out, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    lines = PROGRESS.findall(err)
    assert len(lines) >= 3, err  # one every 0.5 s over ~3 s
    assert {eta for _, eta in lines} == {"unknown"}  # a first run has nothing to compare with
    counts = [int(n) for n, _ in lines]
    assert counts == sorted(counts) and counts[-1] > counts[0]
    again = start_ingest(config, fast_interval)
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err
    assert "unchanged 12" in out
    etas = [eta for _, eta in PROGRESS.findall(err)]
    assert etas and any(re.fullmatch(r"\d+s", eta) for eta in etas), (
        err
    )  # e.g. "ETA 2s (the last run saw 12)"
    assert "(the last run saw 12)" in err
