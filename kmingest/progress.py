"""Progress of `kmingest ingest`, per source: the runner (SourceRun.scan) reports how many records it has
seen; this shows it. On a terminal: a tqdm bar. Otherwise (cron, CI, a log file): a log line at least every
`interval` seconds (default 30, $KMINGEST_PROGRESS_SECONDS) at the default verbosity, with records/s and an
ETA. The line is written by a background thread, so a slow record, batch or export read does not hold it back.

The ETA needs a total, which an export does not announce: the previous successful run's "seen" count is used
as the expected total; without one (a first run) the line says "ETA unknown".
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Protocol

from kmingest.state import StateStore

log = logging.getLogger("kmingest.progress")  # INFO even at the default verbosity (see cli.py)

DEFAULT_INTERVAL_S = 30.0
INTERVAL_ENV = "KMINGEST_PROGRESS_SECONDS"


class Progress(Protocol):
    def __call__(self, seen: int) -> None: ...

    def close(self) -> None: ...


def expected_total(state: StateStore, source: str) -> int | None:
    """How many records the last successful run of the source saw (None: no such run)."""
    for run in state.runs(source, limit=50):
        if run.status == "ok" and run.stats.get("seen"):
            return int(run.stats["seen"])
    return None


def interval_from_env() -> float:
    """$KMINGEST_PROGRESS_SECONDS when it is a positive number, else 30."""
    try:
        value = float(os.environ.get(INTERVAL_ENV, DEFAULT_INTERVAL_S))
    except ValueError:
        return DEFAULT_INTERVAL_S
    return value if value > 0 else DEFAULT_INTERVAL_S


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


class ProgressLog:
    """The off-terminal progress: `progress(seen)` is cheap (stores the count); a daemon thread logs
    `line()` every `interval` seconds until `close()`. `clock` is injectable for tests."""

    def __init__(
        self,
        source: str,
        expected: int | None,
        interval: float = DEFAULT_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source, self.expected, self.interval, self.clock = source, expected, interval, clock
        self.seen = 0
        self.started = clock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"progress-{source}", daemon=True)

    def __call__(self, seen: int) -> None:
        self.seen = seen

    def start(self) -> ProgressLog:
        self._thread.start()
        return self

    def line(self) -> str:
        elapsed = max(self.clock() - self.started, 1e-9)
        rate = self.seen / elapsed
        text = f"{self.source}: {self.seen} records seen in {_duration(elapsed)} ({rate:.1f} records/s)"
        if self.expected is None:
            return f"{text}, ETA unknown (no earlier run to compare with)"
        if self.seen >= self.expected or rate <= 0:
            return f"{text}, ETA unknown (the last run saw {self.expected})"
        left = (self.expected - self.seen) / rate
        return f"{text}, ETA {_duration(left)} (the last run saw {self.expected})"

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            log.info("%s", self.line())

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)


class ProgressBar:
    """On a terminal: a tqdm bar (with an ETA when the expected total is known)."""

    def __init__(self, source: str, expected: int | None) -> None:
        from tqdm import tqdm

        self.bar = tqdm(desc=source, total=expected, unit=" records", file=sys.stderr, leave=True)

    def __call__(self, seen: int) -> None:
        self.bar.n = seen
        if seen % 20 == 0:
            self.bar.refresh()

    def close(self) -> None:
        self.bar.close()


def progress_for(source: str, expected: int | None) -> Progress:
    """A bar on a terminal; log lines (every $KMINGEST_PROGRESS_SECONDS, default 30 s) otherwise."""
    if sys.stderr.isatty():
        return ProgressBar(source, expected)
    return ProgressLog(source, expected, interval_from_env()).start()
