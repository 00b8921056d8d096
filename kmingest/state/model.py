"""What the state store keeps about records and runs, as the pipeline sees it: a run's counts (`RunStats`),
a record's committed outcome (`RecordOutcome`), what a record that is not indexed knew of itself
(`Attribution`, kept with its dead letter so a coverage report files and restricts it without reading the
sources again), and the grouping of skip/failure reasons that `kmingest status` shows.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from pathlib import PurePath
from typing import Any, Literal

from kmingest.models import SourceRecord

Status = Literal["indexed", "skipped", "failed"]


def storable(text: str) -> str:
    """Text a database can store: surrogates (undecodable bytes of a file name) written as \\udcxx escapes."""
    return text if text.isascii() else text.encode("utf-8", "backslashreplace").decode("utf-8")


# what varies between equal problems: quoted names, and numbers (not in names like utf-8 or GB18030)
_VARIES = re.compile(r"(?<!\w)'[^'\n]*'(?!\w)|(?<!\w)\"[^\"\n]*\"(?!\w)|(?<![\w.-])\d+(?:\.\d+)?")


def reason_kind(reason: str) -> str:
    """A reason with numbers and quoted names replaced, so equal problems of different files group."""
    return _VARIES.sub(lambda m: "N" if m.group()[0].isdigit() else "'...'", reason)


def group_problems(problems: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Skipped/failed records grouped by kind and reason kind, most frequent first."""
    counts = Counter((str(p["kind"]), reason_kind(str(p["reason"]))) for p in problems)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [{"kind": kind, "reason": reason, "count": n} for (kind, reason), n in ranked]


@dataclass
class RunStats:
    seen: int = 0
    new: int = 0
    updated: int = 0
    retried: int = 0  # failed last time, content unchanged: processed again
    unchanged: int = 0
    deleted: int = 0
    skipped: int = 0
    failed: int = 0
    indexed: int = 0
    chunks: int = 0
    embedded: int = 0
    embedding_cache_hits: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    def count(self, outcomes: Iterable[RecordOutcome]) -> None:
        """Add committed record outcomes (call after commit_records, so stats match the saved records)."""
        for o in outcomes:
            if o.status == "indexed":
                self.indexed += 1
                self.chunks += o.chunks
            elif o.status == "skipped":
                self.skipped += 1
            else:
                self.failed += 1

    def add(self, counts: dict[str, int]) -> None:
        """Add the counts of a part of the run (a staged batch); unknown keys are an error."""
        names = {f.name for f in fields(self)}
        for key, value in counts.items():
            if key not in names:
                raise ValueError(f"unknown run count {key!r}")
            setattr(self, key, getattr(self, key) + int(value))


@dataclass(frozen=True)
class Attribution:
    """What a record that is not indexed knew of itself: where a coverage report files it and who may read it.
    None: not known (an item the connector could not read, a dead letter kept by an older version); reported
    as "(unknown)" and, with no ACL, restricted (fail closed)."""

    department: str | None = None
    system: str | None = None
    doc_type: str | None = None  # the connector's type, else the file name's extension
    acl: tuple[str, ...] | None = None

    @classmethod
    def of(cls, record: SourceRecord) -> Attribution:
        suffix = PurePath(record.filename).suffix.lower().lstrip(".")
        return cls(
            record.department, record.system, record.doc_type or suffix or None, tuple(sorted(record.acl))
        )

    def row(self) -> tuple[str | None, str | None, str | None, str | None]:
        """The state columns department, system, doc_type, acl (JSON)."""
        acl = None if self.acl is None else json.dumps(list(self.acl), ensure_ascii=False)
        return _maybe(self.department), _maybe(self.system), _maybe(self.doc_type), _maybe(acl)


def _maybe(text: str | None) -> str | None:
    return None if text is None else storable(text)


UNATTRIBUTED = Attribution()


@dataclass(frozen=True)
class RecordOutcome:
    external_id: str
    doc_id: str
    content_hash: str
    status: Status
    reason: str | None = None
    chunks: int = 0
    failures: int = 0  # failed runs in a row on this content (0 unless status is "failed")
    attribution: Attribution = UNATTRIBUTED  # kept with its dead letter when not indexed
