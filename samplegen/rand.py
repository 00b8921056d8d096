"""Seeded randomness for the sample export generator (test/demo data for the ERP/CRM/OA connectors).

Every file gets its own `Rand`, seeded from (seed, name), so files do not shift when another file's
generator changes, and the same seed always gives the same bytes. Nothing here reads the clock.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone
from typing import TypeVar

T = TypeVar("T")

FIRST_DAY = date(2023, 1, 1)
LAST_DAY = date(2026, 10, 31)
CST = timezone(timedelta(hours=8))


class Rand:
    """A `random.Random` seeded from text (stable across runs and platforms) plus domain helpers."""

    def __init__(self, seed: int, name: str) -> None:
        self._r = random.Random(f"kmingest-samplegen:{seed}:{name}")

    def pick(self, items: Sequence[T]) -> T:
        return items[self._r.randrange(len(items))]

    def sample(self, items: Sequence[T], k: int) -> list[T]:
        return self._r.sample(list(items), min(k, len(items)))

    def weighted(self, items: Sequence[T], weights: Sequence[float]) -> T:
        return self._r.choices(list(items), weights=list(weights), k=1)[0]

    def chance(self, p: float) -> bool:
        return self._r.random() < p

    def between(self, low: int, high: int) -> int:
        """Inclusive on both ends."""
        return self._r.randint(low, high)

    def real(self, low: float, high: float, digits: int = 1) -> float:
        return round(self._r.uniform(low, high), digits)

    def bytes(self, n: int) -> bytes:
        return bytes(self._r.getrandbits(8) for _ in range(n))

    def day(self, start: date = FIRST_DAY, end: date = LAST_DAY) -> date:
        return start + timedelta(days=self._r.randint(0, max(0, (end - start).days)))

    def moment(self, start: date = FIRST_DAY, end: date = LAST_DAY) -> datetime:
        """A timestamp in China Standard Time (+08:00), mostly in office hours."""
        hour = self._r.randint(8, 18) if self._r.random() < 0.9 else self._r.randint(0, 23)
        clock = timedelta(hours=hour, minutes=self._r.randint(0, 59), seconds=self._r.randint(0, 59))
        return datetime.combine(self.day(start, end), datetime.min.time(), CST) + clock


def erp_time(moment: datetime) -> str:
    """ERP style: `YYYY-MM-DD HH:MM:SS`, local time, no zone."""
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def iso_time(moment: datetime) -> str:
    """CRM style: ISO 8601 with the +08:00 offset."""
    return moment.isoformat(timespec="seconds")
